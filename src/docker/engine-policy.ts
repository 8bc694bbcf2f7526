/**
 * What a restricted run's containers may ask of the engine: one policy for
 * every action (run, background service, build, the sandbox) under
 * `muster serve` (`MUSTER_CONFINE`) and the CLI's `--restrict-host`
 * (`MUSTER_RESTRICT_HOST=1`). Refused unless the operator allows each by
 * name in the process environment (a workflow's `env:` and `type: env`
 * steps never count): added capabilities (`MUSTER_ALLOW_CAPS`),
 * `--privileged` (`MUSTER_ALLOW_PRIVILEGED`), the host's network, PID, IPC,
 * UTS or user namespace (`MUSTER_ALLOW_HOST_NETWORK`, `…_HOST_PID`,
 * `…_HOST_IPC`, `…_HOST_UTS`, `…_HOST_USERNS`), another container's
 * namespaces or another network than the run's (`MUSTER_ALLOW_NETWORKS`),
 * devices (`MUSTER_ALLOW_DEVICES`), `security_opt` (`MUSTER_ALLOW_SECURITY_OPTS`),
 * named volumes (`MUSTER_ALLOW_VOLUMES`), host paths outside the project
 * (`MUSTER_ALLOW_HOST_MOUNTS`) and the Docker socket
 * (`MUSTER_ALLOW_DOCKER_SOCKET`). A build's context, Dockerfile and
 * `.dockerignore` must lie in the project by real path.
 *
 * The runner also hands a run the bounds its containers get
 * (`MUSTER_CONTAINER_NETWORK`, `…_PIDS`, `…_MEMORY`, `…_CPUS`,
 * `…_LOG_MAX_SIZE`, `…_LOG_MAX_FILE`): {@linkcode confineBody} applies them
 * to every container the run creates.
 * @module
 */
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isWithin } from "../files/paths.ts";
import { hostAccessPolicy, hostMountProblem, type HostAccessPolicy } from "./host-access.ts";
import { bytes, eachRunArg } from "./run-args.ts";

/** The host namespaces a container may share, and the setting that allows each. */
const HOST_NAMESPACES = {
  network: { field: "NetworkMode", setting: "MUSTER_ALLOW_HOST_NETWORK" },
  pid: { field: "PidMode", setting: "MUSTER_ALLOW_HOST_PID" },
  ipc: { field: "IpcMode", setting: "MUSTER_ALLOW_HOST_IPC" },
  uts: { field: "UTSMode", setting: "MUSTER_ALLOW_HOST_UTS" },
  userns: { field: "UsernsMode", setting: "MUSTER_ALLOW_HOST_USERNS" },
} as const;
type Namespace = keyof typeof HOST_NAMESPACES;

/** The settings (besides MUSTER_ALLOW_HOST_MOUNTS and MUSTER_ALLOW_DOCKER_SOCKET) a runner hands its runs, and the bounds an operator may set for process-mode runs' containers. */
export const ENGINE_ALLOWANCES = [
  "MUSTER_ALLOW_CAPS", "MUSTER_ALLOW_PRIVILEGED", ...Object.values(HOST_NAMESPACES).map((ns) => ns.setting), "MUSTER_ALLOW_NETWORKS",
  "MUSTER_ALLOW_VOLUMES", "MUSTER_ALLOW_DEVICES", "MUSTER_ALLOW_SECURITY_OPTS",
  "MUSTER_CONTAINER_NETWORK", "MUSTER_CONTAINER_PIDS", "MUSTER_CONTAINER_MEMORY", "MUSTER_CONTAINER_CPUS", "MUSTER_CONTAINER_LOG_MAX_SIZE", "MUSTER_CONTAINER_LOG_MAX_FILE",
] as const;

/** The bounds the runner imposes on every container of a run. */
export interface ContainerBounds {
  /** The network every container joins unless it asks for `none` (the run's own). */
  network?: string;
  pids?: number;
  memoryBytes?: number;
  nanoCpus?: number;
  logMaxSize?: string;
  logMaxFile?: string;
  /** Where the project (`MUSTER_CONFINE`) is on the engine's host, when muster runs in a container of its own (a dispatched run's). */
  hostWorkspace?: string;
}

