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
  const state = new State(data, options);
  state.walk(nodes, data);
  return state.out.join("");
}

class State {
  out: string[] = [];
  vars: Array<{ name: string; value: unknown }>;
  #options: RenderOptions;

  constructor(data: unknown, options: RenderOptions) {
    this.vars = [{ name: "$", value: data }];
    this.#options = options;
  }

  walk(nodes: TemplateNode[], dot: unknown): void {
    for (const node of nodes) this.#node(node, dot);
  }

  #node(node: TemplateNode, dot: unknown): void {
    switch (node.type) {
      case "text":
        this.out.push(node.text);
        return;
      case "action": {
        const value = this.#pipe(node.pipe, dot);
        if (node.pipe.vars.length === 0) this.out.push(printed(value));
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const value = this.#pipe(node.pipe, dot);
        if (isTrue(value)) this.walk(node.list, node.type === "with" ? value : dot);
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

  #range(node: Extract<TemplateNode, { type: "range" }>, dot: unknown): void {
    const mark = this.vars.length;
    // The range variables are declared by the loop, not by evaluating the pipe.
    const pipe: Pipe = { ...node.pipe, vars: [] };
    const value = this.#pipe(pipe, dot);
    let entries: Array<[unknown, unknown]>;
    if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else if (typeof value === "number" && Number.isInteger(value)) entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
    else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      entries = Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]);
    } else if (value === null || value === undefined) entries = [];
    else throw new TemplateError(`range can't iterate over ${formatValue(value)}`, node.pipe.offset);
    if (entries.length === 0) {
      if (node.elseList) this.walk(node.elseList, dot);
      this.vars.length = mark;
      return;
    }
    const names = node.pipe.vars;
    for (const [key, elem] of entries) {
      this.vars.length = mark;
      if (names.length === 1) this.vars.push({ name: names[0]!, value: elem });
      if (names.length === 2) this.vars.push({ name: names[0]!, value: key }, { name: names[1]!, value: elem });
      try {
        this.walk(node.list, elem);
      } catch (signal) {
        if (signal === BREAK) break;
        if (signal === CONTINUE) continue;
        throw signal;
      }
    }
    this.vars.length = mark;
  }

  #pipe(pipe: Pipe, dot: unknown): unknown {
    let value: unknown = NONE;
    pipe.commands.forEach((command, i) => {
      const next = pipe.commands[i + 1]?.args[0];
      // The `default` extension: a missing key right before `| default` is empty, not an error.
      const lenient = next?.type === "function" && next.name === "default";
      value = this.#command(command, dot, value, lenient);
    });
    if (pipe.vars.length > 0) {
      if (pipe.assign) {
        const slot = this.vars.findLast((v) => v.name === pipe.vars[0]);
        slot!.value = value;
      } else {
        this.vars.push({ name: pipe.vars[0]!, value });
      }
    }
    return value;
  }

  #command(command: Command, dot: unknown, piped: unknown, lenient: boolean): unknown {
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

  #call(name: string, offset: number, argOps: Operand[], dot: unknown, piped: unknown): unknown {
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
      let last: unknown;
      const values = [...argOps.map((op) => () => this.#operand(op, dot, false)), ...(piped === NONE ? [] : [() => piped])];
      for (const get of values) {
        last = get();
        if (isTrue(last) === (name === "or")) return last;
      }
      return last;
    }
    const args = argOps.map((op) => this.#operand(op, dot, name === "default"));
    if (piped !== NONE) args.push(piped);
    try {
      return fn.call(args, ctx);
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      throw new TemplateError(`error calling ${name}: ${(error as Error).message}`, offset);
    }
  }

  #operand(op: Operand, dot: unknown, lenient: boolean): unknown {
    switch (op.type) {
      case "literal":
        return op.value;
      case "dot":
        return dot;
      case "nil":
        return null;
      case "field":
        return this.#fields(dot, op.path, op, lenient, ".");
      case "variable": {
        const slot = this.vars.findLast((v) => v.name === op.name);
        if (!slot) throw new TemplateError(`undefined variable "${op.name}"`, op.offset);
        return this.#fields(slot.value, op.path, op, lenient, op.name);
      }
      case "pipe": {
        const value = this.#pipe(op.pipe, dot);
        return this.#fields(value, op.path, op, lenient, "(...)");
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
