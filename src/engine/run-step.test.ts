import { expect, test } from "bun:test";
import type { ResolvedStep } from "../workflow/plan.ts";
import { Cancellation } from "./cancellation.ts";
import { runStep } from "./run-step.ts";

const io = () => ({ stdout: "inherit" as const, stderr: "inherit" as const, stdin: "null" as const, env: { PATH: process.env.PATH ?? "" }, graceMs: 100, cancellation: new Cancellation() });
const shell = (command: string): ResolvedStep => ({ name: "s", type: "shell", argv: ["sh", "-c", command], cwd: process.cwd(), envOverrides: {} });

test("retries until success and reports each retry", async () => {
  const file = `/tmp/muster-run-step-test-${process.pid}`;
  const notes: string[] = [];
  const result = await runStep(shell(`echo x >> ${file}; [ $(wc -l < ${file}) -ge 2 ]; r=$?; [ $r = 0 ] && rm -f ${file}; exit $r`), undefined,
    { maxAttempts: 3, backoff: "constant", initialDelayMs: 1, multiplier: 2, jitter: 0 }, { ...io(), onRetry: (m) => notes.push(m) });
  expect(result).toMatchObject({ status: "succeeded", attempts: 2 });
  expect(notes).toEqual(["s: attempt 1/3 failed (exit code 1); retrying in 1ms"]);
});

test("max_elapsed_time stops retrying", async () => {
  const result = await runStep(shell("exit 2"), undefined, { maxAttempts: 10, backoff: "constant", initialDelayMs: 50, maxElapsedMs: 20, multiplier: 2, jitter: 0 }, io());
  expect(result).toMatchObject({ status: "failed", exitCode: 2, attempts: 1 });
  expect(result.error).toContain("max_elapsed_time 20ms reached");
});

test("sleep steps honour timeouts and cancellation", async () => {
  const sleep: ResolvedStep = { name: "z", type: "sleep", durationMs: 5000, cwd: ".", envOverrides: {} };
  expect(await runStep(sleep, 20, undefined, io())).toMatchObject({ status: "failed", exitCode: 124, timedOut: true });
  const ctx = io();
  setTimeout(() => ctx.cancellation.cancel("SIGINT", "test"), 10);
  expect((await runStep(sleep, undefined, undefined, ctx)).status).toBe("canceled");
});
