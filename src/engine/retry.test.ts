import { expect, test } from "bun:test";
import { retry } from "./retry.ts";
import type { RetryPolicy } from "../workflow/types.ts";

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ maxAttempts: 4, backoff: "constant", initialDelayMs: 1, multiplier: 2, jitter: 0, ...over });

test("retries while the predicate gives a reason, up to max_attempts; onRetry sees each wait", async () => {
  const waits: Array<{ attempt: number; reason: string }> = [];
  let calls = 0;
  const result = await retry(async () => ++calls, {
    policy: policy(),
    retryable: (n) => (n < 3 ? `only ${n}` : undefined),
    onRetry: ({ attempt, reason }) => void waits.push({ attempt, reason }),
  });
  expect(result).toEqual({ value: 3, attempts: 3, timedOut: false });
  expect(waits).toEqual([{ attempt: 1, reason: "only 1" }, { attempt: 2, reason: "only 2" }]);
  const used = await retry(async () => 0, { policy: policy({ maxAttempts: 2 }), retryable: () => "never good" });
  expect(used).toMatchObject({ attempts: 2, stopped: "attempts", reason: "never good" });
});

test("without a policy: one attempt", async () => {
  let calls = 0;
  const result = await retry(async () => ++calls, { retryable: () => "again" });
  expect(calls).toBe(1);
  expect(result.stopped).toBeUndefined();
  expect(result.reason).toBe("again");
});

test("each attempt gets its own deadline, which aborts after timeoutMs", async () => {
  const result = await retry(
    ({ deadline }) => new Promise<string>((resolve) => deadline!.addEventListener("abort", () => resolve("gave up"), { once: true })),
    { policy: policy({ maxAttempts: 2 }), timeoutMs: 5, retryable: (_, attempt) => (attempt.timedOut ? "timed out" : undefined) },
  );
  expect(result).toMatchObject({ value: "gave up", attempts: 2, timedOut: true, stopped: "attempts" });
});

test("the signal stops the wait between attempts; max_elapsed_time stops before a wait that would pass it", async () => {
  const stop = new AbortController();
  let calls = 0;
  const stopped = await retry(async () => ++calls, {
    policy: policy({ initialDelayMs: 60_000 }),
    signal: stop.signal,
    retryable: () => "again",
    onRetry: () => stop.abort(),
  });
  expect(stopped).toMatchObject({ attempts: 1, stopped: "signal" });
  const elapsed = await retry(async () => 0, { policy: policy({ initialDelayMs: 50, maxElapsedMs: 20 }), retryable: () => "again" });
  expect(elapsed).toMatchObject({ attempts: 1, stopped: "max_elapsed" });
});
