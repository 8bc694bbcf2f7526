/**
 * A raw byte connection over `Deno.connect` / `Deno.connectTls`: what
 * Docker's hijacked attach stream needs (`fetch` never hands over the
 * connection after a 101).
 * @internal
 * @module
 */
import type { RawSocket, RawTarget } from "../types.ts";
import { Deno } from "./deno-api.ts";

/**
 * Connects to `target`.
 *
 * @example
 * ```ts
 * const socket = await connectDenoRaw({ unixSocket: "/var/run/docker.sock" });
 * ```
 */
export async function connectDenoRaw(target: RawTarget): Promise<RawSocket> {
  const conn = target.unixSocket
    ? await Deno.connect({ transport: "unix", path: target.unixSocket })
    : target.tls
    ? await Deno.connectTls({ hostname: target.hostname ?? "localhost", port: target.port ?? 0, caCerts: target.tls.ca ? [target.tls.ca] : undefined, cert: target.tls.cert, key: target.tls.key })
    : await Deno.connect({ hostname: target.hostname ?? "localhost", port: target.port ?? 0 });
  const writer = conn.writable.getWriter();
  const encoder = new TextEncoder();
  let chain = Promise.resolve();
  return {
    readable: conn.readable,
    write(data) {
      chain = chain.then(() => writer.write(typeof data === "string" ? encoder.encode(data) : data)).catch(() => {});
      return chain;
    },
    closeWrite() {
      chain = chain.then(() => conn.closeWrite()).catch(() => {});
      return chain;
    },
    close() {
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}
