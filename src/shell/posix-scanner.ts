/**
 * The POSIX shell family (sh, bash, dash, ksh, zsh): where a place in a
 * command stands, quoting-wise, and how a value is passed there as data.
 *
 * | place | written as | why |
 * | --- | --- | --- |
 * | a word, `$(...)` | `"${NAME}"` | one word, expanded once, never split or globbed |
 * | `"..."`, a here-document (`<<EOF`) | `${NAME}` | already one word |
 * | `'...'`, `$'...'` | `'"${NAME}"'` | the quotes end, a quoted reference, the quotes open again |
 * | a `#` comment | `${NAME}` | the shell reads none of it; a newline in the value cannot end it |
 * | `<<'EOF'`, `` `...` ``, `${...}`, `$((...))` | refused | the shell expands nothing, or evaluates the value again |
 * @module
 */
import type { Placement, Scanner } from "./scanner.ts";

/** A simple command's words so far (their unquoted characters), to tell where a value would be code for another program. */
interface Words {
  words: string[];
  current: string;
}

type Frame =
  | ({ type: "top" | "cmdsubst"; depth: number } & Words)
  | { type: "double" | "single" | "ansi" | "backtick" | "comment" }
  | { type: "param"; depth: number }
  | { type: "arith"; depth: number }
  | { type: "heredoc"; delimiter: string; quoted: boolean; stripTabs: boolean; line: string; reader?: string };

/** Programs that read their argument of `-c` (or `-e`), or their standard input, as code. */
const INTERPRETERS = new Set([
  "sh", "bash", "dash", "ksh", "mksh", "zsh", "ash", "fish", "busybox", "su", "python", "python2", "python3", "perl", "ruby", "node", "nodejs",
  "pwsh", "powershell", "php", "lua", "tclsh", "psql", "mysql", "sqlite3", "osascript",
]);
/** Programs that hand their arguments to another shell, which parses them again. */
const REPARSERS = new Set(["eval", "ssh", "watch"]);

const programOf = (word: string | undefined) => (word ?? "").split("/").pop()!;

/** Why a value in the current simple command would be code for another program, if it would be. */
function codeFor(cmd: Words): string | undefined {
  const words = cmd.words;
  const first = programOf(words[0]);
  if (REPARSERS.has(first)) return `it is an argument of ${first}, which hands it to a shell that parses it again (expected the value through env: and used as "$NAME" by the command that needs it)`;
  const prev = words[words.length - 1];
  if (prev !== undefined && /^-[A-Za-z]*[ce]$/.test(prev)) {
    const reader = words.slice(0, -1).map(programOf).find((w) => INTERPRETERS.has(w));
    if (reader) return `it is the code given to ${reader} ${prev}, which parses the value again (expected the value through env: and used as "$NAME" inside that code)`;
  }
  return undefined;
}

/** Characters after which a `#` starts a comment. */
const WORD_BREAK = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">", ""]);

