/**
 * Running one planned step with the behaviours the engine applies to every
 * kind whose flags say so: a timeout per attempt, and retries with backoff,
 * through the one attempt loop (`engine/retry.ts`). The kind's runner runs
 * one attempt.
 * @module
 */
import { exitCodeOf, messageOf } from "../errors.ts";
import { EXIT_FAILURE, EXIT_TIMEOUT } from "../exit-codes.ts";
import type { PlannedStep, StepContext, StepOutcome } from "../steps/kind.ts";
import { attachesTerminal, startsQuietly } from "../steps/behaviours.ts";
import { effectiveOutput } from "../steps/output-mode.ts";
import { formatDuration } from "../workflow/duration.ts";
import { retry } from "../engine/retry.ts";
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
export async function runPlannedStep(planned: PlannedStep, path: string[], parent: Cancellation, contextFor: ContextFor, results?: ResultSettler, position?: { index: number; total: number }): Promise<StepResult> {
  const { step, kind } = planned;
  const started = performance.now();
  const policy = kind.behaviours.retry ? step.retry : undefined;
  const maxAttempts = policy?.maxAttempts ?? 1;
  const timeoutMs = kind.behaviours.timeout ? step.timeoutMs : undefined;
  const firstCtx = contextFor(parent);
  // A prompt owns the terminal even when its output is captured: it draws on the terminal itself.
  const ownsTerminal = (firstCtx.streams.stdout === "inherit" && kind.behaviours.usesStreams) || ((kind.behaviours.interactive || attachesTerminal(kind, step)) && firstCtx.stdin === "inherit");
  const output = effectiveOutput(kind.type, step.presentation?.output, firstCtx.run.env, attachesTerminal(kind, step));
  const shown = output && output !== "raw" ? { output, ...(output === "viewport" && step.presentation?.viewport ? { viewport: step.presentation.viewport } : {}) } : {};
  // Atmos' show.labels: false leaves out the step's own lines (muster's start and success lines stand for Atmos' labels).
  const quiet = startsQuietly(kind, planned.step) || step.presentation?.show?.labels === false;
  await firstCtx.emit({ type: "step.start", path, kind: kind.type, detail: kind.describe(planned), attempt: 1, ownsTerminal, group: kind.behaviours.hasChildren, ...(quiet ? { quiet: true } : {}), ...(position && step.presentation?.show?.count ? { count: position } : {}), ...shown });
  const run = await retry<{ result: StepResult; why: string; final: boolean }>(async ({ number: attempt, deadline }) => {
    const scope = new Cancellation(parent, deadline);
    let outcome: StepOutcome;
    try {
      outcome = await kind.run(planned, contextFor(scope));
    } catch (error) {
      outcome = { status: "failed", exitCode: exitCodeOf(error), error: messageOf(error) };
    }
    const timedOut = (deadline?.aborted ?? false) && !parent.canceled;
    if (timedOut) outcome = { ...outcome, status: "failed", exitCode: EXIT_TIMEOUT, error: `timed out after ${formatDuration(timeoutMs!)}` };
    else if (parent.canceled && outcome.status === "failed") outcome = { ...outcome, status: "canceled" };
    const why = outcome.error ?? `exit code ${outcome.exitCode}`;
    // A success is final only once its result is stored: an `outputs` template that fails fails the step, without another attempt.
    if (outcome.status === "succeeded" && results) {
      const problem = results.settle(planned, outcome);
      if (problem !== undefined) {
        return { result: { status: "failed", exitCode: EXIT_FAILURE, durationMs: performance.now() - started, attempts: attempt, timedOut: false, error: problem, children: outcome.children }, why, final: true };
      }
    }
    const result: StepResult = { status: outcome.status, exitCode: outcome.exitCode, durationMs: performance.now() - started, attempts: attempt, timedOut, children: outcome.children };
    if (outcome.endsRun) result.endsRun = true;
    // Only a real reason is recorded: renderers say "exit code N" themselves when there is none.
    const error = outcome.status === "canceled" ? outcome.error ?? parent.reason : outcome.status === "failed" ? outcome.error : undefined;
    if (error !== undefined) result.error = error;
    return { result, why, final: outcome.status !== "failed" };
  }, {
    policy,
    timeoutMs,
    signal: parent.signal,
    retryable: (attempt) => (attempt.final ? undefined : attempt.why),
    onRetry: ({ attempt, maxAttempts, delayMs, reason }) => firstCtx.emit({ type: "step.retry", path, attempt, maxAttempts, delayMs, reason }),
  });
  let result = run.value.result;
  if (run.stopped === "max_elapsed") result.error = `${run.value.why}; max_elapsed_time ${formatDuration(policy!.maxElapsedMs!)} reached`;
  if (run.stopped === "signal") result = { ...result, status: "canceled", error: parent.reason, durationMs: performance.now() - started };
  await firstCtx.emit({ type: "step.end", path, result });
  return result;
}
