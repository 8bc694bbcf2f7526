/**
 * `type: cancel`: stops and removes the named background services.
 * @module
 */
import { nameList } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { type ServiceTargetStep, targetsViewText } from "./services-common.ts";

/** The cancel step kind. */
export const cancel: StepKind<ServiceTargetStep, null> = {
  type: "cancel",
  summary: "Stop and remove named background services",
  behaviours: { timeout: false, retry: false, gated: false, concurrent: false, interactive: false, usesEngine: true, usesStreams: false, hasChildren: false },
  fields: () => ({ for: nameList }),
  build: (fields, base) => ({ ...base, type: "cancel", targets: fields.for as string[] }),
  services: { targets: (step) => step.targets, stops: true },
  templates: () => [],
  plan: () => null,
  describe: (planned) => `cancel ${planned.step.targets.join(", ")}`,
  view: (planned) => ({ name: planned.name, type: "cancel", targets: planned.step.targets }),
  viewText: targetsViewText,
  run: (planned, ctx) => ctx.services().cancel(planned.step.targets),
};
