/**
 * The lexer of Go's text/template: text outside `{{ }}`, and inside actions
 * the tokens Go's own lexer produces (fields, variables, identifiers,
 * literals, `|`, `(`, `)`, `:=`, `=`, `,`). Trim markers (`{{- ` and ` -}}`)
 * and comments (`{{/* … *\/}}`) are handled here, as in Go.
 * @module
 */
import { TemplateError } from "../errors.ts";

/** The kinds of token. */
export type TokenKind =
  | "text"
  | "open"
  | "close"
  | "field"
  | "variable"
  | "identifier"
  | "keyword"
  | "string"
  | "rawString"
  | "char"
  | "number"
  | "bool"
  | "nil"
  | "dot"
  | "pipe"
  | "lparen"
  | "rparen"
  | "declare"
  | "assign"
  | "comma"
  | "eof";

/** One token, with its offset in the template text. */
export interface Token {
  kind: TokenKind;
  /** The token's text; for `field`, the name after the dot; for `text`, the text after trimming. */
  value: string;
  offset: number;
  /** A field written right after an operand (`$x.a`, `(f).a`, `.a.b`'s `.b`), not a new argument. */
  attached?: boolean;
}

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
/** A letter, digit or underscore (char codes: this runs for every character of every action). */
const isAlnum = (c: string | undefined) => {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
};

/**
 * Splits `text` into tokens.
 *
 * @example
 * ```ts
 * lex("a {{ .x }}").map((t) => t.kind); // ["text", "open", "field", "close", "eof"]
 * ```
 */
export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    let literal = text.slice(i, open < 0 ? text.length : open);
    const literalStart = i;
    if (trimNextText) literal = literal.replace(/^[ \t\r\n]+/, "");
    trimNextText = false;
    if (open < 0) {
      if (literal) tokens.push({ kind: "text", value: literal, offset: literalStart });
      break;
    }
    // `{{- ` trims the text before; the dash must be followed by a space (`{{-3}}` is the number -3).
    let start = open + 2;
    if (text[start] === "-" && isSpace(text[start + 1])) {
      literal = literal.replace(/[ \t\r\n]+$/, "");
      start += 2;
    }
    if (literal) tokens.push({ kind: "text", value: literal, offset: literalStart });
    // Comments: `{{/* ... */}}`, possibly with trim markers around.
    let j = start;
    while (isSpace(text[j])) j++;
    if (text.startsWith("/*", j)) {
      const end = text.indexOf("*/", j + 2);
      if (end < 0) throw new TemplateError("unclosed comment", open);
      let k = end + 2;
      while (isSpace(text[k])) k++;
      if (text[k] === "-" && text.startsWith("}}", k + 1) && isSpace(text[k - 1])) {
        trimNextText = true;
        k += 1;
      }
      if (!text.startsWith("}}", k)) throw new TemplateError("comment ends before closing delimiter", end);
      i = k + 2;
      continue;
    }
    tokens.push({ kind: "open", value: "{{", offset: open });
    i = lexAction(text, start, tokens, open);
    const last = tokens.at(-1)!;
    if (last.value === "-}}") {
      trimNextText = true;
      last.value = "}}";
    }
  }
  tokens.push({ kind: "eof", value: "", offset: text.length });
  return tokens;
}

