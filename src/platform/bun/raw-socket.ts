/**
 * A raw byte connection over `Bun.connect` (a unix socket, or TCP with TLS),
 * as web streams: what Docker's hijacked attach stream needs, which `fetch`
 * cannot give (it never hands over the connection after a 101).
 * @internal
 * @module
 */
import type { RawSocket, RawTarget } from "../types.ts";

/**
 * Connects to `target`.
 *
 * @example
 * ```ts
 * const socket = await connectRawSocket({ unixSocket: "/var/run/docker.sock" });
 * await socket.write("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
 * ```
 */
export async function connectRawSocket(target: RawTarget): Promise<RawSocket> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    if (error) controller.error(error);
    else controller.close();
  };
  // Writes the kernel did not take yet, in order; each resolves once all of its bytes went out.
  const queue: Array<{ data: Uint8Array; done: () => void }> = [];
  let socket: Bun.Socket<undefined> | undefined;
  const flush = () => {
    while (socket && queue.length > 0) {
      const head = queue[0]!;
      const written = socket.write(head.data);
      if (written < 0) {
        queue.splice(0).forEach((w) => w.done()); // closed: what was queued is dropped
        return;
      }
      if (written < head.data.length) {
        head.data = head.data.subarray(written);
        return; // the rest on drain
      }
      queue.shift();
      head.done();
    }
  };
  const socketHandler: Bun.SocketHandler<undefined> = {
    data: (_s, data) => {
      if (!ended) controller.enqueue(new Uint8Array(data));
    },
    drain: () => flush(),
    // A close after the peer's end (or ours) is the normal end: erroring the stream would drop what is still queued in it.
    end: () => end(),
    close: () => end(),
    error: (_s, error) => end(error),
  };
  socket = target.unixSocket
    ? await Bun.connect({ unix: target.unixSocket, socket: socketHandler, allowHalfOpen: true })
    : await Bun.connect({ hostname: target.hostname ?? "localhost", port: target.port ?? 0, tls: target.tls, socket: socketHandler, allowHalfOpen: true });
  const encoder = new TextEncoder();
  return {
    readable,
    write(data) {
      return new Promise<void>((done) => {
        queue.push({ data: typeof data === "string" ? encoder.encode(data) : data, done });
        if (queue.length === 1) flush();
      });
    },
    async closeWrite() {
      // After what is queued: a FIN before the last keys would lose them.
      await new Promise<void>((done) => (queue.length === 0 ? done() : queue.push({ data: new Uint8Array(0), done })));
      socket?.shutdown();
    },
    close() {
      socket?.end();
      end();
    },
  };
}
