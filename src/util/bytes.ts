/**
 * Byte helpers shared by output capture, prefixing and the runner.
 * @module
 */

/**
 * Joins chunks whose total length is known.
 *
 * @example
 * ```ts
 * concat([Uint8Array.of(1), Uint8Array.of(2, 3)], 3); // Uint8Array [1, 2, 3]
 * ```
 */
export function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Reads a stream up to `limit` bytes. `overflow` says the stream had more:
 * it is then canceled, and `bytes` holds its first `limit` bytes.
 *
 * @example
 * ```ts
 * const { bytes, overflow } = await readAtMost(response.body!, 4 * 1024 * 1024);
 * ```
 */
export async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: concat(chunks, size), overflow: false };
    const room = limit - size;
    if (value.length > room) {
      if (room > 0) chunks.push(value.subarray(0, room));
      await reader.cancel().catch(() => {});
      return { bytes: concat(chunks, limit), overflow: true };
    }
    chunks.push(value);
    size += value.length;
  }
}
