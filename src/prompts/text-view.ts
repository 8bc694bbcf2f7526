/**
 * A one-line text field (`input`, and `password: true` masked with `•`):
 * typing, ←/→, Home/End (Ctrl-A/E), Backspace/Delete, Ctrl-U/K/W. An empty
 * entry takes the default, as Atmos does.
 * @module
 */
import type { Colors } from "../output/colors.ts";
import type { Key } from "./keys.ts";
import type { Frame } from "./screen.ts";
import { hintLine, type KeyResult, type PromptView, titleLines } from "./view.ts";

/** Options for {@linkcode TextView}. */
export interface TextOptions {
  prompt: string;
  placeholder?: string;
  /** Taken when the entry is empty. */
  defaultValue?: string;
  password?: boolean;
}

/** Edits one line of text; the cursor is a position in `chars`. */
export class LineEditor {
  chars: string[] = [];
  cursor = 0;

  get text(): string {
    return this.chars.join("");
  }

  /** Applies an editing key; false when the key is not an editing key. */
  edit(key: Key): boolean {
    switch (key.name) {
      case "char":
      case "space":
        this.chars.splice(this.cursor, 0, ...[...key.text!]);
        this.cursor += [...key.text!].length;
        return true;
      case "backspace":
        if (this.cursor > 0) this.chars.splice(--this.cursor, 1);
        return true;
      case "delete":
        this.chars.splice(this.cursor, 1);
        return true;
      case "left":
        this.cursor = Math.max(0, this.cursor - 1);
        return true;
      case "right":
        this.cursor = Math.min(this.chars.length, this.cursor + 1);
        return true;
      case "home":
      case "ctrl-a":
        this.cursor = 0;
        return true;
      case "end":
      case "ctrl-e":
        this.cursor = this.chars.length;
        return true;
      case "ctrl-u":
        this.chars.splice(0, this.cursor);
        this.cursor = 0;
        return true;
      case "ctrl-k":
        this.chars.splice(this.cursor);
        return true;
      case "ctrl-w": {
        let start = this.cursor;
        while (start > 0 && this.chars[start - 1] === " ") start--;
        while (start > 0 && this.chars[start - 1] !== " ") start--;
        this.chars.splice(start, this.cursor - start);
        this.cursor = start;
        return true;
      }
      default:
        return false;
    }
  }
}

/**
 * The `input` prompt.
 *
 * @example
 * ```ts
 * const view = new TextView({ prompt: "Name", defaultValue: "dev" });
 * view.key({ name: "enter" }); // "submit"
 * view.answer(); // "dev"
 * ```
 */
export class TextView implements PromptView<string> {
  #options: TextOptions;
  #line = new LineEditor();

  constructor(options: TextOptions) {
    this.#options = options;
  }

  frame(colors: Colors): Frame {
    const { prompt, placeholder, defaultValue, password } = this.#options;
    const title = titleLines(prompt, colors, defaultValue ? colors.dim(` (${password ? "default set" : defaultValue})`) : "");
    const shown = password ? "•".repeat(this.#line.chars.length) : this.#line.text;
    const body = shown === "" && placeholder ? colors.dim(placeholder) : shown;
    const hints = ["enter submit", "esc cancel"];
    return { lines: [...title, `  ${colors.cyan("›")} ${body}`, hintLine(colors, hints)], cursor: { row: title.length, col: 4 + this.#line.cursor } };
  }

  key(key: Key): KeyResult {
    if (key.name === "enter") return "submit";
    if (key.name === "escape" || key.name === "ctrl-c") return "abort";
    this.#line.edit(key);
    return undefined;
  }

  answer(): string {
    const text = this.#line.text;
    return text === "" && this.#options.defaultValue !== undefined ? this.#options.defaultValue : text;
  }

  shown(): string {
    return this.#options.password ? "••••••" : this.answer();
  }
}
