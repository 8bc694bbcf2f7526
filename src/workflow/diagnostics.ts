/**
 * Turning valibot issues into one-line, human errors with a position:
 * `FILE:LINE:COL: <where>: <what is wrong> (<what was expected>)`.
 * @module
 */
import type { BaseIssue } from "valibot";
import type { Diagnostic } from "../errors.ts";
import type { Schema } from "./schema.ts";
import { suggest } from "../util/suggest.ts";
import type { YamlSource } from "./yaml-source.ts";

export type { Diagnostic } from "../errors.ts";

/**
 * Formats a diagnostic as `FILE:LINE:COL: message`.
 *
 * @example
 * ```ts
 * formatDiagnostic({ file: "w.yaml", line: 3, col: 7, message: "oops" }); // "w.yaml:3:7: oops"
 * ```
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

/** Describes a YAML value in a few words for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value} ${String(value)}`;
}

export { suggest };

/** Names people write for a field, from other tools (compose, GitHub Actions, Task), and muster's name for it. */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  environment: "env",
  working_dir: "working_directory",
  workdir: "working_directory",
  cwd: "working_directory",
  dir: "working_directory",
  depends_on: "needs",
  run: "command",
  cmd: "command",
};

/**
 * The field of `allowed` a misspelt or foreign `word` most likely means:
 * a close spelling, else a known alias (or a close spelling of one).
 *
 * @example
 * ```ts
 * suggestField("enviroment", ["command", "env"]); // "env"
 * ```
 */
export function suggestField(word: string, allowed: readonly string[]): string | undefined {
  const close = suggest(word, allowed);
  if (close) return close;
  const alias = suggest(word, Object.keys(FIELD_ALIASES));
  const target = alias ? FIELD_ALIASES[alias] : undefined;
  return target && allowed.includes(target) ? target : undefined;
}

type AnySchema = Schema & { entries?: Record<string, AnySchema>; wrapped?: AnySchema; pipe?: AnySchema[]; options?: AnySchema[]; item?: AnySchema; value?: AnySchema; message?: unknown };

/** The object schema reachable at `keys` inside `schema`, unwrapping optional/pipe/union/array/record. @internal */
function objectSchemaAt(schema: AnySchema, keys: ReadonlyArray<string | number>): AnySchema | undefined {
  let current: AnySchema | undefined = schema;
  const unwrap = (s: AnySchema | undefined): AnySchema | undefined => {
    while (s) {
      if (s.type === "optional" && s.wrapped) s = s.wrapped;
      // A pipe that checks the shape first (a map, not a list) and then is an object: the object.
      else if (s.pipe && s.pipe[0] !== s) s = s.pipe.find((p) => p !== s && p.entries) ?? s.pipe[0];
      else if (s.type === "union" && s.options) s = s.options.find((o) => unwrap(o)?.entries) ?? s.options[0];
      else return s;
    }
    return s;
  };
  for (const key of keys) {
    current = unwrap(current);
    if (!current) return undefined;
    if (current.entries) current = current.entries[String(key)];
    else if (current.item) current = current.item;
    else if (current.value && typeof key === "string") current = current.value;
    else return undefined;
  }
  return unwrap(current);
}

/** The "expected" phrase of the entry at `keys`: the first message met while unwrapping optional and pipe. */
function expectedAt(schema: AnySchema, keys: ReadonlyArray<string | number>): string {
  let entry = objectSchemaAt(schema, keys.slice(0, -1))?.entries?.[String(keys.at(-1))];
  while (entry) {
    if (typeof entry.message === "function") return String(entry.message());
    entry = entry.type === "optional" ? entry.wrapped : entry.pipe?.[0] !== entry ? entry.pipe?.[0] : undefined;
  }
  return "a value";
}

