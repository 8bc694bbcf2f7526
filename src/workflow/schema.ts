/**
 * valibot schemas for every object in a workflow file. Each schema's message
 * is the phrase that completes "(expected ...)" in an error, so that the
 * validator can say what is wrong and what was expected in one line.
 * @module
 */
import * as v from "valibot";
import { DURATION_EXPECTED, parseDuration } from "./duration.ts";
import type { RetryPolicy } from "./types.ts";

/** A valibot message: the phrase that completes "(expected ...)". */
export const expect = (phrase: string) => () => phrase;

const scalarString = v.pipe(
  v.union([v.string(), v.number(), v.boolean()], expect("a string")),
  v.transform((value) => String(value)),
);

/** Whether a YAML value is a map. */
export const isMapValue = (value: unknown) => value !== null && typeof value === "object" && !Array.isArray(value);

/** A map (not a list) whose values match `value`; keys are checked by `key`. */
export function mapOf<K extends v.GenericSchema<string, string>, V extends v.GenericSchema>(key: K, value: V, expected: string) {
  return v.pipe(v.custom<Record<string, unknown>>(isMapValue, expect(expected)), v.record(key, value, expect(expected)));
}

/** A string. */
export const str = v.string(expect("a string"));
/** A non-empty string. */
export const nonEmpty = v.pipe(v.string(expect("a non-empty string")), v.minLength(1, expect("a non-empty string")));
/** A Go duration, parsed to milliseconds. */
export const duration = v.pipe(
  v.string(expect(DURATION_EXPECTED)),
  v.check((text) => parseDuration(text) !== undefined, expect(DURATION_EXPECTED)),
  v.transform((text) => parseDuration(text)!),
);
/** A map of names to scalar values, which are turned into strings (`PORT: 8080` is fine). */
export const stringMap = mapOf(
  v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, expect("names made of letters, digits and _ . -"))),
  scalarString,
  "a map of names to strings",
);
/** A whole number of at least `min`. */
export const wholeNumber = (min: number) =>
  v.pipe(
    v.number(expect(`a whole number of at least ${min}`)),
    v.integer(expect(`a whole number of at least ${min}`)),
    v.minValue(min, expect(`a whole number of at least ${min}`)),
  );
/** One step name or a list of them, as a list. */
export const nameList = v.pipe(
  v.union([nonEmpty, v.array(nonEmpty)], expect("a step name or a list of step names")),
  v.transform((value) => (Array.isArray(value) ? value : [value])),
);
/** A command as one string or a list of words. */
export const commandWords = v.union(
  [v.string(), v.array(v.string())],
  expect('a command string or a list of words such as ["sh", "-c", "..."]'),
);

/** The fields of `retry:`, with Atmos' defaults (the http kind adds `conditions`). */
export const retryEntries = {
  max_attempts: v.optional(wholeNumber(1), 1),
  backoff_strategy: v.optional(v.picklist(["constant", "linear", "exponential"], expect("one of: constant, linear, exponential")), "constant"),
  initial_delay: v.optional(duration, "1s"),
  max_delay: v.optional(duration),
  multiplier: v.optional(v.pipe(v.number(expect("a number of at least 1")), v.minValue(1, expect("a number of at least 1"))), 2),
  random_jitter: v.optional(
    v.pipe(v.number(expect("a number from 0 to 1")), v.minValue(0, expect("a number from 0 to 1")), v.maxValue(1, expect("a number from 0 to 1"))),
    0,
  ),
  max_elapsed_time: v.optional(duration),
};

/** A parsed `retry:` map as a {@linkcode RetryPolicy}. */
export function retryPolicyOf(r: v.InferOutput<v.ObjectSchema<typeof retryEntries, undefined>>): RetryPolicy {
  return {
    maxAttempts: r.max_attempts,
    backoff: r.backoff_strategy,
    initialDelayMs: r.initial_delay,
    maxDelayMs: r.max_delay,
    multiplier: r.multiplier,
    jitter: r.random_jitter,
    maxElapsedMs: r.max_elapsed_time,
  };
}

