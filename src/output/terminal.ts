/**
 * muster's view of its own stdout and stderr: colour decisions and ordered,
 * encoded writes. Children's stdout goes to stdout; muster's own messages to stderr.
 * @module
 */
import { platform } from "../platform/index.ts";
import { createColors, shouldColor, type Colors } from "./colors.ts";

const encoder = new TextEncoder();

/** One of muster's output streams. */
export interface OutputStream {
  readonly isTerminal: boolean;
  readonly colors: Colors;
  /** Writes text or bytes; resolves when the runtime accepted them. */
  write(data: string | Uint8Array): void | Promise<void>;
}

function stream(fd: 1 | 2): OutputStream {
  const isTerminal = platform.isTerminal(fd);
  return {
    isTerminal,
    colors: createColors(shouldColor(platform.env(), isTerminal)),
    write: (data) => platform.write(fd, typeof data === "string" ? encoder.encode(data) : data),
  };
}

/** Standard output (children's output). */
export const stdout: OutputStream = stream(1);
/** Standard error (muster's own messages). */
export const stderr: OutputStream = stream(2);
