/**
 * One prompt on muster's own terminal: the prompt steps (which also handle
 * answers and defaults) and the CLI's pickers both ask through here.
 * @module
 */
import { InterruptError } from "../errors.ts";
import { stderr } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { type PromptEnd, runPrompt } from "./run-prompt.ts";
import type { PromptView } from "./view.ts";

/** What {@linkcode askOnTerminal} may be given. */
export interface AskOptions {
  /** Aborting it ends the prompt as canceled (a step's cancellation). */
  signal?: AbortSignal;
  /** The width to draw in (default: stderr's). */
  columns?: number;
}

/**
 * Shows `view` on muster's terminal: keys from stdin in raw mode, the
 * drawing on stderr in its colours. Throws when stdin is not a terminal.
 *
 * @example
 * ```ts
 * const end = await askOnTerminal("Deploy?", new ConfirmView("Deploy?", false), { signal });
 * if (end.status === "answered") end.value; // true or false
 * ```
 */
export function askOnTerminal<T>(title: string, view: PromptView<T>, options: AskOptions = {}): Promise<PromptEnd<T>> {
  const keyboard = platform.openKeyboard();
  if (!keyboard) throw new Error("a prompt needs a terminal on stdin");
  const encoder = new TextEncoder();
  return runPrompt(title, view, {
    keyboard,
    write: (text) => platform.write(2, encoder.encode(text)),
    columns: options.columns ?? platform.columns(2) ?? 80,
    colors: stderr.colors,
    signal: options.signal ?? new AbortController().signal,
  });
}

/**
 * Asks `view` on the terminal (the CLI's pickers); Esc or Ctrl-C throws an interrupt (exit 130).
 *
 * @example
 * ```ts
 * const [file] = await ask("Which file?", new ListView({ prompt: "Which file?", options: ["a.yaml", "b.yaml"] }));
 * ```
 */
export async function ask<T>(title: string, view: PromptView<T>): Promise<T> {
  const end = await askOnTerminal(title, view);
  if (end.status !== "answered") throw new InterruptError("SIGINT", "aborted at the prompt");
  return end.value;
}
