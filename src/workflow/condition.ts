/**
 * `when:` and `continue:` conditions, as Atmos evaluates them
 * (pkg/condition): a predicate keyword (`always never success failure ci
 * local`, any case), a list (all must hold), or a map with exactly one of
 * `all`, `any`, `not`. CEL expressions are refused with a position: muster
 * has no CEL evaluator yet (no CEL library fits a single small binary).
 *
 * `when` has an implicit success rule: a condition that does not mention
 * `success`, `failure` or `always` also requires that nothing failed so far.
 * `continue` is judged after the step failed, with status `failure`, and
 * has no implicit rule.
 * @module
 */

/** The predicate keywords. */
export const PREDICATES = ["always", "never", "success", "failure", "ci", "local"] as const;
export type Predicate = (typeof PREDICATES)[number];

/** A parsed condition. */
export type Condition =
  | { kind: "predicate"; name: Predicate }
  | { kind: "all" | "any"; items: Condition[] }
  | { kind: "not"; item: Condition };

/** What a condition is judged against. */
export interface ConditionContext {
  /** `success` while nothing failed; `failure` after a failure; `canceled` after an interrupt. */
  status: "success" | "failure" | "canceled";
  /** Whether the run is in CI. */
  ci: boolean;
}

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
export function parseCondition(raw: unknown, path: Array<string | number> = []): Condition {
  if (typeof raw === "boolean") return { kind: "predicate", name: raw ? "always" : "never" };
  if (typeof raw === "string") {
    const text = raw.trim();
    const lower = text.toLowerCase();
    if ((PREDICATES as readonly string[]).includes(lower)) return { kind: "predicate", name: lower as Predicate };
    const expr = lower.startsWith("!cel") ? text.slice(4).trim() : text;
    throw new ConditionError(
      `${JSON.stringify(expr)} is a CEL expression, and muster does not evaluate CEL yet (expected ${EXPECTED})`,
      path,
    );
  }
  if (Array.isArray(raw)) return { kind: "all", items: raw.map((item, i) => parseCondition(item, [...path, i])) };
  if (raw !== null && typeof raw === "object") {
    const keys = Object.keys(raw);
    if (keys.length !== 1) throw new ConditionError(`a condition map has ${keys.length} keys (expected exactly one of all, any, not)`, path);
    const key = keys[0]!;
    const value = (raw as Record<string, unknown>)[key];
    const op = key.trim().toLowerCase();
    if (op === "not") return { kind: "not", item: parseCondition(value, [...path, key]) };
    if (op === "all" || op === "any") {
      const items = Array.isArray(value) ? value.map((item, i) => parseCondition(item, [...path, key, i])) : [parseCondition(value, [...path, key])];
      return { kind: op, items };
    }
    throw new ConditionError(`unknown operator "${key}" (expected exactly one of all, any, not)`, path);
  }
  throw new ConditionError(`got ${raw === null ? "null" : typeof raw} (expected ${EXPECTED})`, path);
}

/** Whether `condition` holds in `ctx`, without the implicit success rule. */
export function holds(condition: Condition, ctx: ConditionContext): boolean {
  switch (condition.kind) {
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

/** Whether the condition reasons about the run's status (`success`, `failure`, `always`). */
export function mentionsStatus(condition: Condition): boolean {
  switch (condition.kind) {
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
export function forgives(continueOn: Condition | undefined, ci: boolean): boolean {
  return continueOn !== undefined && holds(continueOn, { status: "failure", ci });
}

/** The condition as YAML would write it, for `describe`. */
export function conditionText(condition: Condition): string {
  switch (condition.kind) {
    case "predicate":
      return condition.name;
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
