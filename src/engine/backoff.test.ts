import { expect, test } from "bun:test";
import type { RetryPolicy } from "../workflow/types.ts";
import { retryDelay } from "./backoff.ts";

const policy = (over: Partial<RetryPolicy>): RetryPolicy => ({
  maxAttempts: 5, backoff: "constant", initialDelayMs: 100, multiplier: 2, jitter: 0, ...over,
});

test("strategies", () => {
  expect([1, 2, 3].map((a) => retryDelay(policy({}), a))).toEqual([100, 100, 100]);
  expect([1, 2, 3].map((a) => retryDelay(policy({ backoff: "linear" }), a))).toEqual([100, 200, 300]);
  expect([1, 2, 3].map((a) => retryDelay(policy({ backoff: "exponential", multiplier: 3 }), a))).toEqual([100, 300, 900]);
});

test("max_delay caps and jitter stays within its band", () => {
  expect(retryDelay(policy({ backoff: "exponential", maxDelayMs: 250 }), 5)).toBe(250);
  expect(retryDelay(policy({ jitter: 0.5 }), 1, () => 0)).toBe(50);
  expect(retryDelay(policy({ jitter: 0.5 }), 1, () => 1)).toBe(150);
});
