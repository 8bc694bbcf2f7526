/**
 * `tty: true` and `interactive: true` on `shell` and `atmos` steps, as in
 * Atmos (`pkg/process/shell_session.go`): the step attaches to muster's
 * terminal instead of running as a plain process.
 *
 * - `tty`: the command runs on a pseudo-terminal of its own (its stdout,
 *   stderr and stdin are a terminal even when muster's are pipes), sized as
 *   muster's terminal and resized with it; what it writes goes to muster's
 *   stdout. Without `interactive` it reads nothing from muster's stdin.
 * - `interactive`: muster's stdin is the command's (with `tty`: forwarded
 *   into its terminal, muster's own terminal in raw mode so that every key,
 *   Ctrl-C included, reaches it), and the step owns Ctrl-C: a SIGINT muster
 *   gets is passed on to the step, and the run is not canceled.
 *
 * Nothing is captured: the step's value is "" (as in Atmos). Under Deno,
 * which has no pseudo-terminal API, `tty: true` is refused when the step
 * runs (`interactive` alone works).
 * @module
 */
import * as v from "valibot";
import { EXIT_CANNOT_EXECUTE } from "../exit-codes.ts";
import { platform, type TerminalChild, type TerminalSize } from "../platform/index.ts";
import { expect } from "../workflow/schema.ts";
import type { StepValue } from "../workflow/run-state.ts";
import { claimInterrupts } from "../engine/interrupts.ts";

/** The fields (shell, atmos). */
export const terminalFields = {
  tty: v.optional(v.boolean(expect("true or false")), false),
  interactive: v.optional(v.boolean(expect("true or false")), false),
} as const;

/** How a step attaches to the terminal; absent when it does not. */
export interface TerminalSettings {
  tty: boolean;
  interactive: boolean;
}

/** The settings of built fields: undefined when neither is set. */
export function terminalOf(fields: { tty: boolean; interactive: boolean }): TerminalSettings | undefined {
  return fields.tty || fields.interactive ? { tty: fields.tty, interactive: fields.interactive } : undefined;
}

/**
 * A start line with the terminal settings after it.
 *
 * @example
 * ```ts
 * withTerminal("$ vim notes", { tty: true, interactive: true }); // "$ vim notes (tty, interactive)"
 * ```
 */
export function withTerminal(line: string, terminal: TerminalSettings | undefined): string {
  return terminal ? `${line} (${terminalLabel(terminal)})` : line;
}

/** `tty`, `interactive` or `tty, interactive`. */
export function terminalLabel(terminal: TerminalSettings): string {
  return [terminal.tty ? "tty" : "", terminal.interactive ? "interactive" : ""].filter(Boolean).join(", ");
}

/** Why `tty: true` cannot run here, or undefined when it can. */
export function ptyRefusal(): string | undefined {
  if (platform.spawnTerminal) return undefined;
  const why = platform.runtime === "deno" ? "Deno has no API to open one" : `muster cannot open one on ${platform.os}`;
  return `"tty: true" needs a pseudo-terminal, and ${why} (expected the muster executable, which runs on Bun, for tty steps; or interactive: true alone, which hands the command muster's own terminal)`;
}

/** The exit code of a refused tty step. */
export const EXIT_NO_PTY = EXIT_CANNOT_EXECUTE;

/** muster's terminal size (stdout's, else stderr's or stdin's), or undefined without one. */
export function hostTerminalSize(): TerminalSize | undefined {
  return platform.terminalSize(1) ?? platform.terminalSize(2) ?? platform.terminalSize(0);
}

/** The size a new terminal gets when muster has none (the classic 80x24). */
export const DEFAULT_TERMINAL_SIZE: TerminalSize = { columns: 80, rows: 24 };

/**
 * What a terminal child needs from muster while it runs: muster's stdin
 * forwarded into it (`forwardInput`: raw mode on muster's terminal; from a
 * pipe, its end becomes Ctrl-D, which a reading command sees as the end of
 * input), and resizes of muster's terminal. Returns what undoes it.
 */
export function attachTerminal(child: Pick<TerminalChild, "write" | "resize">, options: { forwardInput: boolean }): () => void {
  const undo: Array<() => void> = [];
  if (options.forwardInput) {
    const onTerminal = platform.isTerminal(0);
    const input = platform.openInput({ raw: onTerminal });
    input.onData((chunk) => child.write(chunk));
    if (!onTerminal) input.onEnd(() => child.write("\x04"));
    undo.push(() => input.close());
  }
  if (hostTerminalSize()) {
    undo.push(platform.onResize(() => {
      const size = hostTerminalSize();
      if (size) child.resize(size);
    }));
  }
  return () => {
    for (const step of undo.reverse()) step();
  };
}

/**
 * Makes a step own Ctrl-C while it runs: `pass` gets every SIGINT (see
 * `engine/interrupts.ts`). The returned function gives it back.
 */
export function ownInterrupts(pass: () => void): () => void {
  return claimInterrupts(pass);
}

/** The value of a terminal step (nothing is captured, as in Atmos). */
export const ATTACHED_VALUE: StepValue = { value: "", values: [], metadata: { stdout: "", stderr: "", exit_code: 0 } };
