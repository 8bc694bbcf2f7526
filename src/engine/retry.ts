/**
 * The one attempt loop: attempts bounded by a timeout each, retried with
 * backoff (`retryDelay`) while a predicate says so, stopped by a signal, in
 * the shape of std's `retry()` and Atmos' `retry.WithPredicate`. Steps
 * (`run/run-step.ts`), the `http` kind and serve's callbacks use it; none
 * has a loop, a timer or a backoff of its own.
 * @module
 */
import type { RetryPolicy } from "../workflow/types.ts";
import { abortableSleep } from "./abortable-sleep.ts";
import { retryDelay } from "./backoff.ts";

/** What one attempt is handed. */
export interface Attempt {
  /** 1-based. */
  number: number;
  /** Aborts when this attempt's `timeoutMs` runs out (undefined without a timeout). */
  deadline?: AbortSignal;
  /** Whether the deadline has passed. */
  readonly timedOut: boolean;
}

/** How {@linkcode retry} goes on. */
export interface RetryOptions<T> {
  /** Attempts and backoff; without one, a single attempt. */
  policy?: RetryPolicy;
  /** Bounds each attempt: its `deadline` aborts after this long. */
  timeoutMs?: number;
  /** Stops the waiting between attempts (the attempt itself watches its own signal). */
  signal?: AbortSignal;
  /**
   * Why a finished attempt is tried again, or undefined when its value is
   * final (a success, or a failure that another attempt would not change).
   */
  retryable(value: T, attempt: Attempt): string | undefined;
  /** Before the wait for the next attempt. */
  onRetry?(info: { attempt: number; maxAttempts: number; delayMs: number; reason: string; value: T }): void | Promise<void>;
  /** For tests: the jitter's randomness. */
  random?: () => number;
}

/** How {@linkcode retry} ended. */
export interface RetryResult<T> {
  /** The last attempt's value. */
  value: T;
  attempts: number;
  /** Whether the last attempt ran out of time. */
  timedOut: boolean;
  /** Why it stopped although the last value was retryable: attempts used up, `max_elapsed_time`, or the signal. */
  stopped?: "attempts" | "max_elapsed" | "signal";
  /** The reason the last value was retryable. */
  reason?: string;
}

/**
 * Runs `attempt` until its value is final, the policy's attempts or
 * `max_elapsed_time` are used up, or `signal` aborts while waiting.
 *
 * @example
 * ```ts
 * const { value, attempts } = await retry(async ({ deadline }) => fetch(url, { signal: deadline }), {
 *   policy, timeoutMs: 30_000, signal,
 *   retryable: (response) => (response.status >= 500 ? `HTTP ${response.status}` : undefined),
 * });
 * ```
 */
export async function retry<T>(attempt: (attempt: Attempt) => Promise<T>, options: RetryOptions<T>): Promise<RetryResult<T>> {
  const { policy, timeoutMs } = options;
  const maxAttempts = policy?.maxAttempts ?? 1;
  const started = performance.now();
  for (let number = 1; ; number++) {
    // setTimeout rather than AbortSignal.timeout: tests drive it with fake timers.
    const deadline = timeoutMs === undefined ? undefined : new AbortController();
    const timer = deadline === undefined ? undefined : setTimeout(() => deadline.abort(), timeoutMs);
    const info: Attempt = { number, deadline: deadline?.signal, get timedOut() { return deadline?.signal.aborted ?? false; } };
    let value: T;
    try {
      value = await attempt(info);
    } finally {
      clearTimeout(timer);
    }
    const timedOut = info.timedOut;
    const reason = options.retryable(value, info);
    if (reason === undefined) return { value, attempts: number, timedOut };
    if (!policy || number >= maxAttempts) return { value, attempts: number, timedOut, reason, ...(policy ? { stopped: "attempts" as const } : {}) };
    if (options.signal?.aborted) return { value, attempts: number, timedOut, reason, stopped: "signal" };
    const delayMs = retryDelay(policy, number, options.random);
    if (policy.maxElapsedMs !== undefined && performance.now() - started + delayMs > policy.maxElapsedMs) {
      return { value, attempts: number, timedOut, reason, stopped: "max_elapsed" };
    }
    await options.onRetry?.({ attempt: number, maxAttempts, delayMs, reason, value });
    if (!(await abortableSleep(delayMs, options.signal ?? new AbortController().signal))) return { value, attempts: number, timedOut, reason, stopped: "signal" };
  }
}
