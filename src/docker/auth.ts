/**
 * Registry credentials from `~/.docker/config.json` (`$DOCKER_CONFIG`),
 * sent to the engine as the `X-Registry-Auth` header of a pull or push:
 * a credential helper named for the registry (`credHelpers`), else the
 * default store (`credsStore`), else `auths`, as the docker CLI looks.
 * @module
 */
import { readFile } from "node:fs/promises";
import { platform } from "../platform/index.ts";
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
  let config: { auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>; credHelpers?: Record<string, string>; credsStore?: string };
  try {
    config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  } catch {
    return undefined;
  }
  const registry = registryOf(image);
  const keys = registry === "docker.io" ? DOCKER_HUB_KEYS : [registry, `https://${registry}`, `http://${registry}`];
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? config.credsStore;
  if (helper) {
    const fromHelper = await helperCredentials(helper, registry === "docker.io" ? DOCKER_HUB_KEYS[0]! : registry, env);
    if (fromHelper) return encode({ ...fromHelper, serveraddress: registry });
  }
  const entry = keys.map((k) => config.auths?.[k] ?? config.auths?.[`${k}/`]).find(Boolean);
  if (!entry) return undefined;
  let credentials: Record<string, string>;
  if (entry.identitytoken) credentials = { identitytoken: entry.identitytoken, serveraddress: registry };
  else {
    const decoded = entry.auth ? atob(entry.auth) : `${entry.username ?? ""}:${entry.password ?? ""}`;
    const colon = decoded.indexOf(":");
    credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
  }
  return encode(credentials);
}

/** The header's encoding: URL-safe base64 of the JSON. */
const encode = (credentials: Record<string, string>) => btoa(JSON.stringify(credentials)).replaceAll("+", "-").replaceAll("/", "_");

/**
 * Asks `docker-credential-<helper> get` for a registry's credentials (the
 * registry on stdin, `{"Username", "Secret"}` on stdout); undefined when it
 * has none. A username of `<token>` means an identity token.
 */
async function helperCredentials(helper: string, server: string, env: Record<string, string | undefined>): Promise<Record<string, string> | undefined> {
  try {
    const child = platform.spawn([`docker-credential-${helper}`, "get"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string> });
    child.stdin!.write(server);
    child.stdin!.close();
    const [out, end] = await Promise.all([new Response(child.stdout!).text(), child.exited]);
    if (end.code !== 0) return undefined;
    const found = JSON.parse(out) as { Username?: string; Secret?: string };
    if (!found.Secret) return undefined;
    return found.Username === "<token>" ? { identitytoken: found.Secret } : { username: found.Username ?? "", password: found.Secret };
  } catch {
    return undefined; // no such helper: fall back to auths
  }
}
