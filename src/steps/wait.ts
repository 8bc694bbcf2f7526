/**
 * `type: wait`: waits until the named background services are ready.
 * @module
 */
import { nameList } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF, never } from "./behaviours.ts";
import { type ServiceTargetStep, targetsViewText } from "./services-common.ts";

/** The wait step kind. */
export const wait: StepKind<ServiceTargetStep, null> = defineKind({
  type: "wait",
  summary: "Wait until named background services are ready",
  behaviours: { ...LEAF, retry: false, concurrent: false, usesEngine: true },
  gates: never,
  fields: () => ({ for: nameList }),
  build: (fields, base) => ({ ...base, type: "wait", targets: fields.for }),
  services: { targets: (step) => step.targets },
  templates: () => [],
  plan: () => null,
  describe: (planned) => `wait ${planned.step.targets.join(", ")}`,
  view: (planned) => ({ name: planned.name, type: "wait", targets: planned.step.targets, timeout_ms: planned.step.timeoutMs }),
  viewText: targetsViewText,
  run: (planned, ctx) => ctx.services().wait(planned.step.targets, planned.name, ctx.cancellation),
});
