/**
 * Where the Docker engine is: `DOCKER_HOST` (`unix://` or `tcp://`, TLS with
 * `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`), else the default unix socket.
 * @module
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { FetchTransport } from "../platform/index.ts";

/** A resolved engine endpoint. */
export interface DockerEndpoint {
  /** As shown in messages, e.g. `unix:///var/run/docker.sock`. */
  display: string;
  /** The URL requests are made against (`http://docker` for a socket). */
  baseUrl: string;
  transport: FetchTransport;
}

/** The default engine socket. */
export const DEFAULT_SOCKET = "/var/run/docker.sock";

/**
 * Resolves the endpoint from the environment.
 *
 * @example
 * ```ts
 * (await resolveEndpoint({})).display; // "unix:///var/run/docker.sock"
 * (await resolveEndpoint({ DOCKER_HOST: "tcp://127.0.0.1:2375" })).baseUrl; // "http://127.0.0.1:2375"
 * ```
 */
export async function resolveEndpoint(env: Record<string, string | undefined>): Promise<DockerEndpoint> {
  const host = env.DOCKER_HOST || `unix://${DEFAULT_SOCKET}`;
  if (host.startsWith("unix://")) {
    const path = host.slice("unix://".length);
    return { display: host, baseUrl: "http://docker", transport: { unixSocket: path } };
  }
  if (host.startsWith("tcp://")) {
    const address = host.slice("tcp://".length).replace(/\/+$/, "");
    const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== "" && env.DOCKER_TLS_VERIFY !== "0";
    if (!verify) return { display: host, baseUrl: `http://${address}`, transport: {} };
    const certs = env.DOCKER_CERT_PATH || join(homedir(), ".docker");
    const names = ["ca.pem", "cert.pem", "key.pem"];
    const files = await Promise.allSettled(names.map((name) => readFile(join(certs, name), "utf8")));
    // Name the first missing file, in a stable order.
    const missing = files.findIndex((f) => f.status === "rejected");
    if (missing >= 0) {
      throw new Error(`DOCKER_TLS_VERIFY is set but ${join(certs, names[missing]!)} cannot be read (expected ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH)`);
    }
    const [ca, cert, key] = files.map((f) => (f as PromiseFulfilledResult<string>).value);
    return { display: host, baseUrl: `https://${address}`, transport: { tls: { ca, cert, key } } };
  }
  throw new Error(`DOCKER_HOST=${host}: unsupported scheme (expected unix:///path or tcp://host:port)`);
}
