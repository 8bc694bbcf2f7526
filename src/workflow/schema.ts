/**
 * valibot schemas for every object in a workflow file. Each schema's message
 * is the phrase that completes "(expected ...)" in an error, so that the
 * validator can say what is wrong and what was expected in one line.
 * @module
 */
import * as v from "valibot";
import { DURATION_EXPECTED, parseDuration } from "./duration.ts";

const expect = (phrase: string) => () => phrase;

const scalarString = v.pipe(
  v.union([v.string(), v.number(), v.boolean()], expect("a string")),
  v.transform((value) => String(value)),
);

const isMapValue = (value: unknown) => value !== null && typeof value === "object" && !Array.isArray(value);

/** A map (not a list) whose values match `value`; keys are checked by `key`. */
function mapOf<K extends v.GenericSchema<string, string>, V extends v.GenericSchema>(key: K, value: V, expected: string) {
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
const wholeNumber = (min: number) =>
  v.pipe(
    v.number(expect(`a whole number of at least ${min}`)),
    v.integer(expect(`a whole number of at least ${min}`)),
    v.minValue(min, expect(`a whole number of at least ${min}`)),
  );
const nameList = v.pipe(
  v.union([nonEmpty, v.array(nonEmpty)], expect("a step name or a list of step names")),
  v.transform((value) => (Array.isArray(value) ? value : [value])),
);
const commandWords = v.union(
  [v.string(), v.array(v.string())],
  expect('a command string or a list of words such as ["sh", "-c", "..."]'),
);

const retry = v.strictObject(
  {
    max_attempts: v.optional(wholeNumber(1)),
    backoff_strategy: v.optional(v.picklist(["constant", "linear", "exponential"], expect("one of: constant, linear, exponential"))),
    initial_delay: v.optional(duration),
    max_delay: v.optional(duration),
    multiplier: v.optional(v.pipe(v.number(expect("a number of at least 1")), v.minValue(1, expect("a number of at least 1")))),
    random_jitter: v.optional(
      v.pipe(v.number(expect("a number from 0 to 1")), v.minValue(0, expect("a number from 0 to 1")), v.maxValue(1, expect("a number from 0 to 1"))),
    ),
    max_elapsed_time: v.optional(duration),
  },
  expect("a map with max_attempts, backoff_strategy, initial_delay, ..."),
);

/** Fields shared by top-level steps and children of control steps. */
const runnableFields = {
  name: v.optional(nonEmpty),
  type: v.optional(str),
  stack: v.optional(str),
  env: v.optional(stringMap),
  working_directory: v.optional(str),
  timeout: v.optional(duration),
  retry: v.optional(retry),
};

/** Fields every top-level step may have. */
const stepCommon = {
  ...runnableFields,
  when: v.optional(v.picklist(["success", "failure", "always"], expect("one of: success, failure, always"))),
};

/** Fields a child of a control step may have (no `when`; `needs` instead). */
const childCommon = {
  ...runnableFields,
  needs: v.optional(v.array(nonEmpty, expect("a list of sibling step names"))),
};

const fail = v.strictObject(
  {
    mode: v.optional(v.picklist(["wait_all", "fail_fast", "best_effort"], expect("one of: wait_all, fail_fast, best_effort"))),
    max_failures: v.optional(wholeNumber(0)),
  },
  expect("a map with mode and max_failures"),
);

/** `output:` as a bare mode. */
export const outputMode = v.picklist(["grouped", "prefixed", "none"], expect("one of: grouped, prefixed, none"));
/** `output:` as a map. */
export const outputSettings = v.strictObject(
  {
    mode: v.optional(outputMode),
    order: v.optional(v.picklist(["completion", "definition"], expect("one of: completion, definition"))),
    show_summary: v.optional(v.boolean(expect("true or false"))),
    prefix: v.optional(str),
  },
  expect("one of: grouped, prefixed, none, or a map with mode, order, show_summary, prefix"),
);

const controlCommon = {
  ...stepCommon,
  steps: v.array(v.unknown(), expect("a list of child steps")),
  max_concurrency: v.optional(wholeNumber(0)),
  fail: v.optional(fail),
  // A mode string or a map: checked by the parser against outputMode/outputSettings.
  output: v.optional(v.unknown()),
};

const matrixScalar = v.union([v.string(), v.number(), v.boolean()], expect("a string, number or boolean"));
const combination = mapOf(v.string(), matrixScalar, "a map of axis names to values");

const port = v.strictObject(
  {
    host: v.optional(v.pipe(wholeNumber(0), v.maxValue(65535, expect("a port number from 0 to 65535")))),
    container: v.pipe(wholeNumber(1), v.maxValue(65535, expect("a port number from 1 to 65535"))),
    protocol: v.optional(v.picklist(["tcp", "udp"], expect("one of: tcp, udp"))),
    host_ip: v.optional(nonEmpty),
  },
  expect("a map with host, container, protocol, host_ip"),
);

const volume = v.strictObject(
  { source: nonEmpty, target: nonEmpty, read_only: v.optional(v.boolean(expect("true or false"))) },
  expect("a map with source, target, read_only"),
);

const healthcheck = v.strictObject(
  {
    test: v.union(
      [nonEmpty, v.pipe(v.array(v.string()), v.minLength(1, expect('a non-empty list such as ["CMD", "wget", "-q", "..."]')))],
      expect('a list starting with CMD, CMD-SHELL or NONE, or a shell command string'),
    ),
    interval: v.optional(duration),
    timeout: v.optional(duration),
    retries: v.optional(wholeNumber(0)),
    start_period: v.optional(duration),
    start_interval: v.optional(duration),
  },
  expect("a map with test, interval, timeout, retries, start_period, start_interval"),
);

/** `with:` of a container step. */
export const containerWith = v.strictObject(
  {
    image: nonEmpty,
    command: v.optional(commandWords),
    entrypoint: v.optional(commandWords),
    env: v.optional(stringMap),
    ports: v.optional(v.array(port, expect("a list of port mappings"))),
    volumes: v.optional(v.array(volume, expect("a list of volume mounts"))),
    workdir: v.optional(nonEmpty),
    user: v.optional(nonEmpty),
    labels: v.optional(stringMap),
    pull: v.optional(v.picklist(["missing", "always", "never"], expect("one of: missing, always, never"))),
    healthcheck: v.optional(healthcheck),
    stop_timeout: v.optional(duration),
    ready_timeout: v.optional(duration),
  },
  expect("a map with image and the container's settings"),
);

/** The schema for a step of each type, at the top level of a workflow. */
export const STEP_SCHEMAS = {
  atmos: v.strictObject({ ...stepCommon, command: str }, expect("a map")),
  shell: v.strictObject({ ...stepCommon, command: str }, expect("a map")),
  sleep: v.strictObject({ ...stepCommon, duration: v.optional(duration) }, expect("a map")),
  parallel: v.strictObject(controlCommon, expect("a map")),
  matrix: v.strictObject(
    { ...controlCommon, matrix: mapOf(v.string(), v.unknown(), "a map of axis names to lists of values") },
    expect("a map"),
  ),
  container: v.strictObject(
    {
      ...stepCommon,
      action: v.optional(str),
      background: v.optional(v.boolean(expect("true or false"))),
      with: mapOf(v.string(), v.unknown(), "a map of container settings"),
    },
    expect("a map"),
  ),
  wait: v.strictObject({ name: stepCommon.name, type: stepCommon.type, when: stepCommon.when, timeout: stepCommon.timeout, for: nameList }, expect("a map")),
  cancel: v.strictObject({ name: stepCommon.name, type: stepCommon.type, when: stepCommon.when, for: nameList }, expect("a map")),
  "wait-all": v.strictObject({ name: stepCommon.name, type: stepCommon.type, when: stepCommon.when, timeout: stepCommon.timeout }, expect("a map")),
} as const;

/** The schema for a child of a `parallel`/`matrix` step, by type. */
export const CHILD_SCHEMAS = {
  atmos: v.strictObject({ ...childCommon, command: str }, expect("a map")),
  shell: v.strictObject({ ...childCommon, command: str }, expect("a map")),
  sleep: v.strictObject({ ...childCommon, duration: v.optional(duration) }, expect("a map")),
} as const;

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
    steps: v.array(v.unknown(), expect("a list of steps")),
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
export { v };
