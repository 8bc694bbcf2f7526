/**
 * `type: wait-all`: waits until every background service started so far is ready.
 * @module
 */
import * as v from "valibot";
import type { StepBase } from "../workflow/types.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF, never } from "./behaviours.ts";

/** The wait-all step kind. */
export const waitAll: StepKind<StepBase, null> = defineKind({
  type: "wait-all",
  summary: "Wait until every background service started so far is ready",
  behaviours: { ...LEAF, retry: false, concurrent: false, usesEngine: true },
  gates: never,
  // Atmos ignores `for:` on wait-all: accepted and ignored, with a warning (the author probably meant type: wait).
  fields: () => ({ for: v.optional(v.unknown()) }),
  build: (fields, base, ctx) => {
    if (fields.for !== undefined) ctx.warn(["for"], `wait-all takes no targets and ignores "for", as Atmos does: it waits for every service started so far (expected no "for"; use type: wait to name services)`, "key");
    return { ...base, type: "wait-all" };
  },
  templates: () => [],
  plan: () => null,
  describe: () => "wait for every service",
  view: (planned) => ({ name: planned.name, type: "wait-all", timeout_ms: planned.step.timeoutMs }),
  viewText: (planned) => ({ head: `wait-all${planned.step.timeoutMs !== undefined ? `, timeout ${planned.step.timeoutMs}ms` : ""}`, lines: [] }),
  run: (planned, ctx) => ctx.services().wait(undefined, planned.name, ctx.cancellation),
});
