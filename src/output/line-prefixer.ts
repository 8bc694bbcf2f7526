/**
 * Complete-line prefixing for live output: `[name] line`. A partial line is
 * held until its newline (or the end), so lines from concurrent children
 * never mix. Works on bytes, so throughput is bounded by memcpy, not decoding.
 * @module
 */

import { concat } from "../util/bytes.ts";

const NEWLINE = 10;
const encoder = new TextEncoder();
/**
 * The longest partial line held back. A child that writes megabytes without a
 * newline would otherwise make us hold all of it; past this, what is held is
 * printed as a line of its own (the only case where muster adds a newline).
 */
export const MAX_PARTIAL_LINE = 1024 * 1024;

/** Prefixes the complete lines of one stream. */
export class LinePrefixer {
  #prefix: Uint8Array;
  #pending: Uint8Array[] = [];
  #pendingLength = 0;

  /**
   * @example
   * ```ts
   * const p = new LinePrefixer("[lint] ");
   * p.push(new TextEncoder().encode("a\nb")); // bytes of "[lint] a\n"
   * p.end(); // bytes of "[lint] b\n"
   * ```
   */
  constructor(prefix: string) {
    this.#prefix = encoder.encode(prefix);
  }

  /** Takes a chunk; returns the prefixed complete lines it finished, if any. */
  push(chunk: Uint8Array): Uint8Array | undefined {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
      return this.#pendingLength > MAX_PARTIAL_LINE ? this.end() : undefined;
    }
    const head = chunk.subarray(0, last + 1);
    const data = this.#pendingLength > 0 ? concat([...this.#pending, head], this.#pendingLength + head.length) : head;
    this.#pending = last + 1 < chunk.length ? [chunk.slice(last + 1)] : [];
    this.#pendingLength = chunk.length - last - 1;
    return this.#prefixLines(data);
  }

  /** Returns the held partial line, prefixed and terminated, if any. */
  end(): Uint8Array | undefined {
    if (this.#pendingLength === 0) return undefined;
    const data = concat([...this.#pending, Uint8Array.of(NEWLINE)], this.#pendingLength + 1);
    this.#pending = [];
    this.#pendingLength = 0;
    return this.#prefixLines(data);
  }

  /** `data` ends with a newline. */
  #prefixLines(data: Uint8Array): Uint8Array {
    let lines = 0;
    for (let i = data.indexOf(NEWLINE); i >= 0; i = data.indexOf(NEWLINE, i + 1)) lines++;
    const prefix = this.#prefix;
    const out = new Uint8Array(data.length + lines * prefix.length);
    let from = 0;
    let to = 0;
    while (from < data.length) {
      const end = data.indexOf(NEWLINE, from) + 1;
      out.set(prefix, to);
      to += prefix.length;
      out.set(data.subarray(from, end), to);
      to += end - from;
      from = end;
    }
    return out;
  }
}
