/**
 * Registry credentials from `~/.docker/config.json` (`auths`), sent to the
 * engine as the `X-Registry-Auth` header of a pull.
 * @module
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** The registry an image reference points at (`docker.io` when none is named). */
export function registryOf(image: string): string {
  const first = image.split("/")[0]!;
  const hasRegistry = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return hasRegistry ? first : "docker.io";
}

const DOCKER_HUB_KEYS = ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];

/**
 * The `X-Registry-Auth` header value for `image`, or undefined without credentials.
 *
 * @example
 * ```ts
 * await registryAuthHeader("127.0.0.1:5000/team/app:1", { DOCKER_CONFIG: "/tmp/cfg" });
 * ```
 */
export async function registryAuthHeader(image: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  const dir = env.DOCKER_CONFIG || join(homedir(), ".docker");
  let config: { auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  } catch {
    return undefined;
  }
  const registry = registryOf(image);
  const keys = registry === "docker.io" ? DOCKER_HUB_KEYS : [registry, `https://${registry}`, `http://${registry}`];
  const entry = keys.map((k) => config.auths?.[k] ?? config.auths?.[`${k}/`]).find(Boolean);
  if (!entry) return undefined;
  let credentials: Record<string, string>;
  if (entry.identitytoken) credentials = { identitytoken: entry.identitytoken, serveraddress: registry };
  else {
    const decoded = entry.auth ? atob(entry.auth) : `${entry.username ?? ""}:${entry.password ?? ""}`;
    const colon = decoded.indexOf(":");
    credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
  }
  return btoa(JSON.stringify(credentials)).replaceAll("+", "-").replaceAll("/", "_");
}
