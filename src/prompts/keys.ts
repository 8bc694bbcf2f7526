/**
 * Turns the bytes a terminal in raw mode sends into key presses: arrows,
 * enter, backspace, Esc, Ctrl-C, printable text. Only what the prompts use
 * is named; other escape sequences are skipped whole, so an unknown key
 * never types garbage.
 * @module
 */

/** The keys prompts react to. `char` carries the typed text. */
export type KeyName =
  | "up" | "down" | "left" | "right" | "home" | "end" | "pageup" | "pagedown"
  | "enter" | "newline" | "tab" | "backtab" | "space" | "backspace" | "delete"
  | "escape" | "ctrl-c" | "ctrl-d" | "ctrl-a" | "ctrl-e" | "ctrl-u" | "ctrl-w" | "ctrl-k"
  | "char";

/** One key press. */
export interface Key {
  name: KeyName;
  /** The text typed, for `char` (one character, possibly outside the BMP). */
  text?: string;
}

const CSI: Record<string, KeyName> = {
  A: "up", B: "down", C: "right", D: "left", H: "home", F: "end", Z: "backtab",
  "1~": "home", "7~": "home", "4~": "end", "8~": "end", "3~": "delete", "5~": "pageup", "6~": "pagedown",
};

const CONTROL: Record<string, KeyName> = {
  "\r": "enter", "\n": "newline", "\t": "tab", "\x7f": "backspace", "\b": "backspace",
  "\x03": "ctrl-c", "\x04": "ctrl-d", "\x01": "ctrl-a", "\x05": "ctrl-e", "\x15": "ctrl-u", "\x17": "ctrl-w", "\x0b": "ctrl-k",
  "\x10": "up", "\x0e": "down",
};

/**
 * The key presses in one chunk read from a raw terminal. A lone ESC (at the
 * end of a chunk, or before another ESC) is the Esc key; `ESC [ ...` and
 * `ESC O x` are sequences; `ESC` + Enter is Alt-Enter (a new line in `write`).
 *
 * @example
 * ```ts
 * parseKeys("a\x1b[B\r"); // [{ name: "char", text: "a" }, { name: "down" }, { name: "enter" }]
 * ```
 */
export function parseKeys(input: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === "\x1b") {
      const next = input[i + 1];
      if (next === undefined || next === "\x1b") {
        keys.push({ name: "escape" });
        i++;
        continue;
      }
      if (next === "\r" || next === "\n") {
        keys.push({ name: "newline" });
        i += 2;
        continue;
      }
      if (next === "[" || next === "O") {
        // Parameters and intermediates, then one final byte in @..~.
        let end = i + 2;
        while (end < input.length && !/[@-~]/.test(input[end]!)) end++;
        const body = input.slice(i + 2, end + 1).replace(/^1;\d+(?=[A-Z])/, "");
        const name = CSI[body];
        if (name) keys.push({ name });
        i = end + 1;
        continue;
      }
      // Alt + a character: treated as the character.
      i++;
      continue;
    }
    const control = CONTROL[ch];
    if (control) {
      // A pasted CRLF is one line break.
      if (ch === "\r" && input[i + 1] === "\n") i++;
      keys.push({ name: control });
      i++;
      continue;
    }
    const code = ch.codePointAt(0)!;
    const text = String.fromCodePoint(code);
    i += text.length;
    if (code < 0x20) continue;
    keys.push(text === " " ? { name: "space", text } : { name: "char", text });
  }
  return keys;
}
