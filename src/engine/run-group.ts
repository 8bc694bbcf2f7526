/**
 * Running a `parallel` or `matrix` step: expand its children, schedule them
 * with the hand-written ready queue, route their output, apply the failure
 * mode, and print the summary.
 * @module
 */
import { createGroupOutput, summaryLine, type ChildView, type StatusCounts } from "../output/group-output.ts";
import { openLogFile, type LogFile } from "../output/log-files.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { expandGroup, type GroupChild } from "../workflow/expand.ts";
import { resolveStep, templateData } from "../workflow/plan.ts";
import { renderTemplate } from "../workflow/template.ts";
import type { ControlStep, Step } from "../workflow/types.ts";
import { Cancellation } from "./cancellation.ts";
import { runStep, type StepResult } from "./run-step.ts";
import type { EngineContext } from "./run-workflow.ts";
import { schedule, type FailurePolicy } from "./scheduler.ts";

/** The failure count at which the mode stops the group, and how. */
export function failurePolicy(fail: ControlStep["fail"]): { threshold: number; policy: FailurePolicy } {
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

/** Runs a control step. */
export async function runGroupStep(step: Step, engine: EngineContext): Promise<StepResult> {
  if (step.type !== "parallel" && step.type !== "matrix") throw new Error(`not a control step: ${step.type}`);
  const started = performance.now();
  const children = expandGroup(step);
  const views: ChildView[] = children.map((child, index) => ({
    name: child.name,
    index,
    prefix: renderTemplate(step.output.prefix, templateData({ name: child.name }, engine.run, undefined, child.matrix)),
  }));
  const viewOf = new Map(views.map((view) => [view.name, view]));
  const output = createGroupOutput({ mode: step.output.mode, order: step.output.order, children: views, stdout, stderr });
  const cancellation = new Cancellation(engine.cancellation);
  const results = new Map<string, StepResult>();
  const counts: StatusCounts = { succeeded: 0, failed: 0, skipped: 0, canceled: 0 };
  let firstFailure: { name: string; code: number } | undefined;
  const { threshold, policy } = failurePolicy(step.fail);

  const runChild = async (child: GroupChild, signal: AbortSignal) => {
    const view = viewOf.get(child.name)!;
    signal.addEventListener("abort", () => cancellation.cancel("SIGTERM", "canceled"), { once: true });
    const resolved = resolveStep(child.step, engine.run, child.matrix, child.name);
    let log: LogFile | undefined;
    if (engine.logDir) log = await openLogFile(engine.logDir, [step.name, child.name]);
    try {
      const sinks = output.sinks(view, log);
      const result = await runStep(resolved, child.step.timeoutMs, child.step.retry, {
        stdout: sinks.stdout,
        stderr: sinks.stderr,
        stdin: "null",
        env: engine.run.env,
        graceMs: engine.graceMs,
        cancellation,
        onRetry: (message) => output.note(view, message),
      });
      results.set(child.name, result);
      return result.status === "succeeded" ? "succeeded" : result.status === "canceled" ? "canceled" : "failed";
    } finally {
      await log?.close();
    }
  };

  await schedule(children, {
    limit: step.maxConcurrency || Infinity,
    shared: engine.jobsSemaphore,
    failureThreshold: threshold,
    policy,
    signal: engine.cancellation.signal,
    run: runChild,
    onSettled(child, status, reason) {
      counts[status]++;
      const result = results.get(child.name);
      if (status === "failed" && !firstFailure) firstFailure = { name: child.name, code: result?.exitCode || 1 };
      output.settled(viewOf.get(child.name)!, {
        status,
        exitCode: result?.exitCode ?? 0,
        durationMs: result?.durationMs ?? 0,
        reason: status === "failed" ? result?.error : reason,
      });
    },
  });
  await output.close();
  if (step.output.showSummary) await stderr.write(`${summaryLine(step.name, counts, stderr.colors)}\n`);

  const durationMs = performance.now() - started;
  const base = { durationMs, attempts: 1, timedOut: false };
  if (engine.cancellation.canceled) return { ...base, status: "canceled", exitCode: 130 };
  if (firstFailure && step.fail.mode !== "best_effort") {
    return {
      ...base,
      status: "failed",
      exitCode: firstFailure.code,
      error: `${counts.failed} of ${children.length} failed; first: "${firstFailure.name}" exit ${firstFailure.code}`,
    };
  }
  return { ...base, status: "succeeded", exitCode: 0 };
}