/** `retry:`, with Atmos' defaults, as a {@linkcode RetryPolicy}. */
export const retry = v.pipe(
  v.strictObject(retryEntries, expect("a map with max_attempts, backoff_strategy, initial_delay, ...")),
  v.transform(retryPolicyOf),
);

/** `fail:` of a group, with defaults. */
export const fail = v.strictObject(
  {
    mode: v.optional(v.picklist(["wait_all", "fail_fast", "best_effort"], expect("one of: wait_all, fail_fast, best_effort")), "wait_all"),
    max_failures: v.optional(wholeNumber(0), 0),
  },
  expect("a map with mode and max_failures"),
);

/** `output:` as a bare mode. */
export const outputMode = v.picklist(["grouped", "prefixed", "none"], expect("one of: grouped, prefixed, none"));
/** `output:` as a map. */
export const outputSettings = v.strictObject(
  {
    mode: v.optional(outputMode, "grouped"),
    order: v.optional(v.picklist(["completion", "definition"], expect("one of: completion, definition")), "completion"),
    show_summary: v.optional(v.boolean(expect("true or false")), true),
    prefix: v.optional(str, "{{ .step.name }}"),
  },
  expect("one of: grouped, prefixed, none, or a map with mode, order, show_summary, prefix"),
);

const matrixScalar = v.union([v.string(), v.number(), v.boolean()], expect("a string, number or boolean"));
/** A matrix `include`/`exclude` entry. */
export const combination = mapOf(v.string(), matrixScalar, "a map of axis names to values");

/** A matrix axis: a non-empty list of scalars. */
export const matrixAxis = v.pipe(
  v.array(matrixScalar, expect("a list of strings, numbers or booleans")),
  v.minLength(1, expect("at least one value")),
);
/** Matrix `include`/`exclude`. */
export const matrixCombinations = v.array(combination, expect("a list of maps of axis names to values"));

/** One workflow. */
export const workflowSchema = v.strictObject(
  {
    description: v.optional(str),
    stack: v.optional(str),
    env: v.optional(stringMap),
    working_directory: v.optional(str),
    // Checked by the parser against the sandbox's schema (src/steps/container/fields.ts).
    container: v.optional(v.unknown()),
    steps: v.array(v.unknown(), expect("a list of steps")),
    dependencies: v.optional(v.strictObject({
      tools: v.optional(mapOf(v.string(), scalarString, "a map of tool names to versions")),
      workflows: v.optional(v.array(v.unknown(), expect("a list of workflow names or maps"))),
      commands: v.optional(v.array(v.unknown(), expect("a list of command names or maps"))),
      // On Atmos' shared struct but never read by its workflow executor: accepted, ignored (README).
      components: v.optional(v.unknown()),
      files: v.optional(v.unknown()),
      folders: v.optional(v.unknown()),
    }, expect("a map with tools, workflows or commands"))),
    show: v.optional(v.strictObject({
      header: v.optional(v.boolean(expect("true or false"))),
      flags: v.optional(v.boolean(expect("true or false"))),
      command: v.optional(v.boolean(expect("true or false"))),
      count: v.optional(v.boolean(expect("true or false"))),
      progress: v.optional(v.boolean(expect("true or false"))),
      labels: v.optional(v.boolean(expect("true or false"))),
    }, expect("a map of header, flags, command, count, progress, labels to true or false"))),
    output: v.optional(v.picklist(["raw", "log", "viewport", "none"], expect("one of: raw, log, viewport, none"))),
    viewport: v.optional(v.strictObject({ height: v.optional(wholeNumber(1)), width: v.optional(wholeNumber(1)) }, expect("a map with height and width"))),
  },
  expect("a map with steps"),
);

/** The top of a workflow file. */
export const manifestSchema = v.strictObject(
  {
    name: v.optional(str),
    description: v.optional(str),
    workflows: mapOf(v.string(), v.unknown(), "a map of workflow names to workflows"),
  },
  expect('a map with a "workflows:" key'),
);

export type Schema = v.GenericSchema;