const quotedForDouble = (value: string) => value.replace(/[\\"$`]/g, "\\$&");
const quotedForSingle = (value: string) => value.replaceAll("'", `'\\''`);
/** A value as one literal word, for the human-readable form of a command. */
const asWord = (value: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${quotedForSingle(value)}'`);

/**
 * Reads POSIX shell text.
 *
 * @example
 * ```ts
 * const scanner = new PosixScanner();
 * scanner.feed(`echo 'a `);
 * (scanner.place() as { reference(n: string): string }).reference("V"); // `'"\${V}"'`
 * ```
 */
export class PosixScanner implements Scanner {
  #stack: Frame[] = [{ type: "top", depth: 0, words: [], current: "" }];
  #pending: Array<{ delimiter: string; quoted: boolean; stripTabs: boolean; reader?: string }> = [];
  #prev = "";
  /** Set when the text stops being readable (a here-document whose delimiter is not plain text). */
  #lost?: string;

  get #top(): Frame {
    return this.#stack[this.#stack.length - 1]!;
  }

  feed(text: string): void {
    let i = 0;
    while (i < text.length) i = this.#step(text, i);
  }

  wrote(): void {
    this.#prev = "}";
    const frame = this.#top;
    if (frame.type === "heredoc") frame.line += "\u0000";
    if (frame.type === "top" || frame.type === "cmdsubst") frame.current += "\u0001";
  }

  place(): Placement {
    if (this.#lost) return { refused: this.#lost };
    const frame = this.#top;
    // A value in a word (quoted or not) of `sh -c`, `eval`, `ssh`: another parser reads it as code.
    if (frame.type === "top" || frame.type === "cmdsubst" || frame.type === "double" || frame.type === "single" || frame.type === "ansi") {
      const command = this.#command();
      const why = command && codeFor(command);
      if (why) return { refused: why };
    }
    switch (frame.type) {
      case "top":
      case "cmdsubst":
        return { reference: (name) => `"\${${name}}"`, display: asWord };
      case "double":
        return { reference: (name) => `\${${name}}`, display: quotedForDouble };
      case "single":
        return { reference: (name) => `'"\${${name}}"'`, display: quotedForSingle };
      case "ansi":
        return { reference: (name) => `'"\${${name}}"$'`, display: (v) => v.replace(/[\\']/g, "\\$&") };
      case "comment":
        return { reference: (name) => `\${${name}}`, display: (v) => v.replace(/\n/g, " ") };
      case "heredoc":
        if (frame.reader) return { refused: `it stands in a here-document that ${frame.reader} reads as code (expected the value through env: and used as "$NAME" inside it, or a here-document read by a program that takes it as data, such as cat)` };
        return frame.quoted
          ? { refused: `it stands in a here-document with a quoted delimiter (<<'${frame.delimiter}'), where the shell expands nothing: the value would be pasted into the text, and a line of it could end the here-document (expected an unquoted delimiter, <<${frame.delimiter}, so that muster can pass the value as a variable)` }
          : { reference: (name) => `\${${name}}`, display: quotedForDouble };
      case "backtick":
        return { refused: "it stands inside `...`, whose text the shell parses a second time (expected $(...) instead of backquotes)" };
      case "param":
        return { refused: "it stands inside ${...}, where the shell reads patterns and operators (expected the value outside the braces, or through env: and used as \"$NAME\")" };
      case "arith":
        return { refused: "it stands inside $((...)), where the shell evaluates the value as arithmetic, which can run commands (expected the number through env: and checked before use)" };
    }
  }

  /** The simple command the current place belongs to (the nearest word-level frame). */
  #command(): Words | undefined {
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const frame = this.#stack[i]!;
      if (frame.type === "top" || frame.type === "cmdsubst") return frame;
      if (frame.type !== "double" && frame.type !== "single" && frame.type !== "ansi") return undefined;
    }
    return undefined;
  }

  /** Reads one character (or construct) at `i`; returns where to go on. */
  #step(text: string, i: number): number {
    const frame = this.#top;
    const c = text[i]!;
    const next = text[i + 1] ?? "";
    const prev = this.#prev;
    this.#prev = c;
    switch (frame.type) {
      case "single":
        if (c === "'") this.#stack.pop();
        return i + 1;
      case "ansi":
        if (c === "\\") return i + 2;
        if (c === "'") this.#stack.pop();
        return i + 1;
      case "backtick":
        if (c === "\\") return i + 2;
        if (c === "`") this.#stack.pop();
        return i + 1;
      case "comment":
        if (c === "\n") {
          this.#stack.pop();
          return this.#step(text, i);
        }
        return i + 1;
      case "double":
        if (c === "\\") return i + 2;
        if (c === '"') {
          this.#stack.pop();
          return i + 1;
        }
        return this.#expansion(text, i) ?? i + 1;
      case "heredoc":
        return this.#heredocChar(frame, text, i);
      case "param":
        if (c === "\\") return i + 2;
        if (c === "{") frame.depth++;
        else if (c === "}") {
          if (frame.depth === 0) this.#stack.pop();
          else frame.depth--;
        } else if (c === "'") this.#stack.push({ type: "single" });
        else if (c === '"') this.#stack.push({ type: "double" });
        else return this.#expansion(text, i) ?? i + 1;
        return i + 1;
      case "arith":
        if (c === "(") frame.depth++;
        else if (c === ")") {
          if (frame.depth > 0) frame.depth--;
          else if (next === ")") {
            this.#stack.pop();
            return i + 2;
          }
        } else return this.#expansion(text, i) ?? i + 1;
        return i + 1;
      case "top":
      case "cmdsubst":
        return this.#wordChar(frame, text, i, prev);
    }
  }

  /** `$(`, `$((`, `${`, `` ` ``, `$'` where expansions happen; undefined when `text[i]` starts none. */
  #expansion(text: string, i: number): number | undefined {
    const c = text[i]!;
    if (c === "`") {
      this.#stack.push({ type: "backtick" });
      return i + 1;
    }
    if (c !== "$") return undefined;
    const next = text[i + 1];
    if (next === "(" && text[i + 2] === "(") {
      this.#stack.push({ type: "arith", depth: 0 });
      return i + 3;
    }
    if (next === "(") {
      this.#stack.push({ type: "cmdsubst", depth: 0, words: [], current: "" });
      this.#prev = "(";
      return i + 2;
    }
    if (next === "{") {
      this.#stack.push({ type: "param", depth: 0 });
      return i + 2;
    }
    return undefined;
  }

  #wordChar(frame: Extract<Frame, { type: "top" | "cmdsubst" }>, text: string, i: number, prev: string): number {
    const c = text[i]!;
    // Words of the simple command: blanks end a word, operators and newlines the command.
    if (c === " " || c === "\t") {
      if (frame.current !== "") frame.words.push(frame.current);
      frame.current = "";
    } else if (c === ";" || c === "&" || c === "|" || c === "\n" || c === "(" || c === ")") {
      frame.words = [];
      frame.current = "";
    } else if (c === "'" || c === '"' || c === "$" || c === "`") frame.current += "\u0001";
    else if (c !== "\\" && c !== "#") frame.current += c;
    switch (c) {
      case "\\":
        this.#prev = "a";
        return i + 2;
      case "'":
        this.#stack.push({ type: "single" });
        return i + 1;
      case '"':
        this.#stack.push({ type: "double" });
        return i + 1;
      case "#":
        if (WORD_BREAK.has(prev)) this.#stack.push({ type: "comment" });
        return i + 1;
      case "(":
        frame.depth++;
        return i + 1;
      case ")":
        if (frame.depth > 0) frame.depth--;
        else if (frame.type === "cmdsubst") this.#stack.pop();
        return i + 1;
      case "\n":
        this.#startHeredocs();
        return i + 1;
      case "<":
        if (text[i + 1] === "<" && text[i + 2] !== "<") return this.#heredocStart(text, i + 2);
        if (text[i + 1] === "<" && text[i + 2] === "<") return i + 3;
        return i + 1;
      case "$":
        if (text[i + 1] === "'") {
          this.#stack.push({ type: "ansi" });
          return i + 2;
        }
        return this.#expansion(text, i) ?? i + 1;
      default:
        return this.#expansion(text, i) ?? i + 1;
    }
  }

  /** `<<WORD` / `<<-WORD`: the here-document starts at the next newline. */
  #heredocStart(text: string, at: number): number {
    let i = at;
    const stripTabs = text[i] === "-";
    if (stripTabs) i++;
    while (text[i] === " " || text[i] === "\t") i++;
    let delimiter = "";
    let quoted = false;
    while (i < text.length && !/[\s;&|()<>]/.test(text[i]!)) {
      const c = text[i]!;
      if (c === "'" || c === '"') {
        const end = text.indexOf(c, i + 1);
        if (end < 0) break;
        delimiter += text.slice(i + 1, end);
        quoted = true;
        i = end + 1;
      } else if (c === "\\") {
        delimiter += text[i + 1] ?? "";
        quoted = true;
        i += 2;
      } else {
        delimiter += c;
        i++;
      }
    }
    if (delimiter === "" || i >= text.length) {
      // The delimiter is a template, or the text ends here: where the document ends cannot be known.
      this.#lost = "it follows a here-document whose delimiter muster cannot read (expected a plain delimiter such as <<EOF written in the file)";
      return text.length;
    }
    const command = this.#command();
    const reader = command?.words.map(programOf).find((w) => INTERPRETERS.has(w) || REPARSERS.has(w));
    this.#pending.push({ delimiter, quoted, stripTabs, reader });
    this.#prev = "a";
    return i;
  }

  #startHeredocs(): void {
    const first = this.#pending.shift();
    if (first) this.#stack.push({ type: "heredoc", ...first, line: "" });
  }

  #heredocChar(frame: Extract<Frame, { type: "heredoc" }>, text: string, i: number): number {
    const c = text[i]!;
    if (c === "\n") {
      const line = frame.stripTabs ? frame.line.replace(/^\t+/, "") : frame.line;
      frame.line = "";
      if (line === frame.delimiter) {
        this.#stack.pop();
        this.#startHeredocs();
      }
      return i + 1;
    }
    frame.line += c;
    if (frame.quoted) return i + 1;
    if (c === "\\") {
      frame.line += text[i + 1] ?? "";
      return i + 2;
    }
    const after = this.#expansion(text, i);
    if (after !== undefined) frame.line += text.slice(i + 1, after);
    return after ?? i + 1;
  }
}
