/**
 * `when:` and `continue:` conditions, as Atmos evaluates them
 * (pkg/condition): a predicate keyword (`always never success failure ci
 * local`, any case), any other string as a CEL expression (`!cel expr`
 * forces CEL), a list (all must hold), or a map with exactly one of `all`,
 * `any`, `not`. CEL is compiled by cel.ts, loaded on first use
 * ({@linkcode loadCel}): a file without CEL never loads the library.
 *
 * `when` has an implicit success rule: a condition that does not mention
 * the predicates `success`, `failure`, `always` or, in CEL, `status` also
 * requires that nothing failed so far. `continue` is judged after the step
 * failed, with status `failure`, and has no implicit rule.
 * @module
 */
import type { CelVariables, CompiledCel } from "./cel.ts";

/** The predicate keywords. */
export const PREDICATES = ["always", "never", "success", "failure", "ci", "local"] as const;
export type Predicate = (typeof PREDICATES)[number];

/** A CEL expression: `path` (within the field) and `offset` (within the string there) are where `expr` starts. */
export interface CelCondition {
  kind: "cel";
  expr: string;
  path: Array<string | number>;
  offset: number;
}

/** A parsed condition. */
export type Condition =
  | { kind: "predicate"; name: Predicate }
  | CelCondition
  | { kind: "all" | "any"; items: Condition[] }
  | { kind: "not"; item: Condition };

/** What a condition is judged against. */
export interface ConditionContext {
  /** `success` while nothing failed; `failure` after a failure; `canceled` after an interrupt. */
  status: "success" | "failure" | "canceled";
  /** Whether the run is in CI. */
  ci: boolean;
  /** The values of CEL's variables (status and ci are taken from here); asked for only by a CEL condition. */
  cel?: () => Omit<CelVariables, "status" | "ci">;
}

/** A CEL condition that could not be evaluated (a missing key, a bad regex): the run stops, as in Atmos. */
export class ConditionEvaluationError extends Error {}

/** A condition that cannot be parsed: `path` is where, relative to the field. */
export class ConditionError extends Error {
  constructor(message: string, readonly path: Array<string | number> = []) {
    super(message);
  }
}

const EXPECTED = `one of: ${PREDICATES.join(", ")}; a list of those (all must hold); or a map with one of all, any, not`;

/**
 * Parses a condition as written in YAML.
 *
 * @example
 * ```ts
 * parseCondition({ any: ["failure", "ci"] }); // { kind: "any", items: [...] }
 * ```
 */
export function parseCondition(raw: unknown, path: Array<string | number> = []): Condition | undefined {
  if (typeof raw === "boolean") return { kind: "predicate", name: raw ? "always" : "never" };
  if (typeof raw === "string") {
    // An empty string is no condition, as in Atmos (pkg/condition normalizeString).
    const text = raw.trim();
    if (text === "") return undefined;
    const lower = text.toLowerCase();
    const lead = raw.length - raw.trimStart().length;
    if (lower.startsWith("!cel")) {
      const rest = text.slice(4);
      const expr = rest.trim();
      if (expr === "") throw new ConditionError(`!cel requires an expression (expected "!cel <expression>", e.g. !cel stack == "prod")`, path);
      return { kind: "cel", expr, path, offset: lead + 4 + (rest.length - rest.trimStart().length) };
    }
    if ((PREDICATES as readonly string[]).includes(lower)) return { kind: "predicate", name: lower as Predicate };
    return { kind: "cel", expr: text, path, offset: lead };
  }
  if (Array.isArray(raw)) return { kind: "all", items: present(raw.map((item, i) => parseCondition(item, [...path, i]))) };
  if (raw !== null && typeof raw === "object") {
    const keys = Object.keys(raw);
    if (keys.length !== 1) throw new ConditionError(`a condition map has ${keys.length} keys (expected exactly one of all, any, not)`, path);
    const key = keys[0]!;
    const value = (raw as Record<string, unknown>)[key];
    const op = key.trim().toLowerCase();
    if (op === "not") {
      const item = parseCondition(value, [...path, key]);
      if (!item) throw new ConditionError(`not requires a condition (expected a predicate, a CEL expression, a list or a map under "not")`, [...path, key]);
      return { kind: "not", item };
    }
    if (op === "all" || op === "any") {
      const items = Array.isArray(value) ? value.map((item, i) => parseCondition(item, [...path, key, i])) : [parseCondition(value, [...path, key])];
      return { kind: op, items: present(items) };
    }
    throw new ConditionError(`unknown operator "${key}" (expected exactly one of all, any, not)`, path);
  }
  throw new ConditionError(`got ${raw === null ? "null" : typeof raw} (expected ${EXPECTED})`, path);
}

const present = (items: Array<Condition | undefined>): Condition[] => items.filter((c): c is Condition => c !== undefined);

/** The CEL expressions of a condition, in order. */
export function celParts(condition: Condition | undefined): CelCondition[] {
  if (!condition) return [];
  switch (condition.kind) {
    case "cel":
      return [condition];
    case "all":
    case "any":
      return condition.items.flatMap(celParts);
    case "not":
      return celParts(condition.item);
    default:
      return [];
  }
}

type CelModule = typeof import("./cel.ts");
let celModule: CelModule | undefined;
const compiled = new WeakMap<CelCondition, CompiledCel>();