/** Formats a path inside a step such as `with.ports[0].host`. */
export function formatFieldPath(keys: ReadonlyArray<string | number>): string {
  return keys.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

/** The value at `keys` inside `value`, if there is one. */
function valueAt(value: unknown, keys: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * `issues` plus an unknown-key issue for every other key of the same map that
 * its schema does not name (valibot reports only a map's first), in the map's
 * order. @internal
 */
function withEveryUnknownKey(
  schema: AnySchema,
  issues: ReadonlyArray<BaseIssue<unknown>>,
  value: unknown,
  isUnknownKey: (issue: BaseIssue<unknown>) => boolean,
  keysOf: (issue: BaseIssue<unknown>) => Array<string | number>,
): ReadonlyArray<BaseIssue<unknown>> {
  if (value === undefined) return issues;
  const out: Array<BaseIssue<unknown>> = [];
  for (const issue of issues) {
    out.push(issue);
    if (!isUnknownKey(issue)) continue;
    const keys = keysOf(issue);
    const parentKeys = keys.slice(0, -1);
    const parent = valueAt(value, parentKeys);
    const allowed = objectSchemaAt(schema, parentKeys)?.entries;
    if (!allowed || parent === null || typeof parent !== "object" || Array.isArray(parent)) continue;
    const pathItems = issue.path ?? [];
    for (const key of Object.keys(parent)) {
      if (key === keys.at(-1) || Object.hasOwn(allowed, key)) continue;
      const item = { ...pathItems.at(-1)!, key, value: (parent as Record<string, unknown>)[key] };
      out.push({ ...issue, input: item.value, path: [...pathItems.slice(0, -1), item] as unknown as BaseIssue<unknown>["path"] });
    }
  }
  return out;
}

/**
 * A warning: the file is accepted (as Atmos accepts it) but is probably not
 * what its author meant. `workflow` names the workflow it belongs to
 * (undefined: the file itself), so a run shows only its own.
 */
export interface Warning extends Diagnostic {
  workflow?: string;
}

/**
 * Formats a warning as `FILE:LINE:COL: warning: message`.
 *
 * @example
 * ```ts
 * formatWarning({ file: "w.yaml", line: 3, col: 7, message: "odd" }); // "w.yaml:3:7: warning: odd"
 * ```
 */
export function formatWarning(w: Diagnostic): string {
  return `${w.file}:${w.line}:${w.col}: warning: ${w.message}`;
}

/** Collects diagnostics for one file. */
export class DiagnosticCollector {
  readonly diagnostics: Diagnostic[] = [];
  readonly warnings: Warning[] = [];
  #file: string;
  #source: YamlSource;

  constructor(file: string, source: YamlSource) {
    this.#file = file;
    this.#source = source;
  }

  /** Records `text` at the value (or key) found at `path`. */
  report(path: ReadonlyArray<string | number>, where: string, text: string, part: "key" | "value" = "value"): void {
    const { line, col } = this.#source.position(path, part);
    this.diagnostics.push({ file: this.#file, line, col, message: where ? `${where}: ${text}` : text });
  }

  /** Records a warning about the value (or key) at `path`: accepted, but probably not meant. */
  warn(path: ReadonlyArray<string | number>, where: string, text: string, part: "key" | "value" = "value"): void {
    const { line, col } = this.#source.position(path, part);
    const workflow = path[0] === "workflows" && typeof path[1] === "string" ? path[1] : undefined;
    this.warnings.push({ file: this.#file, line, col, message: where ? `${where}: ${text}` : text, ...(workflow !== undefined ? { workflow } : {}) });
  }

  /**
   * Records every valibot issue of parsing `value` (found at `base`) with
   * `schema`. `fieldPrefix` is how the value at `base` is named in messages
   * (e.g. `with`). valibot stops at a map's first unknown key; every other
   * unknown key of that map is reported too, so one run shows them all.
   */
  reportIssues(
    schema: Schema,
    reported: ReadonlyArray<BaseIssue<unknown>>,
    base: ReadonlyArray<string | number>,
    where: string,
    fieldPrefix: ReadonlyArray<string | number> = [],
    value?: unknown,
  ): void {
    const isUnknownKey = (issue: BaseIssue<unknown>) => issue.type === "strict_object" && issue.expected === "never";
    const keysOf = (issue: BaseIssue<unknown>) => (issue.path ?? []).map((item) => item.key as string | number);
    const issues = withEveryUnknownKey(schema as AnySchema, reported, value, isUnknownKey, keysOf);
    // A typo ("comand") also makes the real field missing; report only the typo.
    const typoTargets = new Set<string>();
    for (const issue of issues.filter(isUnknownKey)) {
      const keys = keysOf(issue);
      const allowed = Object.keys(objectSchemaAt(schema as AnySchema, keys.slice(0, -1))?.entries ?? {});
      const hint = suggestField(String(keys.at(-1)), allowed);
      if (hint) typoTargets.add(formatFieldPath([...keys.slice(0, -1), hint]));
    }
    for (const issue of issues) {
      const keys = keysOf(issue);
      const path = [...base, ...keys];
      const last = keys.at(-1);
      const field = formatFieldPath([...fieldPrefix, ...keys]);
      if (isUnknownKey(issue) && last !== undefined) {
        const parent = objectSchemaAt(schema as AnySchema, keys.slice(0, -1));
        const allowed = Object.keys(parent?.entries ?? {});
        const hint = suggestField(String(last), allowed);
        const scopeKeys = [...fieldPrefix, ...keys.slice(0, -1)];
        const scope = scopeKeys.length > 0 ? ` in "${formatFieldPath(scopeKeys)}"` : "";
        this.report(
          path,
          where,
          `unknown field "${last}"${scope}${hint ? `, did you mean "${hint}"?` : ""} (expected one of: ${allowed.join(", ")})`,
          "key",
        );
      } else if (issue.input === undefined && issue.received === "undefined" && last !== undefined) {
        if (typoTargets.has(formatFieldPath(keys))) continue;
        this.report(path, where, `missing required field "${field}" (expected ${expectedAt(schema as AnySchema, keys)})`);
      } else {
        const subject = field ? `field "${field}": ` : "";
        this.report(path, where, `${subject}got ${describeValue(issue.input)} (expected ${issue.message})`);
      }
    }
  }
}
