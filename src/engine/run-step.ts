/**
 * Running one leaf step (`shell`, `atmos`, `sleep`) with its timeout and
 * retries. Knows nothing about where output goes beyond the sinks it is given.
 * @module
 */
import type { StepStatus } from "../output/reporter.ts";
import { SpawnError } from "../platform/index.ts";
import { formatDuration } from "../workflow/duration.ts";
import type { ResolvedStep } from "../workflow/plan.ts";
import type { RetryPolicy } from "../workflow/types.ts";
import { abortableSleep } from "./abortable-sleep.ts";
import { retryDelay } from "./backoff.ts";
import type { Cancellation } from "./cancellation.ts";
import { runProcess, TIMEOUT_EXIT_CODE, type ChunkSink } from "./run-process.ts";

/** The result of a step. */
export interface StepResult {
  status: StepStatus;
  /** 0 on success; the failing exit code otherwise (124 timeout, 127 not found). */
  exitCode: number;
  durationMs: number;
  attempts: number;
  timedOut: boolean;
  /** Why it failed, when the exit code alone does not say. */
  error?: string;
}

/** Where a step's streams go and how it is stopped. */
export interface StepIo {
  stdout: "inherit" | ChunkSink;
  stderr: "inherit" | ChunkSink;
  stdin: "inherit" | "null";
  env: Record<string, string>;
  graceMs: number;
  cancellation: Cancellation;
  /** Called before each retry with a human line. */
  onRetry?: (message: string) => void;
}

/** The exit code of a command that could not be found. */
export const NOT_FOUND_EXIT_CODE = 127;

async function attempt(step: ResolvedStep, timeoutMs: number | undefined, io: StepIo): Promise<{ code: number; timedOut: boolean; canceled: boolean; error?: string }> {
  if (step.type === "sleep") {
    const limit = timeoutMs !== undefined && timeoutMs < step.durationMs! ? timeoutMs : step.durationMs!;
    const finished = await abortableSleep(limit, io.cancellation.signal);
    if (!finished) return { code: 130, timedOut: false, canceled: true };
    return limit < step.durationMs! ? { code: TIMEOUT_EXIT_CODE, timedOut: true, canceled: false } : { code: 0, timedOut: false, canceled: false };
  }
  try {
    return await runProcess(step.argv!, {
      cwd: step.cwd,
      env: { ...io.env, ...step.envOverrides },
      stdout: io.stdout,
      stderr: io.stderr,
      stdin: io.stdin,
      timeoutMs,
      graceMs: io.graceMs,
      cancellation: io.cancellation,
    });
  } catch (error) {
    if (error instanceof SpawnError) {
      return { code: error.code === "ENOENT" ? NOT_FOUND_EXIT_CODE : 126, timedOut: false, canceled: false, error: error.message };
    }
    throw error;
  }
}

/**
 * Runs a resolved step, retrying per `retry`.
 *
 * @example
 * ```ts
 * const result = await runStep(resolved, step.timeoutMs, step.retry, io);
 * result.status; // "succeeded"
 * ```
 */
export async function runStep(step: ResolvedStep, timeoutMs: number | undefined, retry: RetryPolicy | undefined, io: StepIo): Promise<StepResult> {
  const started = performance.now();
  const maxAttempts = retry?.maxAttempts ?? 1;
  for (let n = 1; ; n++) {
    const outcome = await attempt(step, timeoutMs, io);
    const durationMs = performance.now() - started;
    if (outcome.canceled || io.cancellation.canceled) {
      return { status: outcome.code === 0 ? "succeeded" : "canceled", exitCode: outcome.code, durationMs, attempts: n, timedOut: false };
    }
    if (outcome.code === 0) return { status: "succeeded", exitCode: 0, durationMs, attempts: n, timedOut: false };
    const why = outcome.timedOut ? `timed out after ${formatDuration(timeoutMs!)}` : outcome.error ?? `exit code ${outcome.code}`;
    if (n >= maxAttempts || !retry) {
      return { status: "failed", exitCode: outcome.code, durationMs, attempts: n, timedOut: outcome.timedOut, error: why };
    }
    const delay = retryDelay(retry, n);
    if (retry.maxElapsedMs !== undefined && durationMs + delay > retry.maxElapsedMs) {
      return { status: "failed", exitCode: outcome.code, durationMs, attempts: n, timedOut: outcome.timedOut, error: `${why}; max_elapsed_time ${formatDuration(retry.maxElapsedMs)} reached` };
    }
    io.onRetry?.(`${step.name}: attempt ${n}/${maxAttempts} failed (${why}); retrying in ${formatDuration(delay)}`);
    if (!(await abortableSleep(delay, io.cancellation.signal))) {
      return { status: "canceled", exitCode: outcome.code, durationMs: performance.now() - started, attempts: n, timedOut: false };
    }
  }
}
