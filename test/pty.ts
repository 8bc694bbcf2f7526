/**
 * A real pseudo-terminal for end-to-end tests of what muster does on a
 * terminal (prompts, pickers): the program gets the PTY as stdin, stdout
 * and stderr (Bun.Terminal), the test types keys and waits for text to
 * appear. Waiting is a handshake on the output, never a sleep; the time
 * limit only turns a hang into a failure that shows the screen.
 */
import { baseEnv, musterBin, repoRoot } from "./helpers.ts";

/** Keys as a raw terminal sends them. */
export const KEY = {
  enter: "\r",
  newline: "\n",
  esc: "\x1b",
  ctrlC: "\x03",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  space: " ",
  backspace: "\x7f",
} as const;

// deno-lint-ignore no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r/g;

/** `text` without escape sequences and carriage returns. */
export function plain(text: string): string {
  return text.replace(ESCAPES, "");
}

/** A program running on a pseudo-terminal. */
export class PtySession {
  /** Everything the program wrote, escapes included. */
  raw = "";
  readonly exited: Promise<number>;
  #terminal: Bun.Terminal;
  #proc: Bun.Subprocess;
  #waiters: Array<() => void> = [];
  /** Where the last match ended, in the plain transcript. */
  #mark = 0;

  constructor(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; command?: string[]; cols?: number } = {}) {
    this.#terminal = new Bun.Terminal({
      cols: options.cols ?? 80,
      rows: 30,
      data: (_t, data) => {
        this.raw += new TextDecoder().decode(data);
        for (const waiter of [...this.#waiters]) waiter();
      },
    });
    this.#proc = Bun.spawn([...(options.command ?? [musterBin]), ...args], {
      cwd: options.cwd ?? repoRoot,
      env: baseEnv({ TERM: "xterm-256color", ...options.env }),
      terminal: this.#terminal,
    });
    this.exited = this.#proc.exited.then(async (code) => {
      // The last output may still be in the PTY: wait for the reader to drain it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return code;
    });
  }

  get pid(): number {
    return this.#proc.pid;
  }

  /** The plain text written since the last `waitFor` matched. */
  get recent(): string {
    return plain(this.raw).slice(this.#mark);
  }

  /** The whole transcript, plain. */
  get screen(): string {
    return plain(this.raw);
  }

  /** Resolves when `text` has appeared after the last match; the next wait looks only after this one. */
  waitFor(text: string | RegExp, limitMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const rest = plain(this.raw).slice(this.#mark);
        const match = typeof text === "string" ? { index: rest.indexOf(text), length: text.length } : (() => {
          const found = text.exec(rest);
          return { index: found?.index ?? -1, length: found?.[0].length ?? 0 };
        })();
        if (match.index < 0) return false;
        this.#mark += match.index + match.length;
        return true;
      };
      if (check()) return resolve();
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`waited for ${JSON.stringify(String(text))}; the screen after the last match:\n${this.recent}`));
      }, limitMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.#waiters.push(waiter);
    });
  }

  /** Types `keys`. */
  type(...keys: string[]): void {
    for (const key of keys) this.#terminal.write(key);
  }

  /** Resizes the terminal (the program's foreground group gets SIGWINCH). */
  resize(cols: number, rows: number): void {
    this.#terminal.resize(cols, rows);
  }

  /** Ends the session: kills the program if it still runs, closes the terminal. */
  async close(): Promise<void> {
    if (this.#proc.exitCode === null) this.#proc.kill("SIGKILL");
    await this.#proc.exited;
    this.#terminal.close();
  }
}
