/**
 * One prompt on muster's own terminal, for the CLI's pickers (the steps'
 * prompts go through the step kinds, which also handle answers and defaults).
 * @module
 */
import { InterruptError } from "../errors.ts";
import { stderr } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { runPrompt } from "./run-prompt.ts";
import type { PromptView } from "./view.ts";

/**
 * Asks `view` on the terminal; Esc or Ctrl-C throws an interrupt (exit 130).
 *
 * @example
 * ```ts
 * const [file] = await ask("Which file?", new ListView({ prompt: "Which file?", options: ["a.yaml", "b.yaml"] }));
 * ```
 */
export async function ask<T>(title: string, view: PromptView<T>): Promise<T> {
  const keyboard = platform.openKeyboard();
  if (!keyboard) throw new Error("ask needs a terminal on stdin");
  const encoder = new TextEncoder();
  const end = await runPrompt(title, view, {
    keyboard,
    write: (text) => platform.write(2, encoder.encode(text)),
    columns: platform.columns(2) ?? 80,
    colors: stderr.colors,
    signal: new AbortController().signal,
  });
  if (end.status !== "answered") throw new InterruptError("SIGINT", "aborted at the prompt");
  return end.value;
}
