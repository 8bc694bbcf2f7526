/**
 * What every prompt is to the loop that runs it (`run-prompt.ts`): a frame
 * to draw, a reaction to each key, the answer, and the line left behind.
 * The look shared by all prompts lives here too: a `?` title, the body
 * indented two columns, a dim line of keys, and `✔ title · answer` after.
 * @module
 */
import type { Colors } from "../output/colors.ts";
import type { Key } from "./keys.ts";
import type { Frame } from "./screen.ts";

/** How a key press ended, if it did: with an answer, or by the user aborting (Esc, Ctrl-C). */
export type KeyResult = "submit" | "abort" | undefined;

/** A prompt's state and drawing. */
export interface PromptView<T> {
  /** The frame for the current state, lines at most `width` columns (longer ones are cut). */
  frame(colors: Colors, width: number): Frame;
  /** Applies one key press. */
  key(key: Key): KeyResult;
  /** The answer, once `key` said "submit". */
  answer(): T;
  /** The answer as the summary line shows it (a password is never shown). */
  shown(): string;
}

/** The title lines: `? ` then the prompt; a prompt of several lines continues indented. */
export function titleLines(prompt: string, colors: Colors, suffix = ""): string[] {
  const lines = prompt.replace(/\n+$/, "").split("\n");
  return lines.map((line, i) => (i === 0 ? `${colors.cyan("?")} ${colors.bold(line)}` : `  ${colors.bold(line)}`) + (i === lines.length - 1 ? suffix : ""));
}

/** The dim line of keys under a prompt. */
export function hintLine(colors: Colors, parts: string[]): string {
  return colors.dim(`  ${parts.join(" · ")}`);
}

/** The line a prompt leaves behind: `✔ prompt · answer`, or `✗ prompt · aborted`. */
export function summaryLine(prompt: string, colors: Colors, outcome: { answer: string } | { aborted: string }): string {
  const title = prompt.replace(/\n+$/, "").split("\n")[0] ?? "";
  return "answer" in outcome
    ? `${colors.green("✔")} ${title} ${colors.dim("·")} ${colors.cyan(outcome.answer)}`
    : `${colors.red("✗")} ${title} ${colors.dim("·")} ${colors.red(outcome.aborted)}`;
}
