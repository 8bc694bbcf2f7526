/**
 * A child on a pseudo-terminal of its own, through Bun's terminal API
 * (`Bun.spawn` with `terminal`). Bun opens the terminal and gives it to the
 * child as stdin, stdout and stderr, but does not make it the child's
 * controlling terminal: Ctrl-C written to it would then signal nobody, and
 * `/dev/tty` would not open. A session leader without a controlling
 * terminal acquires the first terminal it opens, so the child starts as a
 * tiny `sh` shim that opens its own stdin again and then runs the command.
 * @internal
 * @module
 */
import { existsSync } from "node:fs";
import type { TerminalChild, TerminalSpawnOptions } from "../types.ts";
import { SpawnError } from "../types.ts";

/** How long the terminal must stay quiet after the child's group ended for its output to count as read, and the most a drain waits. */
const QUIET_MS = 50;
const DRAIN_LIMIT_MS = 1000;

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13, SIGABRT: 6 };

/** Reopens the terminal on fd 0 (Linux: /proc/self/fd/0; elsewhere the path `tty` names), which makes it the controlling one. */
const CONTROLLING_SHIM = 'if [ -e /proc/self/fd/0 ]; then exec 0<>/proc/self/fd/0; else exec 0<>"$(tty)"; fi; exec "$@"';

/**
 * Starts `argv` on a new pseudo-terminal.
 *
 * @example
 * ```ts
 * const child = spawnOnTerminal(["sh", "-c", "tty"], { size: { columns: 80, rows: 24 }, onData: (d) => out.push(d) });
 * await child.exited; // { code: 0, signal: null }
 * ```
 */
export function spawnOnTerminal(argv: string[], options: TerminalSpawnOptions): TerminalChild {
  if (options.cwd !== undefined && !existsSync(options.cwd)) throw new SpawnError(argv[0] ?? "", "ENOCWD", undefined, options.cwd);
  let lastData = performance.now();
  const terminal = new Bun.Terminal({
    cols: options.size.columns,
    rows: options.size.rows,
    name: options.env?.TERM || "xterm-256color",
    data: (_t, data) => {
      lastData = performance.now();
      options.onData(new Uint8Array(data));
    },
  });
  let proc: Bun.Subprocess;
  try {
    proc = Bun.spawn(["/bin/sh", "-c", CONTROLLING_SHIM, "sh", ...argv], { cwd: options.cwd, env: options.env, terminal, detached: true });
  } catch (error) {
    terminal.close();
    throw new SpawnError(argv[0] ?? "", (error as { code?: string }).code ?? "EUNKNOWN", error, options.cwd);
  }
  return {
    pid: proc.pid,
    write: (data) => void (terminal.closed ? 0 : terminal.write(data)),
    resize: (size) => void (terminal.closed ? undefined : terminal.resize(size.columns, size.rows)),
    exited: proc.exited.then((exitCode) => {
      const signal = proc.signalCode ? String(proc.signalCode) : null;
      if (signal) return { code: 128 + (SIGNAL_NUMBERS[signal] ?? 0), signal };
      return { code: exitCode ?? 1, signal: null };
    }),
    async drain() {
      // Bun reads the terminal on later turns of the event loop: the last bytes written before the exit may still be
      // unread; closing now would lose them (measured: the last write, now and then). Once no writer is left, a quiet
      // moment (counted from now at the earliest: the last bytes may not have been seen at all yet) means they have been read.
      const started = performance.now();
      while (performance.now() - Math.max(lastData, started) < QUIET_MS && performance.now() - started < DRAIN_LIMIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS / 3));
      }
    },
    close: () => terminal.close(),
  };
}
