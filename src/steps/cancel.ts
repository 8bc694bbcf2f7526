/**
 * `type: cancel`: stops and removes the named background services.
 * @module
 */
import { nameList } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF, never } from "./behaviours.ts";
import { type ServiceTargetStep, targetsViewText } from "./services-common.ts";

/** The cancel step kind. */
export const cancel: StepKind<ServiceTargetStep, null> = defineKind({
  type: "cancel",
  summary: "Stop and remove named background services",
  behaviours: { ...LEAF, timeout: false, retry: false, concurrent: false, usesEngine: true },
  gates: never,
  fields: () => ({ for: nameList }),
  build: (fields, base) => ({ ...base, type: "cancel", targets: fields.for }),
  services: { targets: (step) => step.targets, stops: true },
  templates: () => [],
  plan: () => null,
  describe: (planned) => `cancel ${planned.step.targets.join(", ")}`,
  view: (planned) => ({ name: planned.name, type: "cancel", targets: planned.step.targets }),
  viewText: targetsViewText,
  run: (planned, ctx) => ctx.services().cancel(planned.step.targets),
});
