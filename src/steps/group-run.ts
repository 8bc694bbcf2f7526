/**
 * Running a `parallel` or `matrix` step: its planned children go through
 * the hand-written ready queue (`scheduler.ts`), each with the engine's
 * generic behaviours, and the failure mode decides what happens after a
 * failure. Output is not decided here: the group announces its children
 * (`group.start`) and renderers route their output events.
 * @module
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT } from "../exit-codes.ts";
import type { GroupPlan, GroupStep } from "./group-types.ts";
import type { PlannedStep, StepContext, StepOutcome } from "./kind.ts";
import { Cancellation } from "../engine/cancellation.ts";
import { notRun, type StatusCounts, type StepResult } from "../engine/events.ts";
import { schedule, type FailurePolicy } from "../engine/scheduler.ts";

/** The failure count at which the mode stops the group, and how. */
export function failurePolicy(fail: GroupStep["fail"]): { threshold: number; policy: FailurePolicy } {
  switch (fail.mode) {
    case "fail_fast":
      return { threshold: fail.maxFailures || 1, policy: "cancel-running" };
    case "wait_all":
      return { threshold: fail.maxFailures || Infinity, policy: "stop-starting" };
    case "best_effort":
      // Every child that can run, runs; max_failures does not apply.
      return { threshold: Infinity, policy: "stop-starting" };
  }
}

/**
 * Runs a planned group; its children's results come back in the outcome.
 *
 * @example
 * ```ts
 * const outcome = await runGroupStep(planned, ctx);
 * outcome.children?.map((c) => c.result.status); // ["succeeded", "failed"]
 * ```
 */
export async function runGroupStep(planned: PlannedStep<GroupStep, GroupPlan>, ctx: StepContext): Promise<StepOutcome> {
  const { step } = planned;
  const { children, prefixes } = planned.resolved;
  await ctx.emit({
    type: "group.start",
    path: ctx.path,
    mode: step.output.mode,
    order: step.output.order,
    children: children.map((child, index) => ({ name: child.name, index, prefix: prefixes[index]! })),
  });
  const group = new Cancellation(ctx.cancellation);
  const results = new Map<string, StepResult>();
  const counts: StatusCounts = { succeeded: 0, failed: 0, skipped: 0, canceled: 0 };
  let firstFailure: { name: string; code: number } | undefined;
  const { threshold, policy } = failurePolicy(step.fail);

  await schedule(children, {
    limit: step.maxConcurrency || Infinity,
    shared: ctx.jobs,
    failureThreshold: threshold,
    policy,
    signal: ctx.cancellation.signal,
    async run(child, stop) {
      const result = await ctx.runChild(child, [...ctx.path, child.name], new Cancellation(group, stop));
      results.set(child.name, result);
      return result.status === "skipped" ? "failed" : result.status;
    },
    onSettled(child, status, reason) {
      counts[status]++;
      const result = results.get(child.name);
      if (status === "failed" && !firstFailure) firstFailure = { name: child.name, code: result?.exitCode || EXIT_FAILURE };
      if (!result) {
        // Never started (skipped, canceled before its turn) or failed outside its runner: still reported.
        const notStarted = status === "failed" ? { ...notRun("canceled"), status, exitCode: EXIT_FAILURE, error: reason } : notRun(status === "succeeded" ? "skipped" : status, reason);
        results.set(child.name, notStarted);
        void ctx.emit({ type: "step.end", path: [...ctx.path, child.name], result: notStarted });
      }
    },
  });
  await ctx.emit({ type: "group.end", path: ctx.path, counts, showSummary: step.output.showSummary });

  const childResults = children.map((child) => ({ name: child.name, result: results.get(child.name)! }));
  if (ctx.cancellation.canceled) return { status: "canceled", exitCode: EXIT_SIGINT, children: childResults };
  if (firstFailure && step.fail.mode !== "best_effort") {
    return {
      status: "failed",
      exitCode: firstFailure.code,
      error: `${counts.failed} of ${children.length} failed; first: "${firstFailure.name}" exit ${firstFailure.code}`,
      children: childResults,
    };
  }
  return { status: "succeeded", exitCode: EXIT_OK, children: childResults };
}
