/**
 * The body of `POST /dispatch`, validated with valibot. Every string that
 * reaches a command line or a path is held to a strict pattern.
 * @module
 */
import * as v from "valibot";
import { parseDuration } from "../workflow/duration.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A string that reaches a run's environment: bounded, without NUL or control characters (tab, newline, carriage return allowed). */
const envText = (what: string) => v.pipe(
  v.string(`${what} must be strings`),
  v.maxLength(4096, `${what} must be at most 4096 characters`),
  v.regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/, `${what} must not contain NUL or control characters (tab, newline and carriage return are allowed)`),
);
/** Answers to prompt steps, by step name, as `--answer NAME=VALUE`. */
const answerMap = v.pipe(
  v.record(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.\/:-]{0,127}$/, "keys must be step names (letters, digits, _ . / : -; up to 128)")),
    envText("answers"),
    "must be a map of step names to strings",
  ),
  v.check((answers) => Object.keys(answers).length <= 64, "at most 64 answers"),
);
const pattern = (re: RegExp, what: string) => v.pipe(v.string(`must be a string`), v.regex(re, `must match ${re.source} (${what})`));

/** A validated dispatch. */
export const dispatchSchema = v.strictObject(
  {
    runId: pattern(NAME, "letters, digits, . _ -; up to 128"),
    workflow: pattern(NAME, "a workflow name"),
    file: v.optional(
      v.pipe(
        pattern(/^[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}$/, "a relative path"),
        v.check((p) => !p.split("/").includes(".."), "must not contain '..'"),
      ),
    ),
    stack: v.optional(pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a stack name")),
    vars: v.optional(
      v.pipe(
        v.record(
          v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "keys must be identifiers of up to 64 characters")),
          v.pipe(
            v.string("values must be strings"),
            v.maxLength(4096, "values must be at most 4096 characters"),
            // NUL cannot reach a process's argv or environment; other control characters only hide what a value does.
            v.regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/, "values must not contain NUL or control characters (tab, newline and carriage return are allowed)"),
          ),
          "must be a map of strings",
        ),
        v.check((vars) => Object.keys(vars).length <= 64, "at most 64 variables"),
      ),
    ),
    callbackUrl: v.pipe(v.string("must be a string"), v.maxLength(2048, "at most 2048 characters"), v.url("must be a URL")),
    // Where the `waiting` notice of a run suspended at a prompt goes (the callback gets final results only).
    notifyUrl: v.optional(v.pipe(v.string("must be a string"), v.maxLength(2048, "at most 2048 characters"), v.url("must be a URL"))),
    // Answers to prompt steps, as --answer NAME=VALUE: the run asks none of these (the run checks them against its workflow when it starts).
    answers: v.optional(answerMap),
    callbackToken: v.optional(v.pipe(v.string("must be a string"), v.maxLength(4096, "at most 4096 characters"))),
    timeout: v.optional(v.pipe(v.string("must be a duration such as 30m"), v.check((t) => (parseDuration(t) ?? 0) > 0, "must be a duration such as 30m or 2h"))),
  },
  "must be a JSON object",
);

/** Var names that JavaScript objects treat specially: refused, never silently dropped. */
export const RESERVED_VARS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** A dispatch request. */
export type Dispatch = v.InferOutput<typeof dispatchSchema>;

/** Field errors as `{ field, message }`. */
export interface FieldError {
  field: string;
  message: string;
}

/** A valibot issue as a field error. */
function fieldError(issue: v.BaseIssue<unknown>): FieldError {
  const path = (issue.path ?? []).map((p) => String(p.key)).join(".");
  if (issue.type === "strict_object" && issue.expected === "never") return { field: path, message: "unknown field" };
  if (issue.input === undefined && path) return { field: path, message: "is required" };
  return { field: path || "(body)", message: issue.message };
}

/**
 * Validates a parsed JSON body.
 *
 * @example
 * ```ts
 * parseDispatch({ runId: "r1", workflow: "deploy", callbackUrl: "https://orchestrator.example/cb" }).ok; // true
 * ```
 */
export function parseDispatch(body: unknown): { ok: true; dispatch: Dispatch } | { ok: false; errors: FieldError[] } {
  // A map would drop these names without a word (or reach an object's prototype): refused by name.
  for (const field of ["vars", "answers"] as const) {
    const map = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined;
    if (typeof map !== "object" || map === null || Array.isArray(map)) continue;
    const reserved = Object.keys(map).filter((key) => RESERVED_VARS.has(key));
    if (reserved.length > 0) {
      return { ok: false, errors: reserved.map((key) => ({ field: `${field}.${key}`, message: `the name ${JSON.stringify(key)} is reserved (__proto__, constructor and prototype are refused): rename the ${field === "vars" ? "variable" : "step"}` })) };
    }
  }
  const result = v.safeParse(dispatchSchema, body, { abortEarly: false });
  if (result.success) return { ok: true, dispatch: result.output };
  return {
    ok: false,
    errors: result.issues.map(fieldError),
  };
}

/** The body of `POST /runs/:id/answers`. */
export const answerBodySchema = v.strictObject(
  {
    answers: answerMap,
    digest: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[0-9a-f]{64}$/, "must be the 64 hex digits of the question's digest (waitingFor.digest)"))),
  },
  "must be a JSON object",
);

/**
 * Validates the body of `POST /runs/:id/answers`: the answers and, if given, the question's digest.
 *
 * @example
 * ```ts
 * parseAnswerBody({ answers: { approve: "yes" } }).ok; // true
 * ```
 */
export function parseAnswerBody(body: unknown): { ok: true; answers: Record<string, string>; digest?: string } | { ok: false; errors: FieldError[] } {
  const map = typeof body === "object" && body !== null ? (body as Record<string, unknown>).answers : undefined;
  if (typeof map === "object" && map !== null && !Array.isArray(map)) {
    const reserved = Object.keys(map).filter((key) => RESERVED_VARS.has(key));
    if (reserved.length > 0) return { ok: false, errors: reserved.map((key) => ({ field: `answers.${key}`, message: `the name ${JSON.stringify(key)} is reserved` })) };
  }
  const result = v.safeParse(answerBodySchema, body, { abortEarly: false });
  if (result.success) return { ok: true, answers: result.output.answers, ...(result.output.digest ? { digest: result.output.digest } : {}) };
  return { ok: false, errors: result.issues.map(fieldError) };
}