/**
 * Loads the CEL library: the one import of it, made only when a file has a
 * CEL condition (files without one pay nothing for it at start-up).
 */
export async function loadCel(): Promise<CelModule> {
  return (celModule ??= await import("./cel.ts"));
}

/** The CEL module if {@linkcode loadCel} has loaded it. */
export function loadedCel(): CelModule | undefined {
  return celModule;
}

/**
 * Compiles a CEL part once (the library must be loaded): its program, or
 * why it does not compile, at `offset` of the expression.
 */
export function compileCelPart(part: CelCondition): CompiledCel | { problem: string; offset: number } {
  const known = compiled.get(part);
  if (known) return known;
  if (!celModule) throw new Error("CEL is not loaded: call loadCel() first");
  const result = celModule.compileCel(part.expr);
  if ("evaluate" in result) compiled.set(part, result);
  return result;
}

function holdsCel(part: CelCondition, ctx: ConditionContext): boolean {
  const program = compileCelPart(part);
  if (!("evaluate" in program)) throw new ConditionEvaluationError(`CEL expression ${JSON.stringify(part.expr)} does not compile: ${program.problem}`);
  if (!ctx.cel) throw new Error("a CEL condition was judged without its variables");
  const outcome = program.evaluate({ ...ctx.cel(), status: ctx.status, ci: ctx.ci });
  if ("error" in outcome) {
    const hint = /not found|no such key/i.test(outcome.error) ? ` (a missing key is an error, as in Atmos: test for it first, e.g. "NAME" in env && env.NAME == "x")` : "";
    throw new ConditionEvaluationError(`CEL expression ${JSON.stringify(part.expr)} could not be evaluated: ${outcome.error}${hint}`);
  }
  return outcome.value;
}

/**
 * Whether `condition` holds in `ctx`, without the implicit success rule.
 * @throws {ConditionEvaluationError} when a CEL part cannot be evaluated.
 */
export function holds(condition: Condition, ctx: ConditionContext): boolean {
  switch (condition.kind) {
    case "cel":
      return holdsCel(condition, ctx);
    case "predicate":
      switch (condition.name) {
        case "always":
          return true;
        case "never":
          return false;
        case "success":
          return ctx.status === "success";
        case "failure":
          return ctx.status === "failure";
        case "ci":
          return ctx.ci;
        case "local":
          return !ctx.ci;
      }
      return false;
    case "all":
      return condition.items.every((item) => holds(item, ctx));
    case "any":
      return condition.items.some((item) => holds(item, ctx));
    case "not":
      return !holds(condition.item, ctx);
  }
}

/**
 * Whether a CEL expression mentions `ident`, Atmos' way (celMentionsIdentifier):
 * split on every character but letters, digits, `_` and `.`, a token is the
 * identifier or starts with it and a dot. (So `"status"` in a string literal
 * counts and `env.status` does not, as in Atmos.)
 */
export function celMentions(expr: string, ident: string): boolean {
  return expr.split(/[^A-Za-z0-9_.]+/).some((token) => token === ident || token.startsWith(`${ident}.`));
}

/** Whether the condition reasons about the run's status (`success`, `failure`, `always`, or CEL's `status`). */
export function mentionsStatus(condition: Condition): boolean {
  switch (condition.kind) {
    case "cel":
      return celMentions(condition.expr, "status");
    case "predicate":
      return condition.name === "success" || condition.name === "failure" || condition.name === "always";
    case "all":
    case "any":
      return condition.items.some(mentionsStatus);
    case "not":
      return mentionsStatus(condition.item);
  }
}

/**
 * Whether a step with this `when:` runs. Unset means `success`; a condition
 * that does not mention the status also requires success.
 *
 * @example
 * ```ts
 * shouldRun(parseCondition("ci"), { status: "failure", ci: true }); // false
 * ```
 */
export function shouldRun(when: Condition | undefined, ctx: ConditionContext): boolean {
  if (!when) return ctx.status === "success";
  if (!mentionsStatus(when) && ctx.status !== "success") return false;
  return holds(when, ctx);
}

/** Whether a failed step with this `continue:` is forgiven (judged with status `failure`). */
export function forgives(continueOn: Condition | undefined, ctx: Omit<ConditionContext, "status">): boolean {
  return continueOn !== undefined && holds(continueOn, { ...ctx, status: "failure" });
}

/** The condition as YAML would write it, for `describe`. */
export function conditionText(condition: Condition): string {
  switch (condition.kind) {
    case "predicate":
      return condition.name;
    case "cel":
      return condition.expr;
    case "all":
    case "any":
      return `${condition.kind}(${condition.items.map(conditionText).join(", ")})`;
    case "not":
      return `not(${conditionText(condition.item)})`;
  }
}

/** Whether muster runs in CI, as Atmos' `ci` predicate sees it: `CI` set to anything but false/0, or a known provider. */
export function inCi(env: Record<string, string | undefined>): boolean {
  const ci = (env.CI ?? "").trim().toLowerCase();
  if (ci !== "" && ci !== "false" && ci !== "0") return true;
  return env.GITHUB_ACTIONS === "true" || env.GITLAB_CI === "true" || env.BUILDKITE === "true" || env.TF_BUILD === "True" || env.JENKINS_URL !== undefined;
}
