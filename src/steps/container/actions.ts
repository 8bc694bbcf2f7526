/**
 * The actions of a container step, keyed by action: the kind
 * (`../container.ts`) looks a step's action up here for its schema,
 * checks, plan, views and runner, and switches on nothing.
 * @module
 */
import { buildAction } from "./build.ts";
import { inspectAction } from "./inspect.ts";
import { pushAction } from "./push.ts";
import { runAction } from "./run.ts";
import type { ContainerAction, ContainerActionKind, PlanOf } from "./types.ts";

/** Each action's object, typed by its plan (its `with:` is checked by its own schema, so the table need not know its type). */
export type ActionTable = { [A in ContainerAction]: ContainerActionKind<unknown, PlanOf[A]> };

/**
 * The table.
 *
 * @example
 * ```ts
 * ACTIONS[step.action].plan(step, scope); // { action: "push", image: "app:1", tags: [] }
 * ```
 */
export const ACTIONS: ActionTable = { run: runAction, build: buildAction, push: pushAction, inspect: inspectAction };

/** The object of a planned action, typed by it: `actionOf(plan).describe(plan)`. */
export function actionOf<A extends ContainerAction>(plan: PlanOf[A] & { action: A }): ContainerActionKind<unknown, PlanOf[A]> {
  const action: A = plan.action;
  return ACTIONS[action];
}
