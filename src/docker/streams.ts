/**
 * The engine's streaming formats: JSON lines (pull progress, events) and the
 * 8-byte framed multiplexed log stream.
 * @module
 */

/**
 * Yields each JSON value of a newline-delimited JSON stream.
 *
 * @example
 * ```ts
 * for await (const event of jsonLines(response.body!)) console.log(event.status);
 * ```
 */
export async function* jsonLines<T = Record<string, unknown>>(stream: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let buffered = "";
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as T;
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
}

/** A chunk of a container's output: 1 stdout, 2 stderr. */
export interface LogChunk {
  stream: 1 | 2;
  data: Uint8Array;
}

/**
 * Splits the engine's multiplexed log stream (an 8-byte header per frame:
 * stream type, three zero bytes, big-endian payload size). With `tty`, the
 * stream is raw stdout.
 *
 * @example
 * ```ts
 * for await (const { stream, data } of demuxLogs(body, false)) write(stream, data);
 * ```
 */
export async function* demuxLogs(stream: ReadableStream<Uint8Array>, tty: boolean): AsyncGenerator<LogChunk> {
  const reader = stream.getReader();
  let pending: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (tty) {
        yield { stream: 1, data: value };
        continue;
      }
      pending = pending.length === 0 ? value : join(pending, value);
      while (pending.length >= 8) {
        const size = new DataView(pending.buffer, pending.byteOffset, 8).getUint32(4);
        if (pending.length < 8 + size) break;
        const type = pending[0];
        yield { stream: type === 2 ? 2 : 1, data: pending.slice(8, 8 + size) };
        pending = pending.subarray(8 + size);
      }
    }
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
