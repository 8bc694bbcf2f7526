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

function stream(fd: 1 | 2, env: Record<string, string>): OutputStream {
  const isTerminal = platform.isTerminal(fd);
  return {
    isTerminal,
    colors: createColors(shouldColor(env, isTerminal)),
    write: (data) => platform.write(fd, typeof data === "string" ? encoder.encode(data) : data),
  };
}

const env = platform.env(); // one copy of the environment for both decisions
/** Standard output (children's output). */
export const stdout: OutputStream = stream(1, env);
/** Standard error (muster's own messages). */
export const stderr: OutputStream = stream(2, env);

/** Turns the terminal's echo of typed keys off and back on. */
export interface EchoControl {
  off(): Promise<void>;
  on(): Promise<void>;
}

/**
 * Echo control of the terminal on stdin through `stty` (POSIX): `off`
 * saves the settings (`stty -g`) and clears `echo`, `on` puts the saved
 * settings back. Calls run in order; `on` without `off` does nothing.
 */
export function sttyEcho(): EchoControl {
  let saved: string | undefined;
  let queue: Promise<void> = Promise.resolve();
  const stty = async (script: string, ...args: string[]): Promise<string> => {
    try {
      const child = platform.spawn(["sh", "-c", script, "stty", ...args], { env: { PATH: platform.env().PATH ?? "/usr/bin:/bin" }, stdin: "inherit", stdout: "pipe", stderr: "null" });
      const [text] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      return text.trim();
    } catch {
      return ""; // no stty: typed keys stay echoed
    }
  };
  const then = (step: () => Promise<void>) => (queue = queue.then(step, step));
  return {
    off: () => then(async () => {
      if (saved !== undefined) return;
      saved = (await stty('stty -g && stty -echo')) || undefined;
    }),
    on: () => then(async () => {
      if (saved === undefined) return;
      const settings = saved;
      saved = undefined;
      await stty('stty "$1"', settings);
    }),
  };
}
