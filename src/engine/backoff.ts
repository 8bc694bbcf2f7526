/**
 * Delays between retry attempts.
 * @module
 */
import type { RetryPolicy } from "../workflow/types.ts";

/**
 * The delay before attempt `attempt + 1`, after `attempt` failed (1-based).
 * `random` is injectable for tests.
 *
 * @example
 * ```ts
 * const policy = { maxAttempts: 4, backoff: "exponential", initialDelayMs: 100, multiplier: 2, jitter: 0 } as const;
 * retryDelay(policy, 3); // 400
 * ```
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  let delay: number;
  switch (policy.backoff) {
    case "constant":
      delay = policy.initialDelayMs;
      break;
    case "linear":
      delay = policy.initialDelayMs * attempt;
      break;
    case "exponential":
      delay = policy.initialDelayMs * policy.multiplier ** (attempt - 1);
      break;
  }
  if (policy.maxDelayMs !== undefined) delay = Math.min(delay, policy.maxDelayMs);
  if (policy.jitter > 0) delay *= 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(delay));
}
