/**
 * `type: sleep`: waits for `duration` (default 1s). Atmos spells the wait
 * `timeout:`; a sleep with `timeout` and no `duration` sleeps that long, as
 * in Atmos. With both, `duration` is the wait and `timeout` bounds it.
 * @module
 */
import * as v from "valibot";
import { formatDuration } from "../workflow/duration.ts";
import { duration } from "../workflow/schema.ts";
import type { StepBase } from "../workflow/types.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF } from "./behaviours.ts";
import { EXIT_OK } from "../exit-codes.ts";

/** A sleep step. */
export interface SleepStep extends StepBase {
  type: "sleep";
  durationMs: number;
}

/** The sleep step kind. */
export const sleep: StepKind<SleepStep, { durationMs: number }> = defineKind({
  type: "sleep",
  summary: "Wait for a duration",
  behaviours: LEAF,
  fields: { duration: v.optional(duration) },
  build(fields, base) {
    const given = fields.duration;
    // Atmos' sleep: `timeout` is the duration (a generic timeout of the same length would only race it).
    if (given === undefined && base.timeoutMs !== undefined) return { ...base, type: "sleep", durationMs: base.timeoutMs, timeoutMs: undefined };
    return { ...base, type: "sleep", durationMs: given ?? 1000 };
  },
  templates: () => [],
  plan: (step) => ({ durationMs: step.durationMs }),
  describe: (planned) => `sleep ${formatDuration(planned.resolved.durationMs)}`,
  view: (planned) => ({ name: planned.name, type: "sleep", duration_ms: planned.resolved.durationMs }),
  viewText: (planned) => ({
    head: "sleep",
    lines: [...(planned.needs.length > 0 ? [`needs: ${planned.needs.join(", ")}`] : []), `sleep ${formatDuration(planned.resolved.durationMs)}`],
  }),
  async run(planned, ctx) {
    const { abortableSleep } = await import("../engine/abortable-sleep.ts");
    const finished = await abortableSleep(planned.resolved.durationMs, ctx.cancellation.signal);
    return finished ? { status: "succeeded", exitCode: EXIT_OK } : { status: "canceled", exitCode: EXIT_OK };
  },
});