/** The policy, from the process environment. */
export interface EnginePolicy extends HostAccessPolicy {
  caps: Set<string>;
  privileged: boolean;
  hostNamespaces: Set<Namespace>;
  networks: Set<string>;
  volumes: Set<string>;
  devices: string[];
  securityOpts: Set<string>;
  bounds: ContainerBounds;
}

const flag = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
/** A capability as the engine names it: upper case, without `CAP_`. */
const capName = (cap: string) => cap.trim().toUpperCase().replace(/^CAP_/, "");

/**
 * The policy `env` (the process environment, never a workflow's) sets for a
 * run in `projectDir`.
 *
 * @example
 * ```ts
 * const policy = enginePolicy({ MUSTER_CONFINE: "/repo", MUSTER_ALLOW_CAPS: "NET_ADMIN" }, "/repo");
 * policy.caps.has("NET_ADMIN"); // true
 * ```
 */
export function enginePolicy(env: Record<string, string | undefined>, projectDir: string): EnginePolicy {
  const pos = (name: string) => {
    const n = Number(env[name]);
    return env[name] && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  return {
    ...hostAccessPolicy(env, projectDir),
    caps: new Set(list(env.MUSTER_ALLOW_CAPS).map(capName)),
    privileged: flag(env.MUSTER_ALLOW_PRIVILEGED),
    hostNamespaces: new Set((Object.keys(HOST_NAMESPACES) as Namespace[]).filter((ns) => flag(env[HOST_NAMESPACES[ns].setting]))),
    networks: new Set(list(env.MUSTER_ALLOW_NETWORKS)),
    volumes: new Set(list(env.MUSTER_ALLOW_VOLUMES)),
    devices: list(env.MUSTER_ALLOW_DEVICES),
    securityOpts: new Set(list(env.MUSTER_ALLOW_SECURITY_OPTS)),
    bounds: {
      network: env.MUSTER_CONTAINER_NETWORK || undefined,
      pids: pos("MUSTER_CONTAINER_PIDS"),
      memoryBytes: env.MUSTER_CONTAINER_MEMORY ? bytes(env.MUSTER_CONTAINER_MEMORY) : undefined,
      nanoCpus: pos("MUSTER_CONTAINER_CPUS") && Math.round(pos("MUSTER_CONTAINER_CPUS")! * 1e9),
      logMaxSize: env.MUSTER_CONTAINER_LOG_MAX_SIZE || undefined,
      logMaxFile: env.MUSTER_CONTAINER_LOG_MAX_FILE || undefined,
      hostWorkspace: env.MUSTER_CONFINE && env.MUSTER_CONTAINER_HOST_WORKSPACE ? env.MUSTER_CONTAINER_HOST_WORKSPACE : undefined,
    },
  };
}

/** A refusal: the field, the value and the setting that would allow it. */
export interface PolicyProblem {
  field: string;
  value: string;
  setting: string;
  text: string;
}

const problem = (field: string, value: string, why: string, allow: string, setting: string): PolicyProblem => ({
  field, value, setting, text: `${field} ${JSON.stringify(value)} is not allowed: ${why} (an administrator allows it with ${allow})`,
});

/** Why a capability may not be added, or undefined. */
function capProblem(field: string, cap: string, policy: EnginePolicy): PolicyProblem | undefined {
  const name = capName(cap);
  if (policy.caps.has(name) || policy.caps.has("ALL")) return undefined;
  return problem(field, cap, "added capabilities widen what a container may do to the host (SYS_ADMIN is host root)", `MUSTER_ALLOW_CAPS=${name}`, "MUSTER_ALLOW_CAPS");
}

/** Why a network may not be joined, or undefined. */
function networkProblem(field: string, network: string, policy: EnginePolicy): PolicyProblem | undefined {
  if (network === "host") {
    if (policy.hostNamespaces.has("network")) return undefined;
    return problem(field, network, "the host's network reaches every service listening on the host's loopback", "MUSTER_ALLOW_HOST_NETWORK=1", "MUSTER_ALLOW_HOST_NETWORK");
  }
  if (network === "" || network === "none" || network === "default" || network === policy.bounds.network || policy.networks.has(network)) return undefined;
  if (network.startsWith("container:")) {
    return problem(field, network, "another container's network namespace is that container's traffic and services", `MUSTER_ALLOW_NETWORKS=${network}`, "MUSTER_ALLOW_NETWORKS");
  }
  if (policy.bounds.network === undefined) return undefined; // no network of its own: the engine's others are as the CLI has them
  return problem(field, network, `the run's containers share the run's own network ${policy.bounds.network} (or none)`, `MUSTER_ALLOW_NETWORKS=${network}`, "MUSTER_ALLOW_NETWORKS");
}

/** Why a named volume may not be mounted, or undefined (anonymous volumes are the container's own). */
function volumeProblem(field: string, name: string, policy: EnginePolicy): PolicyProblem | undefined {
  if (name === "" || policy.volumes.has(name) || policy.volumes.has("*")) return undefined;
  return problem(field, name, "a named volume outlives the run and may hold another application's data", `MUSTER_ALLOW_VOLUMES=${name}`, "MUSTER_ALLOW_VOLUMES");
}

/**
 * The refusals of a step's `run_args` under `policy`, each with the index
 * of its flag (for a positioned error). Nothing is refused unrestricted.
 *
 * @example
 * ```ts
 * runArgsProblems(["--cap-add", "SYS_ADMIN"], policy);
 * // [{ index: 0, field: "--cap-add", value: "SYS_ADMIN", setting: "MUSTER_ALLOW_CAPS", text: '--cap-add "SYS_ADMIN" is not allowed: … (an administrator allows it with MUSTER_ALLOW_CAPS=SYS_ADMIN)' }]
 * ```
 */
export function runArgsProblems(args: readonly string[], policy: EnginePolicy): Array<PolicyProblem & { index: number }> {
  if (!policy.restricted) return [];
  const found: Array<PolicyProblem & { index: number }> = [];
  for (const item of eachRunArg(args)) {
    if ("problem" in item) break; // reported as unsupported elsewhere
    let refused: PolicyProblem | undefined;
    if (item.key === "capAdd") refused = capProblem(item.flag, item.value, policy);
    else if (item.key === "privileged" && item.value !== "false" && !policy.privileged) {
      refused = problem(item.flag, item.value, "a privileged container has every capability and every device: it is root on the host", "MUSTER_ALLOW_PRIVILEGED=1", "MUSTER_ALLOW_PRIVILEGED");
    } else if (item.key === "network") refused = networkProblem(item.flag, item.value, policy);
    if (refused) found.push({ ...refused, index: item.index });
  }
  return found;
}

/**
 * The refusal of a mount under `policy`, or undefined: a named volume
 * needs `MUSTER_ALLOW_VOLUMES`, a bind source outside the project
 * `MUSTER_ALLOW_HOST_MOUNTS` (the socket `MUSTER_ALLOW_DOCKER_SOCKET`).
 *
 * @example
 * ```ts
 * mountProblem({ type: "volume", source: "pgdata" }, policy)?.setting; // "MUSTER_ALLOW_VOLUMES"
 * ```
 */
export function mountProblem(mount: { type: string; source: string }, policy: EnginePolicy, field = "volume"): PolicyProblem | undefined {
  if (!policy.restricted) return undefined;
  if (mount.type === "volume") return volumeProblem(field, mount.source, policy);
  if (mount.type !== "bind") return undefined;
  const text = hostMountProblem([mount.source], policy);
  if (!text) return undefined;
  const setting = text.includes("MUSTER_ALLOW_DOCKER_SOCKET") ? "MUSTER_ALLOW_DOCKER_SOCKET" : "MUSTER_ALLOW_HOST_MOUNTS";
  return { field, value: mount.source, setting, text };
}

/**
 * Every refusal of a `POST /containers/create` body under `policy`: the
 * one check every container of a restricted run passes, whatever made it.
 *
 * @example
 * ```ts
 * createBodyProblems({ HostConfig: { Privileged: true } }, policy)[0]?.setting; // "MUSTER_ALLOW_PRIVILEGED"
 * ```
 */
export function createBodyProblems(body: Record<string, unknown>, policy: EnginePolicy): PolicyProblem[] {
  if (!policy.restricted) return [];
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  const found: Array<PolicyProblem | undefined> = [];
  if (host.Privileged === true && !policy.privileged) {
    found.push(problem("Privileged", "true", "a privileged container has every capability and every device: it is root on the host", "MUSTER_ALLOW_PRIVILEGED=1", "MUSTER_ALLOW_PRIVILEGED"));
  }
  for (const cap of (host.CapAdd as string[] | undefined) ?? []) found.push(capProblem("CapAdd", cap, policy));
  if (typeof host.NetworkMode === "string") found.push(networkProblem("NetworkMode", host.NetworkMode, policy));
  for (const ns of ["pid", "ipc", "uts", "userns"] as const) {
    const value = host[HOST_NAMESPACES[ns].field];
    if (typeof value !== "string" || value === "" || value === "private" || value === "shareable" || value === "none") continue;
    if (value === "host" && policy.hostNamespaces.has(ns)) continue;
    if (value.startsWith("container:") && policy.networks.has(value)) continue;
    const setting = value === "host" ? HOST_NAMESPACES[ns].setting : "MUSTER_ALLOW_NETWORKS";
    found.push(problem(HOST_NAMESPACES[ns].field, value, `sharing the ${value === "host" ? "host's" : "other container's"} ${ns} namespace lets the container see and signal what runs there`, `${setting}=${value === "host" ? "1" : value}`, setting));
  }
  for (const device of (host.Devices as Array<{ PathOnHost?: string }> | undefined) ?? []) {
    const path = device.PathOnHost ?? "";
    if (!policy.devices.some((d) => path === d || path.startsWith(`${d}/`))) found.push(problem("Devices", path, "a host device is the host's hardware", `MUSTER_ALLOW_DEVICES=${path}`, "MUSTER_ALLOW_DEVICES"));
  }
  if (((host.DeviceRequests as unknown[] | undefined) ?? []).length > 0 && policy.devices.length === 0) {
    found.push(problem("DeviceRequests", "(gpus)", "a host device is the host's hardware", "MUSTER_ALLOW_DEVICES", "MUSTER_ALLOW_DEVICES"));
  }
  for (const opt of (host.SecurityOpt as string[] | undefined) ?? []) {
    if (opt === "no-new-privileges" || opt === "no-new-privileges:true" || policy.securityOpts.has(opt)) continue;
    found.push(problem("SecurityOpt", opt, "security options loosen the container's confinement (seccomp, AppArmor, SELinux)", `MUSTER_ALLOW_SECURITY_OPTS=${opt}`, "MUSTER_ALLOW_SECURITY_OPTS"));
  }
  if (typeof host.CgroupParent === "string" && host.CgroupParent !== "") found.push(problem("CgroupParent", host.CgroupParent, "a container's cgroup is the engine's to choose", "(no setting: not allowed)", ""));
  for (const from of (host.VolumesFrom as string[] | undefined) ?? []) found.push(problem("VolumesFrom", from, "another container's volumes are that container's data", "(no setting: mount the paths instead)", ""));
  for (const bind of (host.Binds as string[] | undefined) ?? []) {
    const source = bind.split(":")[0]!;
    found.push(mountProblem({ type: isAbsolute(source) ? "bind" : "volume", source }, policy, "Binds"));
  }
  for (const m of (host.Mounts as Array<{ Type?: string; Source?: string }> | undefined) ?? []) found.push(mountProblem({ type: m.Type ?? "volume", source: m.Source ?? "" }, policy, "Mounts"));
  return found.filter((p): p is PolicyProblem => p !== undefined);
}

/**
 * `body` with the run's bounds applied (a restricted run's containers get
 * the run's network unless they ask for none, and never more pids, memory,
 * CPU or log than the run has). Returns a new body.
 *
 * @example
 * ```ts
 * confineBody({ HostConfig: { Memory: 8e9 } }, { ...policy, bounds: { memoryBytes: 512 * 2 ** 20, network: "muster-run-r1" } }).HostConfig;
 * // { Memory: 536870912, NetworkMode: "muster-run-r1" }
 * ```
 */
export function confineBody(body: Record<string, unknown>, policy: EnginePolicy): Record<string, unknown> {
  const b = policy.bounds;
  const host = { ...((body.HostConfig ?? {}) as Record<string, unknown>) };
  const least = (own: unknown, bound: number | undefined) => (bound === undefined ? own : typeof own === "number" && own > 0 ? Math.min(own, bound) : bound);
  if (b.network !== undefined && (host.NetworkMode === undefined || host.NetworkMode === "" || host.NetworkMode === "default")) host.NetworkMode = b.network;
  if (b.pids !== undefined) host.PidsLimit = least(host.PidsLimit, b.pids);
  if (b.memoryBytes !== undefined) {
    host.Memory = least(host.Memory, b.memoryBytes);
    host.MemorySwap = host.Memory; // no swap on top
  }
  if (b.nanoCpus !== undefined) host.NanoCpus = least(host.NanoCpus, b.nanoCpus);
  if (b.logMaxSize !== undefined || b.logMaxFile !== undefined) {
    host.LogConfig = { Type: "json-file", Config: { ...(b.logMaxSize ? { "max-size": b.logMaxSize } : {}), ...(b.logMaxFile ? { "max-file": b.logMaxFile } : {}) } };
  }
  if (b.hostWorkspace !== undefined && Array.isArray(host.Binds)) {
    // The engine reads bind sources on its host: a path in the project (by real path, as checked) becomes the same path under the host's checkout.
    host.Binds = (host.Binds as string[]).map((bind) => {
      const [source, ...rest] = bind.split(":");
      const path = isAbsolute(source!) ? real(source!) : source!;
      if (!isAbsolute(path) || !isWithin(policy.boundary, path)) return bind;
      return [join(b.hostWorkspace!, path.slice(policy.boundary.length)), ...rest].join(":");
    });
  }
  return { ...body, HostConfig: host };
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

/**
 * The refusal of a build under `policy`, or undefined: the context, the
 * Dockerfile and `.dockerignore` must lie in the project (or under
 * `MUSTER_ALLOW_HOST_MOUNTS`) by real path.
 *
 * @example
 * ```ts
 * buildProblem({ context: "/repo/app", dockerfile: "/etc/shadow" }, policy)?.field; // "dockerfile"
 * ```
 */
export function buildProblem(build: { context: string; dockerfile: string }, policy: EnginePolicy): PolicyProblem | undefined {
  if (!policy.restricted) return undefined;
  const context = resolve(build.context);
  const checks: Array<[string, string, string]> = [
    ["context", build.context, context],
    ["dockerfile", build.dockerfile, resolve(context, build.dockerfile)],
    [".dockerignore", join(build.context, ".dockerignore"), join(context, ".dockerignore")],
  ];
  for (const [field, value, path] of checks) {
    const resolved = real(path);
    if (isWithin(policy.boundary, resolved) || policy.allowPrefixes.some((prefix) => isWithin(prefix, resolved))) continue;
    const shown = resolved !== value ? ` (${resolved})` : "";
    return {
      field, value, setting: "MUSTER_ALLOW_HOST_MOUNTS",
      text: `build ${field} ${JSON.stringify(value)}${shown} is not allowed: a build reads host files outside ${policy.boundary} (an administrator lists path prefixes in MUSTER_ALLOW_HOST_MOUNTS, separated by ":")`,
    };
  }
  return undefined;
}

/**
 * The `POST /build` settings the run's bounds impose: its network for
 * `RUN` instructions, its memory and CPU.
 *
 * @example
 * ```ts
 * buildBounds({ network: "muster-run-r1", memoryBytes: 2 ** 30 }); // { networkmode: "muster-run-r1", memory: "1073741824" }
 * ```
 */
export function buildBounds(bounds: ContainerBounds): Record<string, string> {
  const out: Record<string, string> = {};
  if (bounds.network) out.networkmode = bounds.network;
  if (bounds.memoryBytes) {
    out.memory = String(bounds.memoryBytes);
    out.memswap = String(bounds.memoryBytes);
  }
  if (bounds.nanoCpus) {
    out.cpuperiod = "100000";
    out.cpuquota = String(Math.round(bounds.nanoCpus / 1e4));
  }
  return out;
}
