/**
 * What a container step may take from the host when host access is
 * restricted: `muster serve` always restricts its runs, and the CLI does
 * with `--restrict-host` (or `MUSTER_RESTRICT_HOST=1`), for CI on shared
 * hosts. Then a bind mount's source must lie inside the project (the
 * checkout under `serve`; the base path in the CLI) or under a prefix of
 * `MUSTER_ALLOW_HOST_MOUNTS` (paths separated by `:`), and the Docker socket
 * is refused unless `MUSTER_ALLOW_DOCKER_SOCKET=1`: it is root on the host.
 * Sources are compared by their real paths, so a symlink cannot lead out.
 * @module
 */
import { realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isWithin } from "../files/paths.ts";

/** The settings of the check, from the run's environment. */
export interface HostAccessPolicy {
  restricted: boolean;
  /** The directory mounts may come from without an allowance. */
  boundary: string;
  allowPrefixes: string[];
  allowSocket: boolean;
}

/**
 * The policy a run's environment sets.
 *
 * @example
 * ```ts
 * hostAccessPolicy({ MUSTER_RESTRICT_HOST: "1", MUSTER_ALLOW_HOST_MOUNTS: "/srv/cache" }, "/repo").allowPrefixes; // ["/srv/cache"]
 * ```
 */
export function hostAccessPolicy(env: Record<string, string | undefined>, projectDir: string): HostAccessPolicy {
  const flag = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
  return {
    restricted: flag(env.MUSTER_RESTRICT_HOST) || Boolean(env.MUSTER_CONFINE),
    boundary: real(env.MUSTER_CONFINE || projectDir),
    allowPrefixes: (env.MUSTER_ALLOW_HOST_MOUNTS ?? "").split(":").map((p) => p.trim()).filter((p) => isAbsolute(p)).map(real),
    allowSocket: flag(env.MUSTER_ALLOW_DOCKER_SOCKET),
  };
}

/** The real path of `path`, or of its nearest existing parent joined with the rest. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(real(parent), path.slice(parent.length + 1));
  }
}


const isSocket = (path: string) => {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
};

/**
 * Why a step's bind mounts are refused under `policy`, or undefined.
 *
 * @example
 * ```ts
 * hostMountProblem(["/"], { restricted: true, boundary: "/repo", allowPrefixes: [], allowSocket: false });
 * // 'mounting / is not allowed: ... (MUSTER_ALLOW_HOST_MOUNTS)'
 * ```
 */
export function hostMountProblem(sources: string[], policy: HostAccessPolicy): string | undefined {
  if (!policy.restricted) return undefined;
  for (const source of sources) {
    const path = real(source);
    if (isSocket(path) || /(^|\/)docker\.sock$/.test(path)) {
      if (policy.allowSocket) continue;
      return `mounting ${source} is not allowed: it is a Docker socket, which is root on the host (an administrator allows it with MUSTER_ALLOW_DOCKER_SOCKET=1)`;
    }
    if (isWithin(policy.boundary, path) || policy.allowPrefixes.some((prefix) => isWithin(prefix, path))) continue;
    return `mounting ${source}${path !== source ? ` (${path})` : ""} is not allowed: host paths outside ${policy.boundary} need an allowance (an administrator lists path prefixes in MUSTER_ALLOW_HOST_MOUNTS, separated by ":")`;
  }
  return undefined;
}
