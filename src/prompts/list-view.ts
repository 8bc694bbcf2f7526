/**
 * A list to pick from: `choose` (one option), `filter` (typed text
 * narrows the list by fuzzy match; one option, or several with `multiple`
 * and `limit`) and `file` (a filter over file paths). ↑/↓ (Ctrl-P/N) move,
 * PgUp/PgDn page, Enter picks; with several, Space toggles, Ctrl-A toggles
 * every shown option, and Enter with none ticked picks the highlighted one.
 * @module
 */
import type { Colors } from "../output/colors.ts";
import { rankOptions } from "./fuzzy.ts";
import type { Key } from "./keys.ts";
import type { Frame } from "./screen.ts";
import { LineEditor } from "./text-view.ts";
import { hintLine, type KeyResult, type PromptView, titleLines } from "./view.ts";

/** Options for {@linkcode ListView}. */
export interface ListOptions {
  prompt: string;
  options: readonly string[];
  /** Typing filters the list. */
  filterable?: boolean;
  /** Up to this many may be ticked (more than 1 makes it a multi-select). */
  limit?: number;
  /** Highlighted first (a single pick), or ticked first (several). */
  initial?: readonly string[];
  /** Rows of options shown at once. */
  pageSize?: number;
}

/**
 * The `choose`, `filter` and `file` prompts: the answer is the picked options, in list order.
 *
 * @example
 * ```ts
 * const view = new ListView({ prompt: "Env", options: ["dev", "prod"], initial: ["prod"] });
 * view.key({ name: "enter" }); // "submit"
 * view.answer(); // ["prod"]
 * ```
 */
export class ListView implements PromptView<string[]> {
  #options: ListOptions;
  #query = new LineEditor();
  /** Indexes into options of the shown (matching) options, best first, and their matched characters. */
  #shown: Array<{ index: number; positions: number[] }> = [];
  /** Position of the highlight in #shown, and of the first row drawn. */
  #cursor = 0;
  #top = 0;
  #ticked = new Set<number>();
  #message = "";

  constructor(options: ListOptions) {
    this.#options = options;
    this.#refilter();
    const initial = options.initial ?? [];
    if (this.#multi) for (const value of initial) {
      const index = options.options.indexOf(value);
      if (index >= 0 && this.#ticked.size < this.#limit) this.#ticked.add(index);
    }
    else if (initial[0] !== undefined) this.#cursor = Math.max(0, this.#shown.findIndex((s) => options.options[s.index] === initial[0]));
  }

  get #multi(): boolean {
    return this.#limit > 1;
  }

  get #limit(): number {
    return this.#options.limit ?? 1;
  }

  get #pageSize(): number {
    return this.#options.pageSize ?? 10;
  }

  #refilter(): void {
    this.#shown = rankOptions(this.#options.filterable ? this.#query.text : "", this.#options.options);
    this.#cursor = 0;
    this.#top = 0;
  }

  frame(colors: Colors): Frame {
    const lines = titleLines(this.#options.prompt, colors);
    let cursor: Frame["cursor"];
    if (this.#options.filterable) {
      const query = this.#query.text;
      lines.push(`  ${colors.cyan("/")} ${query === "" ? colors.dim("type to filter") : query}`);
      cursor = { row: lines.length - 1, col: 4 + this.#query.cursor };
    }
    if (this.#cursor < this.#top) this.#top = this.#cursor;
    if (this.#cursor >= this.#top + this.#pageSize) this.#top = this.#cursor - this.#pageSize + 1;
    const page = this.#shown.slice(this.#top, this.#top + this.#pageSize);
    if (this.#top > 0) lines.push(colors.dim(`    ↑ ${this.#top} more`));
    page.forEach((item, k) => {
      const here = this.#top + k === this.#cursor;
      const tick = this.#multi ? `${this.#ticked.has(item.index) ? colors.green("◉") : colors.dim("○")} ` : "";
      const text = highlight(this.#options.options[item.index]!, item.positions, colors);
      lines.push(`  ${here ? colors.cyan("❯") : " "} ${tick}${here ? colors.bold(text) : text}`);
    });
    const below = this.#shown.length - this.#top - page.length;
    if (below > 0) lines.push(colors.dim(`    ↓ ${below} more`));
    if (this.#shown.length === 0) lines.push(colors.yellow(`    no option matches "${this.#query.text}"`));
    const hints = this.#multi
      ? [`${this.#ticked.size}/${this.#limit} selected`, "space toggle", "enter submit", "esc cancel"]
      : ["↑/↓ move", "enter select", "esc cancel"];
    if (this.#options.filterable && this.#shown.length !== this.#options.options.length) hints.unshift(`${this.#shown.length}/${this.#options.options.length}`);
    if (this.#message) lines.push(colors.yellow(`  ${this.#message}`));
    lines.push(hintLine(colors, hints));
    return { lines, cursor };
  }

  key(key: Key): KeyResult {
    this.#message = "";
    const count = this.#shown.length;
    switch (key.name) {
      case "escape":
      case "ctrl-c":
        return "abort";
      case "enter":
        if (this.#multi) {
          if (this.#ticked.size === 0 && count > 0) this.#ticked.add(this.#shown[this.#cursor]!.index);
          return "submit";
        }
        return count > 0 ? "submit" : undefined;
      case "up":
        if (count > 0) this.#cursor = (this.#cursor - 1 + count) % count;
        return undefined;
      case "down":
      case "tab":
        if (count > 0) this.#cursor = (this.#cursor + 1) % count;
        return undefined;
      case "pageup":
        this.#cursor = Math.max(0, this.#cursor - this.#pageSize);
        return undefined;
      case "pagedown":
        this.#cursor = Math.max(0, Math.min(count - 1, this.#cursor + this.#pageSize));
        return undefined;
      case "space":
        if (this.#multi) {
          this.#toggle(this.#shown[this.#cursor]?.index);
          return undefined;
        }
        break;
      case "ctrl-a":
        if (this.#multi) {
          const all = this.#shown.every((s) => this.#ticked.has(s.index));
          for (const s of this.#shown) {
            if (all) this.#ticked.delete(s.index);
            else if (this.#ticked.size < this.#limit) this.#ticked.add(s.index);
          }
          return undefined;
        }
        break;
    }
    if (this.#options.filterable) {
      const before = this.#query.text;
      if (this.#query.edit(key) && this.#query.text !== before) this.#refilter();
    }
    return undefined;
  }

  #toggle(index: number | undefined): void {
    if (index === undefined) return;
    if (this.#ticked.has(index)) this.#ticked.delete(index);
    else if (this.#ticked.size >= this.#limit) this.#message = `at most ${this.#limit} may be selected`;
    else this.#ticked.add(index);
  }

  answer(): string[] {
    if (this.#multi) return [...this.#ticked].sort((a, b) => a - b).map((i) => this.#options.options[i]!);
    const item = this.#shown[this.#cursor];
    return item ? [this.#options.options[item.index]!] : [];
  }

  shown(): string {
    const answer = this.answer();
    return answer.length === 0 ? "(none)" : answer.join(", ");
  }
}

/** `text` with the characters at `positions` underlined (bold cyan in colour). */
function highlight(text: string, positions: number[], colors: Colors): string {
  if (positions.length === 0 || !colors.enabled) return text;
  const marked = new Set(positions);
  return [...text].map((ch, i) => (marked.has(i) ? colors.cyan(ch) : ch)).join("");
}
