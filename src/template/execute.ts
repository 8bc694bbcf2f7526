/**
 * Executing a parsed template against data, as Go's text/template does with
 * `missingkey=error`: a missing map key is an error, never an empty string,
 * so a typo cannot turn `rm -rf {{ .vars.dir }}/` into `rm -rf /`.
 *
 * One extension over Go: a missing key piped straight into `default`
 * (`{{ .vars.region | default "eu" }}`) gives the default, which is what
 * people who write it mean; Go would stop with an error.
 * @module
 */
import { TemplateError } from "../errors.ts";
import { formatValue, goTypeName, isTrue } from "./format.ts";
import type { CallContext, RenderOptions } from "./function-types.ts";
import { FUNCTIONS } from "./functions.ts";
import type { Command, Operand, Pipe, TemplateNode } from "./parser.ts";

/**
 * A piece of rendered text. `data` marks text that came from a value muster
 * does not control (see {@linkcode RenderOptions.trusted}): a command field
 * passes such a piece to its shell out of band, never as code.
 */
export interface RenderedPart {
  text: string;
  /** The value came from outside the workflow file (a var, a step result, the environment). */
  data?: boolean;
  /** Where the action that printed it is written in the template. */
  offset?: number;
  /** Printed by `words`: each word a piece of its own (a word-splitting use, named by validate). */
  word?: boolean;
}

/** A value and whether it derives from data muster does not control. */
interface Tainted {
  v: unknown;
  t: boolean;
}

/** Functions whose result is one of their arguments: the result is data only when that argument is. */
const SELECTS: ReadonlySet<string> = new Set(["default", "coalesce", "ternary", "and", "or", "first", "last"]);

/** Functions whose results come from outside the workflow file whatever their arguments (Sprig's `env`, `expandenv`). */
export const DATA_FUNCTIONS: ReadonlySet<string> = new Set(["env", "expandenv"]);

const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");
/** The result of a command that received nothing from the pipe. */
const NONE = Symbol("none");

/**
 * Renders `nodes` with `data` as dot.
 *
 * @example
 * ```ts
 * execute(parse("{{ .a }}", isFunction), { a: 1 }, {}); // "1"
 * ```
 */
export function execute(nodes: TemplateNode[], data: unknown, options: RenderOptions): string {
  return executeParts(nodes, data, options).map((p) => p.text).join("");
}

/**
 * Renders `nodes` as pieces, each marked when its text came from data that
 * `options.trusted` does not name. Values a printed action derives from such
 * data are data too, through functions, variables, `with` and `range`;
 * numbers and booleans never are (they cannot carry code).
 *
 * @example
 * ```ts
 * executeParts(parse("echo {{ .vars.x }}", isFunction), { vars: { x: "$(id)" } }, { trusted: new Set() });
 * // [{ text: "echo " }, { text: "$(id)", data: true, offset: 5 }]
 * ```
 */
export function executeParts(nodes: TemplateNode[], data: unknown, options: RenderOptions): RenderedPart[] {
  const state = new State(data, options);
  state.walk(nodes, state.vars[0]!.value);
  return state.out;
}

class State {
  out: RenderedPart[] = [];
  vars: Array<{ name: string; value: Tainted }>;
  #options: RenderOptions;

  constructor(data: unknown, options: RenderOptions) {
    this.vars = [{ name: "$", value: { v: data, t: false } }];
    this.#options = options;
  }

