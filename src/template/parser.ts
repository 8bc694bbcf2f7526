/**
 * The parser of Go's text/template: tokens to a tree of text, actions,
 * `if`/`else if`/`else`, `range` (with `break`/`continue`), `with`, variables
 * and pipelines. As in Go, an unknown function or an undeclared variable is
 * a parse error, so `validate` finds them before anything runs.
 * @module
 */
import { TemplateError } from "../errors.ts";
import { lex, type Token } from "./lexer.ts";

/** An operand of a command. */
export type Operand =
  | { type: "field"; path: string[]; offset: number }
  | { type: "variable"; name: string; path: string[]; offset: number }
  | { type: "function"; name: string; offset: number }
  | { type: "pipe"; pipe: Pipe; path: string[]; offset: number }
  | { type: "literal"; value: string | number | boolean; offset: number }
  | { type: "dot"; offset: number }
  | { type: "nil"; offset: number };

/** `f a b`: one stage of a pipeline. */
export interface Command {
  args: Operand[];
  offset: number;
}

/** `$x := a | f b`. */
export interface Pipe {
  /** Variables declared (`:=`) or assigned (`=`). */
  vars: string[];
  assign: boolean;
  commands: Command[];
  offset: number;
}

/** A node of the tree. */
export type TemplateNode =
  | { type: "text"; text: string; offset: number }
  | { type: "action"; pipe: Pipe; offset: number }
  | { type: "if" | "with"; pipe: Pipe; list: TemplateNode[]; elseList?: TemplateNode[]; offset: number }
  | { type: "range"; pipe: Pipe; list: TemplateNode[]; elseList?: TemplateNode[]; offset: number }
  | { type: "break" | "continue"; offset: number };

/** Whether a name is a function templates may call. */
export type FunctionLookup = (name: string) => boolean;

/**
 * Parses `text`; `isFunction` says which identifiers are functions, and
 * `suggest` offers a near name for an unknown one.
 *
 * @example
 * ```ts
 * parse("{{ if .ok }}yes{{ end }}", (name) => name === "eq")[0]!.type; // "if"
 * ```
 */
export function parse(text: string, isFunction: FunctionLookup, suggest: (name: string) => string | undefined = () => undefined): TemplateNode[] {
  return new Parser(lex(text), isFunction, suggest).parseTemplate();
}

class Parser {
  #tokens: Token[];
  #i = 0;
  #isFunction: FunctionLookup;
  #suggest: (name: string) => string | undefined;
  /** Declared variables, innermost scope last. */
  #scopes: string[][] = [["$"]];
  #rangeDepth = 0;

  constructor(tokens: Token[], isFunction: FunctionLookup, suggest: (name: string) => string | undefined) {
    this.#tokens = tokens;
    this.#isFunction = isFunction;
    this.#suggest = suggest;
  }

