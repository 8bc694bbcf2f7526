/**
 * The freshness fields every top-level step may have, as Atmos declares
 * them on any workflow step (pkg/schema/workflow.go): `inputs.sources` and
 * `artifacts.paths` (glob patterns, relative to the step's directory) and
 * `preconditions.tools` (programs on PATH). A pattern that is not a glob
 * (an unclosed `[` or `{`) is refused at `validate`, with its position.
 * @module
 */
import * as v from "valibot";
import { expect, isMapValue } from "../workflow/schema.ts";
import { GlobError, globToRegExp } from "../files/glob.ts";

const compiles = (pattern: string): boolean => {
  try {
    globToRegExp(pattern);
    return true;
  } catch (error) {
    if (error instanceof GlobError) return false;
    throw error;
  }
};

const GLOB = "a glob pattern (an unclosed [ or { is not one)";
const glob = v.pipe(v.string(expect(GLOB)), v.minLength(1, expect(GLOB)), v.check(compiles, expect(GLOB)));
const globs = (what: string) => v.optional(v.array(glob, expect(`a list of ${what}`)), []);
const tool = v.pipe(v.string(expect("a program name")), v.minLength(1, expect("a program name")));

/**
 * The entries: each field is a map with one list, `additionalProperties: false` as in Atmos' schema.
 *
 * @example
 * ```ts
 * v.safeParse(v.strictObject(freshnessFields), { inputs: { sources: ["src/**\/*.go"] } }).success; // true
 * ```
 */
export const freshnessFields = {
  inputs: v.optional(map({ sources: globs("glob patterns of the files the step reads") }, "a map with sources: [glob, ...]")),
  artifacts: v.optional(map({ paths: globs("glob patterns of the files the step makes") }, "a map with paths: [glob, ...]")),
  preconditions: v.optional(map({ tools: v.optional(v.array(tool, expect("a list of program names")), []) }, "a map with tools: [program, ...]")),
} as const;

/** A map (a list is refused as one, not read as keys 0, 1, ...) with exactly `entries`. */
function map<E extends v.ObjectEntries>(entries: E, expected: string) {
  return v.pipe(v.custom<Record<string, unknown>>(isMapValue, expect(expected)), v.strictObject(entries, expect(expected)));
}
