/**
 * Go's text/template, as Atmos renders workflow fields: actions, pipelines,
 * parenthesised calls, variables, `if`/`else if`/`else`, `range` (with
 * `break`/`continue`), `with`, comments, trim markers, Go's predefined
 * functions and the Sprig functions workflow files use, with
 * `missingkey=error`. `define`/`template`/`block` are refused: a workflow
 * field is one template.
 *
 * Templates are parsed once per text (a 1,000-child matrix shares one
 * parse) and the parse also yields the references `validate` checks.
 * @module
 */
import { TemplateError } from "../errors.ts";
import { execute, executeParts, MissingKeyError, type RenderedPart } from "./execute.ts";
import type { RenderOptions } from "./function-types.ts";
import { FUNCTIONS, isFunction, suggestFunction } from "./functions.ts";
import { fieldOnlyNodes } from "./field-only.ts";
import { parse, type Operand, type Pipe, type TemplateNode } from "./parser.ts";

export { MissingKeyError, TemplateError };
export type { RenderedPart, RenderOptions };

/** The data a template sees. */
export type TemplateData = Record<string, unknown>;

/** The names of the functions templates may call. */
export const TEMPLATE_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS).sort();

/** A field path read from the root data (`.steps.build.value`, `$.vars.x`, `index .steps "b" "value"`). */
export interface Reference {
  path: string[];
  /** Where it is written in the template. */
  offset: number;
}

/** A parsed template. */
export interface CompiledTemplate {
  text: string;
  nodes: TemplateNode[];
  /** Paths read from the root, in order of appearance. */
  references: Reference[];
}

const cache = new Map<string, CompiledTemplate>();

/**
 * Parses `text` (once per distinct text). Throws a {@linkcode TemplateError}
 * with the offset of a syntax error, an unknown function (with a "did you
 * mean") or an undeclared variable.
 *
 * @example
 * ```ts
 * compileTemplate("{{ .steps.build.value | upper }}").references[0]!.path; // ["steps", "build", "value"]
 * ```
 */
export function compileTemplate(text: string): CompiledTemplate {
  let compiled = cache.get(text);
  if (!compiled) {
    const nodes = text.includes("{{") ? fieldOnlyNodes(text) ?? parse(text, isFunction, suggestFunction) : [{ type: "text" as const, text, offset: 0 }];
    compiled = { text, nodes, references: referencesOf(nodes) };
    if (cache.size > 10_000) cache.clear();
    cache.set(text, compiled);
  }
  return compiled;
}

/**
 * Renders `text` against `data`.
 *
 * @example
 * ```ts
 * renderTemplate("deploy {{ .vars.env | upper }}", { vars: { env: "prod" } }); // "deploy PROD"
 * ```
 */
export function renderTemplate(text: string, data: TemplateData, options: RenderOptions = {}): string {
  if (!text.includes("{{")) return text;
  return execute(compileTemplate(text).nodes, data, options);
}

/**
 * Renders `text` as pieces, each printed from data marked as such: every
 * root but those in `options.trusted` is data (see `executeParts`).
 *
 * @example
 * ```ts
 * renderTemplateParts("echo {{ .vars.x }}", { vars: { x: "a b" } }, { trusted: new Set(["workflow"]) });
 * // [{ text: "echo " }, { text: "a b", data: true, offset: 5 }]
 * ```
 */
export function renderTemplateParts(text: string, data: TemplateData, options: RenderOptions & { trusted: ReadonlySet<string> }): RenderedPart[] {
  if (!text.includes("{{")) return [{ text }];
  return executeParts(compileTemplate(text).nodes, data, options);
}

/**
 * The 1-based line and column of `offset` in `text`.
 *
 * @example
 * ```ts
 * lineAndColumn("a\nbc", 3); // { line: 2, col: 2 }
 * ```
 */
export function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/** Root references in the tree; dot is the root only outside `with` and `range` bodies. */
function referencesOf(nodes: TemplateNode[]): Reference[] {
  const found: Reference[] = [];
  const operand = (op: Operand, dotIsRoot: boolean) => {
    if (op.type === "field" && dotIsRoot) found.push({ path: op.path, offset: op.offset });
    else if (op.type === "variable" && op.name === "$" && op.path.length > 0) found.push({ path: op.path, offset: op.offset });
    else if (op.type === "pipe") pipe(op.pipe, dotIsRoot);
  };
  const pipe = (p: Pipe, dotIsRoot: boolean) => {
    for (const command of p.commands) {
      const [head, ...args] = command.args;
      // `index .steps "name" "value"` reads .steps.name.value.
      if (head?.type === "function" && head.name === "index" && args.length >= 2) {
        const base = args[0]!;
        const keys = args.slice(1);
        const rootPath = base.type === "field" && dotIsRoot ? base.path : base.type === "variable" && base.name === "$" ? base.path : undefined;
        if (rootPath && keys.every((k) => k.type === "literal" && typeof k.value === "string")) {
          found.push({ path: [...rootPath, ...keys.map((k) => String((k as { value: string }).value))], offset: base.offset });
          continue;
        }
      }
      for (const arg of command.args) operand(arg, dotIsRoot);
    }
  };
  const walk = (list: TemplateNode[], dotIsRoot: boolean) => {
    for (const node of list) {
      switch (node.type) {
        case "action":
          pipe(node.pipe, dotIsRoot);
          break;
        case "if":
          pipe(node.pipe, dotIsRoot);
          walk(node.list, dotIsRoot);
          if (node.elseList) walk(node.elseList, dotIsRoot);
          break;
        case "with":
        case "range":
          pipe(node.pipe, dotIsRoot);
          walk(node.list, false);
          if (node.elseList) walk(node.elseList, dotIsRoot);
          break;
      }
    }
  };
  walk(nodes, true);
  return found;
}
