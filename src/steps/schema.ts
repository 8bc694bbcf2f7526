/**
 * The schema of a step: the fields every step has, the generic ones its
 * kind's behaviours accept, then the kind's own fields. A field a kind does
 * not honour is not in its schema, so it is refused with a position.
 * @module
 */
import * as v from "valibot";
import { duration, expect, nonEmpty, retry, str, stringMap } from "../workflow/schema.ts";
import type { AnyKind, Placement } from "./kind.ts";
import { OUTPUT_KINDS, outputModeField, showSettings, viewportSettings } from "./output-mode.ts";
import { freshnessFields } from "./freshness-fields.ts";

/** `when:` and `continue:` are parsed by `workflow/condition.ts`, which reports their problems with positions. */
const condition = v.optional(v.unknown());

/** The fields of steps that run something: a stack, environment variables and a working directory, handed down by groups. */
export const runFields = {
  stack: v.optional(str),
  env: v.optional(stringMap, {}),
  working_directory: v.optional(str),
} as const;

interface Built {
  schema: v.GenericSchema;
  fields: ReadonlySet<string>;
}

const cache = new Map<AnyKind, Partial<Record<Placement, Built>>>();

function build(kind: AnyKind, placement: Placement): Built {
  let built = cache.get(kind);
  if (!built) cache.set(kind, (built = {}));
  return (built[placement] ??= (() => {
    const entries: v.ObjectEntries = {
      name: v.optional(nonEmpty),
      type: v.optional(str),
      ...(placement === "top" ? { when: condition, continue: condition, ...freshnessFields } : { needs: v.optional(v.array(nonEmpty, expect("a list of sibling step names")), []) }),
      outputs: v.optional(stringMap, {}),
      identity: v.optional(nonEmpty),
      ...(kind.behaviours.timeout ? { timeout: v.optional(duration) } : {}),
      ...(kind.behaviours.retry ? { retry: v.optional(retry) } : {}),
      // Atmos' `show` on every top-level step; `output` and `viewport` where there is output to show (output-mode.ts).
      ...(placement === "top" ? { show: v.optional(showSettings) } : {}),
      ...(OUTPUT_KINDS.has(kind.type) && placement === "top" ? { output: v.optional(outputModeField), viewport: v.optional(viewportSettings) } : {}),
      // A child's output is its group's to show: Atmos takes log or none there.
      ...(OUTPUT_KINDS.has(kind.type) && placement === "child" ? { output: v.optional(v.picklist(["log", "none"], expect("log or none (a child's output is shown by its group's output mode)"))) } : {}),
      ...kind.fields(placement),
    };
    return { schema: v.strictObject(entries, expect("a map")) as unknown as v.GenericSchema, fields: new Set(Object.keys(entries)) };
  })());
}

/**
 * The complete schema of `kind` at `placement`, built once.
 *
 * @example
 * ```ts
 * v.safeParse(stepSchema(shell, "top"), { type: "shell", command: "true", timeout: "5s" }).success; // true
 * ```
 */
export function stepSchema(kind: AnyKind, placement: Placement): v.GenericSchema {
  return build(kind, placement).schema;
}

/**
 * The names of the fields a step of `kind` may have at `placement`.
 *
 * @example
 * ```ts
 * stepFields(cancel, "top").has("timeout"); // false
 * ```
 */
export function stepFields(kind: AnyKind, placement: Placement): ReadonlySet<string> {
  return build(kind, placement).fields;
}
