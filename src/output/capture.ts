/**
 * Captured output of one child, for grouped and silent modes: kept in memory
 * up to a limit, then spilled to a temp file that is removed on dispose.
 * The last bytes are always kept in memory, for failure reports.
 * @module
 */
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { concat } from "../util/bytes.ts";

/** Which stream a chunk came from. */
export type StreamId = 1 | 2;

/** Memory kept before spilling to disk. */
export const SPILL_THRESHOLD = 1024 * 1024;
/** Output kept for failure reports. */
export const TAIL_BYTES = 64 * 1024;
const WRITE_BUFFER_BYTES = 64 * 1024;
const DIRECT_WRITE_BYTES = 16 * 1024;

/** Captures one child's interleaved stdout and stderr. */
export class OutputCapture {
  #chunks: Array<{ stream: StreamId; data: Uint8Array }> = [];
  #memoryBytes = 0;
  #file?: { dir: string; handle: FileHandle };
  #tail: Uint8Array[] = [];
  #lost?: string;
  #tailBytes = 0;
  #total = 0;
  #threshold: number;
  #keepAll: boolean;
  #tailLimit: number;

  /**
   * @param keepAll false to keep only the tail (silent mode).
   * @param tailBytes how much of the end the tail keeps (default `TAIL_BYTES`).
   * @example
   * ```ts
   * const capture = new OutputCapture();
   * await capture.append(1, bytes);
   * await capture.replay((stream, data) => write(stream, data));
   * await capture.dispose();
   * ```
   */
  constructor(options: { keepAll?: boolean; threshold?: number; tailBytes?: number } = {}) {
    this.#keepAll = options.keepAll ?? true;
    this.#threshold = options.threshold ?? SPILL_THRESHOLD;
    this.#tailLimit = options.tailBytes ?? TAIL_BYTES;
  }

  /** Bytes captured so far. */
  get size(): number {
    return this.#total;
  }

  /** Whether the capture went to disk. */
  get spilled(): boolean {
    return this.#file !== undefined;
  }

  /** Why the full output could not be kept (a failed spill: ENOSPC), if it could not; the tail still is. */
  get lost(): string | undefined {
    return this.#lost;
  }

  /**
   * Adds a chunk. When the spill file cannot be written (a full disk), the
   * capture keeps only its tail from then on, removes the file, and throws an
   * {@linkcode OutputLostError} once, so that the step fails with the reason.
   */
  async append(stream: StreamId, data: Uint8Array): Promise<void> {
    this.#total += data.length;
    this.#remember(data);
    if (!this.#keepAll || this.#lost !== undefined) return;
    try {
      if (this.#file) return await this.#writeRecord(stream, data);
      this.#chunks.push({ stream, data });
      this.#memoryBytes += data.length;
      if (this.#memoryBytes > this.#threshold) {
        // Loaded only for a spill: most runs never spill, and every run would pay for loading them.
        const [{ mkdtemp, open }, { tmpdir }] = await Promise.all([import("node:fs/promises"), import("node:os")]);
        const dir = await mkdtemp(join(tmpdir(), "muster-capture-"));
        this.#file = { dir, handle: await open(join(dir, "output"), "w+") };
        const chunks = this.#chunks;
        this.#chunks = [];
        this.#memoryBytes = 0;
        for (const chunk of chunks) await this.#writeRecord(chunk.stream, chunk.data);
      }
    } catch (error) {
      this.#lost = (error as Error).message;
      this.#chunks = [];
      this.#memoryBytes = 0;
      await this.#discardFile();
      throw new OutputLostError(`the output of this step could not be kept (${this.#lost}); only its last ${this.#tailLimit / 1024} KiB are`);
    }
  }

  async #discardFile(): Promise<void> {
    if (!this.#file) return;
    const { dir, handle } = this.#file;
    this.#file = undefined;
    await handle.close().catch(() => {});
    const { rm } = await import("node:fs/promises");
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }

  #remember(data: Uint8Array): void {
    // Chunks own their buffers: keeping a reference is cheaper than copying its end.
    this.#tail.push(data);
    this.#tailBytes += data.length;
    while (this.#tailBytes - this.#tail[0]!.length >= this.#tailLimit) this.#tailBytes -= this.#tail.shift()!.length;
  }

  // Records are packed into one reusable buffer, so spilling allocates
  // nothing per chunk: with many chunatty children, garbage is what costs memory.
  #buffer = new Uint8Array(0);
  #buffered = 0;

  async #writeRecord(stream: StreamId, data: Uint8Array): Promise<void> {
    if (this.#buffer.length === 0) this.#buffer = new Uint8Array(WRITE_BUFFER_BYTES);
    if (this.#buffered + 5 + data.length > this.#buffer.length) await this.#flush();
    const view = new DataView(this.#buffer.buffer);
    this.#buffer[this.#buffered] = stream;
    view.setUint32(this.#buffered + 1, data.length);
    this.#buffered += 5;
    // Large chunks go straight to the file: copying them would only make garbage.
    if (data.length >= DIRECT_WRITE_BYTES || data.length > this.#buffer.length - this.#buffered) {
      await this.#flush();
      await this.#file!.handle.write(data);
      return;
    }
    this.#buffer.set(data, this.#buffered);
    this.#buffered += data.length;
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0 || !this.#file) return;
    await this.#file.handle.write(this.#buffer.subarray(0, this.#buffered));
    this.#buffered = 0;
  }

  /** The last `tailBytes` of output, both streams interleaved. */
  tail(): Uint8Array {
    const joined = concat(this.#tail, this.#tailBytes);
    return joined.length > this.#tailLimit ? joined.subarray(joined.length - this.#tailLimit) : joined;
  }

  /** Hands every captured chunk, in order, to `write`. */
  async replay(write: (stream: StreamId, data: Uint8Array) => void | Promise<void>): Promise<void> {
    if (this.#lost !== undefined) return; // the caller shows the tail instead
    if (!this.#file) {
      for (const chunk of this.#chunks) await write(chunk.stream, chunk.data);
      return;
    }
    await this.#flush();
    const { handle } = this.#file;
    const header = new Uint8Array(5);
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(header, 0, 5, position);
      if (bytesRead < 5) return;
      const length = new DataView(header.buffer).getUint32(1);
      const data = new Uint8Array(length);
      await handle.read(data, 0, length, position + 5);
      position += 5 + length;
      await write(header[0] as StreamId, data);
    }
  }

  /** Frees memory and removes the temp file. */
  async dispose(): Promise<void> {
    this.#chunks = [];
    this.#tail = [];
    this.#buffer = new Uint8Array(0);
    await this.#discardFile();
  }
}

/** A capture could not keep a step's output (its spill file failed): the step fails with this. */
export class OutputLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputLostError";
  }
}