  /** Whether `.KEY` (or `$.KEY`) of the root is data: every root is, except those the caller trusts. */
  #rootTaint(key: string | undefined): boolean {
    const trusted = this.#options.trusted;
    if (!trusted) return false;
    return key === undefined || !trusted.has(key);
  }

  walk(nodes: TemplateNode[], dot: Tainted): void {
    for (const node of nodes) this.#node(node, dot);
  }

  #node(node: TemplateNode, dot: Tainted): void {
    switch (node.type) {
      case "text":
        this.out.push({ text: node.text });
        return;
      case "action": {
        if (node.pipe.vars.length > 0) {
          this.#pipe(node.pipe, dot);
          return;
        }
        const last = node.pipe.commands.at(-1)?.args[0];
        const fn = last?.type === "function" ? last.name : undefined;
        // `quote`/`squote` of data, and `words`: the values themselves, each one piece (a command passes each as one word).
        if ((fn === "quote" || fn === "squote" || fn === "words") && this.#options.trusted) {
          const pieces = this.#pieces(node.pipe, dot, fn);
          if (pieces) {
            pieces.forEach((piece, i) => {
              if (i > 0) this.out.push({ text: " " });
              this.out.push(piece.t ? { text: piece.text, data: true, offset: node.offset, word: fn === "words" } : { text: piece.text });
            });
            return;
          }
        }
        const value = this.#pipe(node.pipe, dot);
        const text = printed(value.v);
        const data = value.t && typeof value.v !== "number" && typeof value.v !== "boolean";
        this.out.push(data ? { text, data: true, offset: node.offset } : { text });
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const value = this.#pipe(node.pipe, dot);
        if (isTrue(value.v)) this.walk(node.list, node.type === "with" ? value : dot);
        else if (node.elseList) this.walk(node.elseList, dot);
        this.vars.length = mark;
        return;
      }
      case "range":
        return this.#range(node, dot);
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
    }
  }

  /**
   * The words a printed `quote`/`squote`/`words` pipeline stands for, each
   * with its taint: `quote` of constants keeps its quoting, of data gives the
   * value itself. Undefined when the last command is something else after all.
   */
  #pieces(pipe: Pipe, dot: Tainted, fn: string): Array<{ text: string; t: boolean }> | undefined {
    const head = pipe.commands.slice(0, -1);
    const lastCommand = pipe.commands.at(-1)!;
    let piped: Tainted | typeof NONE = NONE;
    for (let i = 0; i < head.length; i++) {
      const next = pipe.commands[i + 1]?.args[0];
      piped = this.#command(head[i]!, dot, piped, next?.type === "function" && next.name === "default");
    }
    const args = lastCommand.args.slice(1).map((op) => this.#operand(op, dot, false));
    if (piped !== NONE) args.push(piped);
    if (fn === "words") {
      if (args.length !== 1) return undefined;
      const value = args[0]!;
      const words = (typeof value.v === "string" ? value.v : printed(value.v)).split(/\s+/).filter(Boolean);
      return words.map((w) => ({ text: w, t: value.t }));
    }
    const ctx: CallContext = { name: fn, offset: lastCommand.args[0]!.offset, options: this.#options };
    return args.filter((a) => a.v !== null && a.v !== undefined).map((a) => {
      const text = a.v === null || a.v === undefined ? "" : formatValue(a.v);
      return a.t ? { text, t: true } : { text: String(FUNCTIONS[fn]!.call([a.v], ctx)), t: false };
    });
  }

  #range(node: Extract<TemplateNode, { type: "range" }>, dot: Tainted): void {
    const mark = this.vars.length;
    // The range variables are declared by the loop, not by evaluating the pipe.
    const pipe: Pipe = { ...node.pipe, vars: [] };
    const ranged = this.#pipe(pipe, dot);
    const value = ranged.v;
    let entries: Array<[unknown, unknown]>;
    if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else if (typeof value === "number" && Number.isInteger(value)) entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
    else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      entries = Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]);
    } else if (value === null || value === undefined) entries = [];
    else throw new TemplateError(`range can't iterate over ${formatValue(value)}`, node.pipe.offset);
    const t = ranged.t;
    if (entries.length === 0) {
      if (node.elseList) this.walk(node.elseList, dot);
      this.vars.length = mark;
      return;
    }
    const names = node.pipe.vars;
    for (const [key, elem] of entries) {
      this.vars.length = mark;
      if (names.length === 1) this.vars.push({ name: names[0]!, value: { v: elem, t } });
      if (names.length === 2) this.vars.push({ name: names[0]!, value: { v: key, t } }, { name: names[1]!, value: { v: elem, t } });
      try {
        this.walk(node.list, { v: elem, t });
      } catch (signal) {
        if (signal === BREAK) break;
        if (signal === CONTINUE) continue;
        throw signal;
      }
    }
    this.vars.length = mark;
  }

  #pipe(pipe: Pipe, dot: Tainted): Tainted {
    let value: Tainted | typeof NONE = NONE;
    for (let i = 0; i < pipe.commands.length; i++) {
      const next = pipe.commands[i + 1]?.args[0];
      // The `default` extension: a missing key right before `| default` is empty, not an error.
      const lenient = next?.type === "function" && next.name === "default";
      value = this.#command(pipe.commands[i]!, dot, value, lenient);
    }
    const result = value === NONE ? { v: undefined, t: false } : value;
    if (pipe.vars.length > 0) {
      if (pipe.assign) {
        const slot = this.vars.findLast((v) => v.name === pipe.vars[0]);
        slot!.value = result;
      } else {
        this.vars.push({ name: pipe.vars[0]!, value: result });
      }
    }
    return result;
  }

  #command(command: Command, dot: Tainted, piped: Tainted | typeof NONE, lenient: boolean): Tainted {
    const [head, ...rest] = command.args;
    if (head!.type === "function") {
      const args = rest;
      return this.#call(head!.name, head!.offset, args, dot, piped);
    }
    if (rest.length > 0 || piped !== NONE) {
      throw new TemplateError(`can't give argument to non-function ${source(head!)}`, (rest[0] ?? head!).offset);
    }
    if (head!.type === "nil") throw new TemplateError("nil is not a command", head!.offset);
    return this.#operand(head!, dot, lenient && command.args.length === 1);
  }

  #call(name: string, offset: number, argOps: Operand[], dot: Tainted, piped: Tainted | typeof NONE): Tainted {
    const fn = FUNCTIONS[name]!;
    const count = argOps.length + (piped === NONE ? 0 : 1);
    const [min, max] = fn.arity;
    if (count < min || count > max) {
      const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw new TemplateError(`wrong number of args for ${name}: want ${expected} got ${count}`, offset);
    }
    const ctx: CallContext = { name, offset, options: this.#options };
    // `and` and `or` stop at the first argument that decides, as in Go.
    if (name === "and" || name === "or") {
      let last: Tainted = { v: undefined, t: false };
      const values = [...argOps.map((op) => () => this.#operand(op, dot, false)), ...(piped === NONE ? [] : [() => piped as Tainted])];
      for (const get of values) {
        last = get();
        if (isTrue(last.v) === (name === "or")) return last;
      }
      return last;
    }
    const args = argOps.map((op) => this.#operand(op, dot, name === "default"));
    if (piped !== NONE) args.push(piped);
    try {
      const v = fn.call(args.map((a) => a.v), ctx);
      if (SELECTS.has(name)) {
        // The result is one of the arguments (or an element of one): data only when that one is.
        const from = args.find((a) => a.v === v) ?? (name === "first" || name === "last" ? args[0] : undefined);
        return { v, t: from ? from.t : args.some((a) => a.t) };
      }
      return { v, t: args.some((a) => a.t) || (this.#options.trusted !== undefined && DATA_FUNCTIONS.has(name)) };
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      throw new TemplateError(`error calling ${name}: ${(error as Error).message}`, offset);
    }
  }

  #operand(op: Operand, dot: Tainted, lenient: boolean): Tainted {
    switch (op.type) {
      case "literal":
        return { v: op.value, t: false };
      case "dot":
        return dot === this.vars[0]!.value ? { v: dot.v, t: this.#rootTaint(undefined) } : dot;
      case "nil":
        return { v: null, t: false };
      case "field": {
        const atRoot = dot === this.vars[0]!.value;
        return { v: this.#fields(dot.v, op.path, op, lenient, "."), t: dot.t || (atRoot && this.#rootTaint(op.path[0])) };
      }
      case "variable": {
        const slot = this.vars.findLast((v) => v.name === op.name);
        if (!slot) throw new TemplateError(`undefined variable "${op.name}"`, op.offset);
        const root = op.name === "$" && slot === this.vars[0];
        return { v: this.#fields(slot.value.v, op.path, op, lenient, op.name), t: slot.value.t || (root && this.#rootTaint(op.path[0])) };
      }
      case "pipe": {
        const value = this.#pipe(op.pipe, dot);
        return { v: this.#fields(value.v, op.path, op, lenient, "(...)"), t: value.t };
      }
      case "function":
        return this.#call(op.name, op.offset, [], dot, NONE);
    }
  }

  /** Follows `.a.b.c` from `value`. */
  #fields(value: unknown, path: string[], op: Operand, lenient: boolean, root: string): unknown {
    let current = value;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const shown = root === "." ? `.${path.slice(0, i + 1).join(".")}` : `${root}.${path.slice(0, i + 1).join(".")}`;
      if (current === null || current === undefined) {
        if (lenient) return undefined;
        throw new MissingKeyError(`nil pointer evaluating ${shown}`, op.offset, path.slice(0, i + 1), root, undefined);
      }
      if (typeof current !== "object" || Array.isArray(current) || current instanceof Date) {
        throw new TemplateError(`can't evaluate field ${key} in type ${goTypeName(current)} (at <${shown}>)`, op.offset);
      }
      if (!Object.hasOwn(current, key)) {
        if (lenient) return undefined;
        throw new MissingKeyError(`map has no entry for key "${key}" (at <${shown}>)`, op.offset, path.slice(0, i + 1), root, Object.keys(current));
      }
      current = (current as Record<string, unknown>)[key];
    }
    return current;
  }
}

/** A missing key: callers add what the key means (`--var`, an earlier step). */
export class MissingKeyError extends TemplateError {
  constructor(message: string, offset: number, readonly path: string[], readonly root: string, readonly known: string[] | undefined) {
    super(message, offset);
  }
}

/** What `{{ value }}` writes: Go prints nil (and a missing value) as `<no value>`. */
function printed(value: unknown): string {
  if (value === null || value === undefined) return "<no value>";
  return formatValue(value);
}

function source(op: Operand): string {
  switch (op.type) {
    case "field":
      return `.${op.path.join(".")}`;
    case "variable":
      return [op.name, ...op.path].join(".");
    case "literal":
      return typeof op.value === "string" ? JSON.stringify(op.value) : String(op.value);
    case "dot":
      return ".";
    default:
      return op.type;
  }
}
