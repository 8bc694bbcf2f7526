/**
 * `type: parallel`: children that run concurrently, ordered only by `needs`.
 * @module
 */
import { expandGroup } from "./group-expand.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { buildGroup, type GroupPlan, groupFields, groupKindParts, type GroupStep, planGroup } from "./group.ts";

/** The parallel step kind. */
export const parallel: StepKind<GroupStep, GroupPlan> = defineKind({
  ...groupKindParts,
  type: "parallel",
  summary: "Run child steps concurrently (needs, max_concurrency, fail and output modes)",
  fields: () => groupFields,
  build: (fields, base, ctx) => buildGroup("parallel", fields, base, ctx),
  plan: (step, scope) => planGroup(step, scope, expandGroup(step)),
});
