/**
 * Keeping a step's output for its result (`.steps.NAME.value`) while it
 * streams: a tee, never a buffer-then-print. Memory is bounded: past the
 * limit only the last bytes are kept, and the result says so.
 * @module
 */

import { concat } from "../util/bytes.ts";

/** How much of each stream a result keeps by default (MUSTER_RESULT_LIMIT overrides, in bytes). */
export const RESULT_LIMIT = 4 * 1024 * 1024;

/**
 * The output of one step attempt, per stream, bounded.
 *
 * @example
 * ```ts
 * const capture = new ResultCapture(1024);
 * capture.append(1, new TextEncoder().encode("v1.2.3\n"));
 * capture.text(1); // "v1.2.3\n"
 * ```
 */
export class ResultCapture {
  #limit: number;
  #streams = { 1: { chunks: [] as Uint8Array[], kept: 0, total: 0 }, 2: { chunks: [] as Uint8Array[], kept: 0, total: 0 } };

  constructor(limit = RESULT_LIMIT) {
    this.#limit = limit;
  }

  /** A capture with the limit a run's environment sets (`MUSTER_RESULT_LIMIT`, in bytes), else {@linkcode RESULT_LIMIT}. */
  static forRun(env: Record<string, string | undefined>): ResultCapture {
    const limit = Number(env.MUSTER_RESULT_LIMIT);
    return new ResultCapture(Number.isInteger(limit) && limit > 0 ? limit : RESULT_LIMIT);
  }

  /** Adds a chunk of stream 1 (stdout) or 2 (stderr). */
  append(stream: 1 | 2, data: Uint8Array): void {
    const s = this.#streams[stream];
    s.chunks.push(data);
    s.kept += data.length;
    s.total += data.length;
    // Drop whole chunks from the front while the rest still covers the limit, then trim the first.
    while (s.kept - s.chunks[0]!.length >= this.#limit) s.kept -= s.chunks.shift()!.length;
    if (s.kept > this.#limit) {
      const excess = s.kept - this.#limit;
      s.chunks[0] = s.chunks[0]!.subarray(excess);
      s.kept -= excess;
    }
  }

  /** The kept text of a stream (UTF-8; a character cut by the limit becomes U+FFFD). */
  text(stream: 1 | 2): string {
    const s = this.#streams[stream];
    return new TextDecoder().decode(concat(s.chunks, s.kept));
  }

  /** Bytes a stream wrote in all, kept or not. */
  total(stream: 1 | 2): number {
    return this.#streams[stream].total;
  }

  /** Whether a stream outgrew the limit (its text is a tail). */
  truncated(stream: 1 | 2): boolean {
    return this.#streams[stream].total > this.#streams[stream].kept;
  }

  get limit(): number {
    return this.#limit;
  }
}