  #peek(ahead = 0): Token {
    return this.#tokens[Math.min(this.#i + ahead, this.#tokens.length - 1)]!;
  }

  #next(): Token {
    return this.#tokens[Math.min(this.#i++, this.#tokens.length - 1)]!;
  }

  #expect(kind: Token["kind"], context: string): Token {
    const token = this.#next();
    if (token.kind !== kind) throw new TemplateError(`unexpected ${describe(token)} in ${context}`, token.offset);
    return token;
  }

  parseTemplate(): TemplateNode[] {
    const { list, end } = this.#list();
    if (end) throw new TemplateError(`unexpected {{${end.value}}}`, end.offset);
    return list;
  }

  /** Parses nodes up to `{{end}}`, `{{else ...}}` or the end; returns which ended it. */
  #list(): { list: TemplateNode[]; end?: Token } {
    const list: TemplateNode[] = [];
    for (;;) {
      const token = this.#next();
      if (token.kind === "eof") return { list };
      if (token.kind === "text") {
        list.push({ type: "text", text: token.value, offset: token.offset });
        continue;
      }
      // token.kind === "open"
      const head = this.#peek();
      if (head.kind === "keyword") {
        if (head.value === "end" || head.value === "else") {
          this.#next();
          return { list, end: head };
        }
        list.push(this.#keyword(this.#next(), token.offset));
        continue;
      }
      const pipe = this.#pipe("command", true);
      list.push({ type: "action", pipe, offset: token.offset });
    }
  }

  #keyword(keyword: Token, open: number): TemplateNode {
    switch (keyword.value) {
      case "if":
      case "with":
      case "range":
        return this.#control(keyword.value, open);
      case "break":
      case "continue":
        if (this.#rangeDepth === 0) throw new TemplateError(`{{${keyword.value}}} outside {{range}}`, keyword.offset);
        this.#expect("close", keyword.value);
        return { type: keyword.value, offset: open };
      default:
        throw new TemplateError(`{{${keyword.value}}} is not supported in workflow templates (expected if, else, range, with or end)`, keyword.offset);
    }
  }

  #control(type: "if" | "with" | "range", open: number): TemplateNode {
    this.#scopes.push([]);
    const pipe = this.#pipe(type, false, type === "range");
    if (type === "range") this.#rangeDepth++;
    const { list, end } = this.#list();
    if (type === "range") this.#rangeDepth--;
    if (!end) throw new TemplateError(`unexpected EOF: {{${type}}} has no {{end}}`, open);
    let elseList: TemplateNode[] | undefined;
    if (end.value === "else") {
      const chained = this.#peek();
      if (chained.kind === "keyword" && (chained.value === "if" || chained.value === "with") && type !== "range") {
        // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing the one {{end}}.
        this.#next();
        elseList = [this.#control(chained.value as "if" | "with", end.offset)];
      } else {
        this.#expect("close", "else");
        this.#scopes.push([]);
        const rest = this.#list();
        this.#scopes.pop();
        if (!rest.end || rest.end.value !== "end") throw new TemplateError(`expected {{end}} after {{else}}`, rest.end?.offset ?? open);
        this.#expect("close", "end");
        elseList = rest.list;
      }
    } else {
      this.#expect("close", "end");
    }
    // Variables declared in the pipeline stay visible in {{else}}, as in Go.
    this.#scopes.pop();
    return { type, pipe, list, elseList, offset: open } as TemplateNode;
  }

  /** A pipeline up to `}}` (or `)` when `inParens`). */
  #pipe(context: string, allowAssign: boolean, isRange = false, inParens = false): Pipe {
    const offset = this.#peek().offset;
    const vars: string[] = [];
    let assign = false;
    // `$x :=`, `$x =`, `$i, $e :=` (range only).
    if (this.#peek().kind === "variable") {
      let k = 0;
      const names: string[] = [this.#peek().value];
      if (this.#peek(1).kind === "comma" && isRange && this.#peek(2).kind === "variable") {
        names.push(this.#peek(2).value);
        k = 2;
      }
      const op = this.#peek(k + 1);
      if (op.kind === "declare" || (op.kind === "assign" && names.length === 1)) {
        if (op.kind === "assign" && !allowAssign && !isRange) throw new TemplateError(`cannot assign in ${context}`, op.offset);
        this.#i += k + 2;
        assign = op.kind === "assign";
        if (assign && !this.#declared(names[0]!)) throw new TemplateError(`undefined variable "${names[0]}"`, offset);
        vars.push(...names);
      }
    }
    const commands: Command[] = [];
    for (;;) {
      const cmd = this.#command(inParens);
      commands.push(cmd);
      const token = this.#next();
      if (token.kind === "pipe") continue;
      if ((token.kind === "close" && !inParens) || (token.kind === "rparen" && inParens)) break;
      throw new TemplateError(`unexpected ${describe(token)} in ${context}`, token.offset);
    }
    // Declared after the pipeline is parsed: `$x := $x` refers to an outer $x.
    if (!assign) this.#scopes.at(-1)!.push(...vars);
    return { vars, assign, commands, offset };
  }

  #declared(name: string): boolean {
    return this.#scopes.some((scope) => scope.includes(name));
  }

  #command(inParens: boolean): Command {
    const offset = this.#peek().offset;
    const args: Operand[] = [];
    for (;;) {
      const token = this.#peek();
      if (token.kind === "pipe" || token.kind === "close" || (token.kind === "rparen" && inParens)) break;
      args.push(this.#operand());
    }
    if (args.length === 0) throw new TemplateError(`missing value for command`, offset);
    return { args, offset };
  }

  #operand(): Operand {
    const token = this.#next();
    switch (token.kind) {
      case "field":
        return { type: "field", path: [token.value, ...this.#fields()], offset: token.offset };
      case "variable": {
        if (!this.#declared(token.value)) throw new TemplateError(`undefined variable "${token.value}"`, token.offset);
        return { type: "variable", name: token.value, path: this.#fields(), offset: token.offset };
      }
      case "identifier": {
        if (!this.#isFunction(token.value)) {
          const near = this.#suggest(token.value);
          throw new TemplateError(`function "${token.value}" not defined${near ? ` (did you mean "${near}"?)` : ""}`, token.offset);
        }
        if (this.#peek().kind === "field" && this.#peek().attached) throw new TemplateError(`unexpected field after function "${token.value}" (expected (${token.value}).field)`, this.#peek().offset);
        return { type: "function", name: token.value, offset: token.offset };
      }
      case "lparen": {
        const pipe = this.#pipe("parenthesized pipeline", false, false, true);
        return { type: "pipe", pipe, path: this.#fields(), offset: token.offset };
      }
      case "dot":
        return { type: "dot", offset: token.offset };
      case "nil":
        return { type: "nil", offset: token.offset };
      case "bool":
        return { type: "literal", value: token.value === "true", offset: token.offset };
      case "number":
        return { type: "literal", value: parseNumber(token), offset: token.offset };
      case "string":
        return { type: "literal", value: unquote(token), offset: token.offset };
      case "rawString":
        return { type: "literal", value: token.value, offset: token.offset };
      case "char":
        return { type: "literal", value: charValue(token), offset: token.offset };
      default:
        throw new TemplateError(`unexpected ${describe(token)} in operand`, token.offset);
    }
  }

  #fields(): string[] {
    const path: string[] = [];
    while (this.#peek().kind === "field" && this.#peek().attached) path.push(this.#next().value);
    return path;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case "eof":
      return "end of template";
    case "close":
      return '"}}"';
    case "field":
      return `field ".${token.value}"`;
    default:
      return `"${token.value}"`;
  }
}

function parseNumber(token: Token): number {
  const text = token.value.replace(/_/g, "");
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[+-]/, "");
  let value: number;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) value = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) value = parseInt(body.slice(2), 8);
  else if (/^0\d+$/.test(body)) value = parseInt(body, 8);
  else value = Number(body);
  if (Number.isNaN(value)) throw new TemplateError(`bad number syntax: "${token.value}"`, token.offset);
  return sign * value;
}

/** A Go interpreted string literal's value. */
function unquote(token: Token): string {
  const body = token.value.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, esc: string) => {
    switch (esc[0]) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "a":
        return "\x07";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "v":
        return "\v";
      case "\\":
        return "\\";
      case '"':
        return '"';
      case "'":
        throw new TemplateError(`unknown escape sequence \\' in a "..." string`, token.offset);
      case "x":
      case "u":
      case "U":
        return String.fromCodePoint(parseInt(esc.slice(1), 16));
      default:
        if (/^[0-7]{3}$/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
        throw new TemplateError(`unknown escape sequence \\${esc}`, token.offset);
    }
  });
}

/** A character constant is a number in Go (`'a'` is 97). */
function charValue(token: Token): number {
  const inner = token.value.slice(1, -1);
  const text = inner.startsWith("\\") ? unquote({ ...token, value: `"${inner === "\\'" ? "'" : inner}"` }) : inner;
  const code = text.codePointAt(0);
  if (code === undefined || [...text].length !== 1) throw new TemplateError(`malformed character constant ${token.value}`, token.offset);
  return code;
}
