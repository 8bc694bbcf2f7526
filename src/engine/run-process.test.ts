import { expect, test } from "bun:test";
import { Cancellation } from "./cancellation.ts";
import { EXIT_TIMEOUT } from "../exit-codes.ts";
import { runProcess } from "./run-process.ts";

const base = { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdin: "null" as const, graceMs: 200 };

test("captures output through sinks and returns the exit code", async () => {
  const out: string[] = [];
  const result = await runProcess(["sh", "-c", "echo out; echo err >&2; exit 3"], {
    ...base, cancellation: new Cancellation(),
    stdout: (c) => void out.push(`1:${new TextDecoder().decode(c)}`),
    stderr: (c) => void out.push(`2:${new TextDecoder().decode(c)}`),
  });
  expect(result).toEqual({ code: 3, timedOut: false, canceled: false });
  expect(out.sort()).toEqual(["1:out\n", "2:err\n"]);
});

test("a timeout kills the group and reports 124", async () => {
  const result = await runProcess(["sh", "-c", "sleep 30"], { ...base, stdout: "null", stderr: "null", timeoutMs: 50, cancellation: new Cancellation() });
  expect(result).toEqual({ code: EXIT_TIMEOUT, timedOut: true, canceled: false });
});

test("cancellation sends the scope's signal; the grace period ends in SIGKILL", async () => {
  const cancellation = new Cancellation();
  // Handshake: cancel once the child says its trap is set, not after a guessed delay.
  const ignoring = await runProcess(["sh", "-c", "trap '' TERM; echo ready; sleep 30 & wait; sleep 30"], {
    ...base, stderr: "null", cancellation,
    stdout: (chunk) => void (new TextDecoder().decode(chunk).includes("ready") && cancellation.cancel("SIGTERM", "test")),
  });
  expect(ignoring.canceled).toBe(true);
  expect(ignoring.code).toBe(137);
});

test("a missing executable is a SpawnError", async () => {
  await expect(runProcess(["/nonexistent/tool"], { ...base, stdout: "null", stderr: "null", cancellation: new Cancellation() })).rejects.toThrow("command not found");
});
