/**
 * A multi-line text editor (`write`), `height` rows tall: typing, arrows,
 * Home/End, Backspace joining lines. As in Atmos (huh), Enter submits and
 * Ctrl-J or Alt-Enter starts a new line; Ctrl-D submits too.
 * @module
 */
import type { Colors } from "../output/colors.ts";
import type { Key } from "./keys.ts";
import type { Frame } from "./screen.ts";
import { hintLine, type KeyResult, type PromptView, titleLines } from "./view.ts";

/** Options for {@linkcode EditorView}. */
export interface EditorOptions {
  prompt: string;
  placeholder?: string;
  /** Rows shown (5 by default, as Atmos). */
  height?: number;
}

/**
 * The `write` prompt.
 *
 * @example
 * ```ts
 * const view = new EditorView({ prompt: "Notes" });
 * for (const text of "hi") view.key({ name: "char", text });
 * view.key({ name: "newline" });
 * view.key({ name: "enter" }); // "submit"
 * view.answer(); // "hi\n"
 * ```
 */
export class EditorView implements PromptView<string> {
  #options: EditorOptions;
  #lines: string[][] = [[]];
  #row = 0;
  #col = 0;
  #top = 0;

  constructor(options: EditorOptions) {
    this.#options = options;
  }

  get #height(): number {
    return Math.max(1, this.#options.height ?? 5);
  }

  frame(colors: Colors): Frame {
    const lines = titleLines(this.#options.prompt, colors);
    const first = lines.length;
    if (this.#row < this.#top) this.#top = this.#row;
    if (this.#row >= this.#top + this.#height) this.#top = this.#row - this.#height + 1;
    const empty = this.#lines.length === 1 && this.#lines[0]!.length === 0;
    const placeholder = (this.#options.placeholder ?? "").replace(/\n+$/, "").split("\n");
    for (let k = 0; k < this.#height; k++) {
      const text = empty ? (this.#options.placeholder ? colors.dim(placeholder[k] ?? "") : "") : (this.#lines[this.#top + k]?.join("") ?? "");
      lines.push(`  ${colors.cyan("│")} ${text}`);
    }
    const more = this.#lines.length - this.#top - this.#height;
    lines.push(hintLine(colors, [...(more > 0 ? [`↓ ${more} more lines`] : []), "enter submit", "ctrl-j/alt+enter new line", "esc cancel"]));
    return { lines, cursor: { row: first + this.#row - this.#top, col: 4 + this.#col } };
  }

  key(key: Key): KeyResult {
    const line = this.#lines[this.#row]!;
    switch (key.name) {
      case "enter":
      case "ctrl-d":
        return "submit";
      case "escape":
      case "ctrl-c":
        return "abort";
      case "newline":
        this.#lines.splice(this.#row + 1, 0, line.splice(this.#col));
        this.#row++;
        this.#col = 0;
        break;
      case "char":
      case "space":
      case "tab": {
        const chars = [...(key.name === "tab" ? "  " : key.text!)];
        line.splice(this.#col, 0, ...chars);
        this.#col += chars.length;
        break;
      }
      case "backspace":
        if (this.#col > 0) line.splice(--this.#col, 1);
        else if (this.#row > 0) {
          const previous = this.#lines[this.#row - 1]!;
          this.#col = previous.length;
          previous.push(...line);
          this.#lines.splice(this.#row--, 1);
        }
        break;
      case "delete":
        if (this.#col < line.length) line.splice(this.#col, 1);
        else if (this.#row < this.#lines.length - 1) line.push(...this.#lines.splice(this.#row + 1, 1)[0]!);
        break;
      case "left":
        if (this.#col > 0) this.#col--;
        else if (this.#row > 0) this.#col = this.#lines[--this.#row]!.length;
        break;
      case "right":
        if (this.#col < line.length) this.#col++;
        else if (this.#row < this.#lines.length - 1) {
          this.#row++;
          this.#col = 0;
        }
        break;
      case "up":
        if (this.#row > 0) this.#col = Math.min(this.#col, this.#lines[--this.#row]!.length);
        break;
      case "down":
        if (this.#row < this.#lines.length - 1) this.#col = Math.min(this.#col, this.#lines[++this.#row]!.length);
        break;
      case "home":
      case "ctrl-a":
        this.#col = 0;
        break;
      case "end":
      case "ctrl-e":
        this.#col = line.length;
        break;
    }
    return undefined;
  }

  answer(): string {
    return this.#lines.map((line) => line.join("")).join("\n");
  }

  shown(): string {
    const lines = this.answer().split("\n");
    return lines.length > 1 ? `${lines[0]} … (${lines.length} lines)` : lines[0]!;
  }
}
