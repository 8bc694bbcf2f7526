/**
 * Running one planned step with the behaviours the engine applies to every
 * kind whose flags say so: a timeout per attempt, and retries with backoff.
 * The kind's runner runs one attempt; this is the only retry loop and the
 * only timeout in the engine.
 * @module
 */
import { exitCodeOf, messageOf } from "../errors.ts";
import { EXIT_FAILURE, EXIT_TIMEOUT } from "../exit-codes.ts";
import type { PlannedStep, StepContext, StepOutcome } from "../steps/kind.ts";
import { formatDuration } from "../workflow/duration.ts";
import { abortableSleep } from "../engine/abortable-sleep.ts";
import { retryDelay } from "../engine/backoff.ts";
import { Cancellation } from "../engine/cancellation.ts";
import type { StepResult } from "../engine/events.ts";

/** Stores a succeeded step's result; returns why it could not (which fails the step). */
export interface ResultSettler {
  settle(planned: PlannedStep, outcome: StepOutcome): string | undefined;
}

/** Builds the context of one attempt under its own cancellation scope. */
export type ContextFor = (cancellation: Cancellation) => StepContext;

/**
 * Runs `planned` to a result: attempts under `parent`, each bounded by the
 * step's `timeout`, retried per its `retry` policy. Emits `step.start`,
 * `step.retry` and `step.end`. Never throws for a step's failure: an error
 * thrown by a runner fails the step with the error's exit code and message.
 *
 * @example
 * ```ts
 * const result = await runPlannedStep(planned, ["deploy"], run.cancellation, (c) => contextFor(c));
 * result.status; // "succeeded"
 * ```
 */
export async function runPlannedStep(planned: PlannedStep, path: string[], parent: Cancellation, contextFor: ContextFor, results?: ResultSettler): Promise<StepResult> {
  const { step, kind } = planned;
  const started = performance.now();
  const policy = kind.behaviours.retry ? step.retry : undefined;
  const maxAttempts = policy?.maxAttempts ?? 1;
  const timeoutMs = kind.behaviours.timeout ? step.timeoutMs : undefined;
  const firstCtx = contextFor(parent);
  // A prompt owns the terminal even when its output is captured: it draws on the terminal itself.
  const ownsTerminal = (firstCtx.streams.stdout === "inherit" && kind.behaviours.usesStreams) || (kind.behaviours.interactive && firstCtx.stdin === "inherit");
  await firstCtx.emit({ type: "step.start", path, kind: kind.type, detail: kind.describe(planned), attempt: 1, ownsTerminal, group: kind.behaviours.hasChildren, ...(kind.behaviours.reportsItself || kind.quietStart?.(planned.step) ? { quiet: true } : {}) });
  let result: StepResult;
  for (let attempt = 1; ; attempt++) {
    // setTimeout rather than AbortSignal.timeout: tests drive it with fake timers.
    const deadline = new AbortController();
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => deadline.abort(), timeoutMs);
    const scope = new Cancellation(parent, timer === undefined ? undefined : deadline.signal);
    let outcome: StepOutcome;
    try {
      outcome = await kind.run(planned, contextFor(scope));
    } catch (error) {
      outcome = { status: "failed", exitCode: exitCodeOf(error), error: messageOf(error) };
    } finally {
      clearTimeout(timer);
    }
    const timedOut = deadline.signal.aborted && !parent.canceled;
    if (timedOut) outcome = { ...outcome, status: "failed", exitCode: EXIT_TIMEOUT, error: `timed out after ${formatDuration(timeoutMs!)}` };
    else if (parent.canceled && outcome.status === "failed") outcome = { ...outcome, status: "canceled" };
    // A success is final only once its result is stored: an `outputs` template that fails fails the step, without another attempt.
    if (outcome.status === "succeeded" && results) {
      const problem = results.settle(planned, outcome);
      if (problem !== undefined) {
        result = { status: "failed", exitCode: EXIT_FAILURE, durationMs: performance.now() - started, attempts: attempt, timedOut: false, error: problem, children: outcome.children };
        break;
      }
    }
    const durationMs = performance.now() - started;
    const why = outcome.error ?? `exit code ${outcome.exitCode}`;
    result = { status: outcome.status, exitCode: outcome.exitCode, durationMs, attempts: attempt, timedOut, children: outcome.children };
    if (outcome.endsRun) result.endsRun = true;
    // Only a real reason is recorded: renderers say "exit code N" themselves when there is none.
    const error = outcome.status === "canceled" ? outcome.error ?? parent.reason : outcome.status === "failed" ? outcome.error : undefined;
    if (error !== undefined) result.error = error;
    if (outcome.status !== "failed" || attempt >= maxAttempts || !policy) break;
    const delayMs = retryDelay(policy, attempt);
    if (policy.maxElapsedMs !== undefined && durationMs + delayMs > policy.maxElapsedMs) {
      result.error = `${why}; max_elapsed_time ${formatDuration(policy.maxElapsedMs)} reached`;
      break;
    }
    await firstCtx.emit({ type: "step.retry", path, attempt, maxAttempts, delayMs, reason: why });
    if (!(await abortableSleep(delayMs, parent.signal))) {
      result = { ...result, status: "canceled", error: parent.reason, durationMs: performance.now() - started };
      break;
    }
  }
  await firstCtx.emit({ type: "step.end", path, result });
  return result;
}