/** Lexes one action from `i` up to and including its `}}`; returns the offset after it. */
function lexAction(text: string, i: number, tokens: Token[], open: number): number {
  let parens = 0;
  for (;;) {
    while (isSpace(text[i])) {
      // ` -}}` closes with a trim.
      if (text[i + 1] === "-" && text.startsWith("}}", i + 2)) {
        tokens.push({ kind: "close", value: "-}}", offset: i + 1 });
        return i + 4;
      }
      i++;
    }
    if (i >= text.length) throw new TemplateError(`unclosed action: "{{" has no matching "}}"`, open);
    const c = text[i]!;
    const start = i;
    if (text.startsWith("}}", i)) {
      if (parens > 0) throw new TemplateError("unclosed left paren", i);
      tokens.push({ kind: "close", value: "}}", offset: i });
      return i + 2;
    }
    if (c === "|") {
      tokens.push({ kind: "pipe", value: "|", offset: i++ });
    } else if (c === "(") {
      parens++;
      tokens.push({ kind: "lparen", value: "(", offset: i++ });
    } else if (c === ")") {
      if (--parens < 0) throw new TemplateError("unexpected right paren", i);
      tokens.push({ kind: "rparen", value: ")", offset: i++ });
      i = lexFieldChain(text, i, tokens);
    } else if (c === ",") {
      tokens.push({ kind: "comma", value: ",", offset: i++ });
    } else if (c === ":" && text[i + 1] === "=") {
      tokens.push({ kind: "declare", value: ":=", offset: i });
      i += 2;
    } else if (c === "=") {
      tokens.push({ kind: "assign", value: "=", offset: i++ });
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\") i++;
        if (text[i] === "\n") throw new TemplateError("unterminated quoted string", start);
        i++;
      }
      if (i >= text.length) throw new TemplateError("unterminated quoted string", start);
      tokens.push({ kind: "string", value: text.slice(start, ++i), offset: start });
    } else if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) throw new TemplateError("unterminated raw quoted string", start);
      tokens.push({ kind: "rawString", value: text.slice(i + 1, end), offset: start });
      i = end + 1;
    } else if (c === "'") {
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === "\\") i++;
        i++;
      }
      if (i >= text.length) throw new TemplateError("unterminated character constant", start);
      tokens.push({ kind: "char", value: text.slice(start, ++i), offset: start });
    } else if (c === "$") {
      i++;
      while (isAlnum(text[i])) i++;
      tokens.push({ kind: "variable", value: text.slice(start, i), offset: start });
      i = lexFieldChain(text, i, tokens);
    } else if (c === ".") {
      if (/[0-9]/.test(text[i + 1] ?? "")) {
        i = lexNumber(text, i, tokens);
      } else if (isAlnum(text[i + 1])) {
        i = lexFieldChain(text, i, tokens, false);
      } else {
        tokens.push({ kind: "dot", value: ".", offset: i++ });
      }
    } else if (/[0-9+-]/.test(c)) {
      i = lexNumber(text, i, tokens);
    } else if (/[A-Za-z_]/.test(c)) {
      while (isAlnum(text[i])) i++;
      const word = text.slice(start, i);
      const kind: TokenKind = word === "true" || word === "false" ? "bool" : word === "nil" ? "nil" : KEYWORDS.has(word) ? "keyword" : "identifier";
      tokens.push({ kind, value: word, offset: start });
      i = lexFieldChain(text, i, tokens);
    } else {
      throw new TemplateError(`unexpected "${c}" in action`, i);
    }
  }
}

/**
 * Fields after an operand: `.a.b`. muster goes beyond Go in one place: a
 * field may contain `-` after its first character (`.steps.my-step.value`),
 * since Atmos step names often do; Go needs `index .steps "my-step"`.
 */
function lexFieldChain(text: string, i: number, tokens: Token[], attached = true): number {
  while (text[i] === "." && isAlnum(text[i + 1])) {
    const start = i;
    i++;
    while (isAlnum(text[i]) || (text[i] === "-" && isAlnum(text[i + 1]))) i++;
    tokens.push({ kind: "field", value: text.slice(start + 1, i), offset: start, attached });
    attached = true;
  }
  return i;
}

function lexNumber(text: string, i: number, tokens: Token[]): number {
  const match = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
  const word = match?.[0] ?? "";
  if (word === "" || word === "+" || word === "-" || !/\d/.test(word)) throw new TemplateError(`bad number syntax: "${text.slice(i, i + 8).split(/\s/)[0]}"`, i);
  if (isAlnum(text[i + word.length])) throw new TemplateError(`bad number syntax: "${text.slice(i, i + word.length + 1)}"`, i);
  tokens.push({ kind: "number", value: word, offset: i });
  return i + word.length;
}
