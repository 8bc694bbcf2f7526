/**
 * Draws a prompt in place on the terminal (stderr): each frame replaces the
 * last one, lines are cut to the terminal's width so that none wraps (a
 * wrapped line would throw the row count off), and the real cursor is put
 * where the user types, so the prompts read the same with and without
 * colour. `finish` leaves one summary line behind.
 * @module
 */

/** What a prompt shows: its lines, and where the cursor goes (hidden when unset). */
export interface Frame {
  lines: string[];
  cursor?: { row: number; col: number };
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** The number of columns `text` takes (escape sequences take none). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/**
 * `text` cut to `width` visible columns, ending in `…` when cut; escape
 * sequences are kept (a colour is reset after a cut).
 *
 * @example
 * ```ts
 * fitWidth("abcdef", 4); // "abc…"
 * ```
 */
export function fitWidth(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let shown = 0;
  let i = 0;
  while (i < text.length && shown < width - 1) {
    ANSI.lastIndex = i;
    const escape = text[i] === "\x1b" ? ANSI.exec(text) : null;
    if (escape && escape.index === i) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    out += ch;
    i += ch.length;
    shown++;
  }
  return `${out}${text.includes("\x1b") ? "\x1b[0m" : ""}…`;
}

/**
 * Redraws frames in place through `write` (the terminal, stderr).
 *
 * @example
 * ```ts
 * const screen = new PromptScreen((text) => platform.write(2, encode(text)), 80);
 * screen.draw({ lines: ["? Name", "  › "], cursor: { row: 1, col: 4 } });
 * screen.finish("✔ Name · muster");
 * ```
 */
export class PromptScreen {
  #write: (text: string) => void | Promise<void>;
  #width: number;
  /** Rows of the frame on screen, and the row the cursor is on. */
  #rows = 0;
  #cursorRow = 0;

  constructor(write: (text: string) => void | Promise<void>, columns: number) {
    this.#write = write;
    this.#width = Math.max(20, columns - 1);
  }

  /** The width lines are cut to. */
  get width(): number {
    return this.#width;
  }

  /** Replaces the frame on screen with `frame`. */
  draw(frame: Frame): void | Promise<void> {
    const lines = frame.lines.map((line) => fitWidth(line, this.#width));
    let text = this.#erase() + lines.join("\n");
    this.#rows = lines.length;
    this.#cursorRow = lines.length - 1;
    if (frame.cursor) {
      const up = lines.length - 1 - frame.cursor.row;
      text += `${up > 0 ? `\x1b[${up}A` : ""}\r${frame.cursor.col > 0 ? `\x1b[${Math.min(frame.cursor.col, this.#width)}C` : ""}\x1b[?25h`;
      this.#cursorRow = frame.cursor.row;
    } else text += "\x1b[?25l";
    return this.#write(text);
  }

  /** Replaces the frame with `summary` (lines kept in the transcript) and shows the cursor. */
  finish(summary: string[]): void | Promise<void> {
    const lines = summary.map((line) => fitWidth(line, this.#width));
    const text = `${this.#erase()}${lines.map((line) => `${line}\n`).join("")}\x1b[?25h`;
    this.#rows = 0;
    return this.#write(text);
  }

  /** Erases the frame on screen, leaving the cursor at the start of its first row. */
  #erase(): string {
    if (this.#rows === 0) return "";
    const down = this.#rows - 1 - this.#cursorRow;
    return `${down > 0 ? `\x1b[${down}B` : ""}\r\x1b[2K${"\x1b[1A\x1b[2K".repeat(this.#rows - 1)}`;
  }
}
