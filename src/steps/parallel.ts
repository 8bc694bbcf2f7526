/**
 * `type: parallel`: children that run concurrently, ordered only by `needs`.
 * @module
 */
import { expandGroup } from "../workflow/expand.ts";
import type { StepKind } from "./kind.ts";
import { buildGroup, describeGroup, type GroupPlan, groupFields, type GroupStep, planGroup, refuseGroupRetry, runGroup, viewGroup, viewGroupText } from "./group.ts";

/** The parallel step kind. */
export const parallel: StepKind<GroupStep, GroupPlan> = {
  type: "parallel",
  summary: "Run child steps concurrently (needs, max_concurrency, fail and output modes)",
  behaviours: { timeout: true, retry: false, gated: true, concurrent: false, interactive: false, usesEngine: false },
  refuse: refuseGroupRetry,
  fields: () => groupFields,
  build: (fields, base, ctx) => buildGroup("parallel", fields, base, ctx),
  templates: (step) => [{ field: "output.prefix", path: ["output", "prefix"], text: step.output.prefix }],
  plan: (step, scope) => planGroup(step, scope, expandGroup(step)),
  describe: describeGroup,
  view: viewGroup,
  viewText: viewGroupText,
  run: runGroup,
};
