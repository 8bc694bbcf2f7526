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
