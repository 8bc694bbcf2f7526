/**
 * A yes/no question (`confirm`): ←/→ (or Tab, h/l) moves between Yes and
 * No, `y` or `n` answers at once, Enter takes the one marked. The marked
 * answer is bracketed, so it reads without colour too.
 * @module
 */
import type { Colors } from "../output/colors.ts";
import type { Key } from "./keys.ts";
import type { Frame } from "./screen.ts";
import { hintLine, type KeyResult, type PromptView, titleLines } from "./view.ts";

/**
 * The `confirm` prompt; its answer is true for Yes.
 *
 * @example
 * ```ts
 * const view = new ConfirmView("Deploy?", false);
 * view.key({ name: "char", text: "y" }); // "submit"
 * view.answer(); // true
 * ```
 */
export class ConfirmView implements PromptView<boolean> {
  #prompt: string;
  #yes: boolean;

  constructor(prompt: string, initial: boolean) {
    this.#prompt = prompt;
    this.#yes = initial;
  }

  frame(colors: Colors): Frame {
    const title = titleLines(this.#prompt, colors);
    const option = (label: string, marked: boolean) => (marked ? colors.cyan(colors.bold(`[${label}]`)) : colors.dim(` ${label} `));
    return {
      lines: [...title, `  ${colors.cyan("›")} ${option("Yes", this.#yes)} ${option("No", !this.#yes)}`, hintLine(colors, ["←/→ choose", "y/n", "enter submit", "esc cancel"])],
    };
  }

  key(key: Key): KeyResult {
    switch (key.name) {
      case "enter":
        return "submit";
      case "escape":
      case "ctrl-c":
        return "abort";
      case "left":
      case "right":
      case "tab":
      case "backtab":
        this.#yes = !this.#yes;
        return undefined;
      case "char": {
        const ch = key.text!.toLowerCase();
        if (ch === "y" || ch === "n") {
          this.#yes = ch === "y";
          return "submit";
        }
        if (ch === "h" || ch === "l") this.#yes = ch === "h";
        return undefined;
      }
      default:
        return undefined;
    }
  }

  answer(): boolean {
    return this.#yes;
  }

  shown(): string {
    return this.#yes ? "Yes" : "No";
  }
}
