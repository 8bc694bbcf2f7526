/**
 * Checking the question a suspended run wrote into its journal record
 * before the runner keeps it: the record is the run's own writing (any
 * step could rewrite it), so only the fields muster writes, of their types
 * and within bounds, are taken. The runner shows them (`GET /runs/:id`, the
 * notifyUrl notice) and checks answers against them; its own clock, never
 * the run's `since`, times the wait.
 * @module
 */
import type { WaitingFor } from "../journal/run-record.ts";

/** The longest step name, prompt kind, since and option/default text taken. */
const MAX_SHORT = 256;
/** The longest prompt or resolved text taken. */
const MAX_TEXT = 64 * 1024;
/** The most options (a `choose`/`filter` prompt's) and resolved texts taken. */
const MAX_ITEMS = 10_000;
const FIELDS = new Set(["step", "type", "prompt", "options", "default", "since", "digest", "check"]);

const isString = (value: unknown, max: number): value is string => typeof value === "string" && value.length <= max;
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Why `value` is not a question this runner takes (naming the field and
 * the rule), or undefined when it is one.
 *
 * @example
 * ```ts
 * waitingForProblem({ step: "approve", type: "confirm", prompt: "Apply?", since: {}, digest: "…" });
 * // 'waitingFor.since: expected a string of at most 256 characters'
 * ```
 */
export function waitingForProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return "waitingFor: expected an object";
  const unknown = Object.keys(value).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) return `waitingFor: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 64))).join(", ")}; expected only ${[...FIELDS].join(", ")}`;
  for (const [field, max] of [["step", MAX_SHORT], ["type", MAX_SHORT], ["prompt", MAX_TEXT]] as const) {
    if (!isString(value[field], max)) return `waitingFor.${field}: expected a string of at most ${max} characters`;
  }
  // The runner replaces it with its own time: only its type is checked (it may be missing).
  if (value.since !== undefined && !isString(value.since, MAX_SHORT)) return `waitingFor.since: expected a string of at most ${MAX_SHORT} characters`;
  if (typeof value.digest !== "string" || !/^[0-9a-f]{64}$/.test(value.digest)) return "waitingFor.digest: expected 64 lowercase hex digits (a SHA-256)";
  if (value.default !== undefined && !isString(value.default, MAX_TEXT)) return `waitingFor.default: expected a string of at most ${MAX_TEXT} characters`;
  if (value.options !== undefined && !(Array.isArray(value.options) && value.options.length <= MAX_ITEMS && value.options.every((o) => isString(o, MAX_TEXT)))) {
    return `waitingFor.options: expected at most ${MAX_ITEMS} strings of at most ${MAX_TEXT} characters`;
  }
  if (value.check !== undefined) {
    const check = value.check;
    if (!isPlainObject(check) || Object.keys(check).some((key) => key !== "step" && key !== "texts")) return "waitingFor.check: expected an object of step and texts only";
    if (!isPlainObject(check.step)) return "waitingFor.check.step: expected an object (the step's definition)";
    const texts = check.texts;
    if (!isPlainObject(texts) || Object.keys(texts).length > MAX_ITEMS || !Object.entries(texts).every(([k, t]) => k.length <= MAX_SHORT && isString(t, MAX_TEXT))) {
      return `waitingFor.check.texts: expected at most ${MAX_ITEMS} names mapped to strings of at most ${MAX_TEXT} characters`;
    }
  }
  return undefined;
}

/** `value`, checked by {@linkcode waitingForProblem}, with only its known fields (in a fresh object). */
export function knownWaitingFor(value: WaitingFor): WaitingFor {
  const { step, type, prompt, options, default: fallback, since, digest, check } = value;
  return {
    step, type, prompt, ...(options !== undefined ? { options: [...options] } : {}), ...(fallback !== undefined ? { default: fallback } : {}), since: since ?? "", digest,
    ...(check !== undefined ? { check: { step: check.step, texts: { ...check.texts } } } : {}),
  };
}
