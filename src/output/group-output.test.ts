import { expect, test } from "bun:test";
import { createColors } from "./colors.ts";
import { createGroupOutput, summaryLine } from "./group-output.ts";
import type { OutputStream } from "./terminal.ts";

function fakeStream(log: string[], tag: string): OutputStream {
  return { isTerminal: false, colors: createColors(false), write: (d) => void log.push(`${tag}:${typeof d === "string" ? d : new TextDecoder().decode(d)}`) };
}
const enc = (s: string) => new TextEncoder().encode(s);
const children = [{ name: "slow", index: 0, prefix: "slow" }, { name: "fast", index: 1, prefix: "fast" }, { name: "dep", index: 2, prefix: "dep" }];

test("grouped, definition order: blocks wait for earlier children; stdout and stderr keep their streams", async () => {
  const log: string[] = [];
  const out = createGroupOutput({ mode: "grouped", order: "definition", children, stdout: fakeStream(log, "out"), stderr: fakeStream(log, "err") });
  const slow = out.sinks(children[0]!);
  const fast = out.sinks(children[1]!);
  await fast.stdout(enc("fast-out\n"));
  await fast.stderr(enc("fast-err\n"));
  out.settled(children[1]!, { status: "failed", exitCode: 2, durationMs: 5, reason: "exit code 2" });
  out.settled(children[2]!, { status: "skipped", exitCode: 0, durationMs: 0, reason: "needs fast" });
  await slow.stdout(enc("slow-out\n"));
  out.settled(children[0]!, { status: "succeeded", exitCode: 0, durationMs: 300 });
  await out.close();
  expect(log).toEqual([
    "err:[slow] succeeded in 300ms\n", "out:slow-out\n",
    "err:[fast] failed (exit code 2) in 5ms\n", "out:fast-out\n", "err:fast-err\n",
    "err:[dep] skipped (needs fast)\n",
  ]);
});

test("prefixed: complete lines live, the held partial line at the end, a status line for failures", async () => {
  const log: string[] = [];
  const out = createGroupOutput({ mode: "prefixed", order: "completion", children, stdout: fakeStream(log, "out"), stderr: fakeStream(log, "err") });
  const s = out.sinks(children[0]!);
  await s.stdout(enc("one\ntw"));
  await s.stdout(enc("o"));
  out.settled(children[0]!, { status: "failed", exitCode: 1, durationMs: 10 });
  await out.close();
  expect(log).toEqual(["out:[slow] one\n", "out:[slow] two\n", "err:[slow] failed (exit 1) in 10ms\n"]);
});

test("the summary line", () => {
  expect(summaryLine("checks", { succeeded: 2, failed: 0, skipped: 0, canceled: 0 }, createColors(false))).toBe("[checks] summary: 2 succeeded, 0 failed, 0 skipped, 0 canceled");
  expect(summaryLine("c", { succeeded: 0, failed: 1, skipped: 0, canceled: 0 }, createColors(true))).toStartWith("\x1b[31m");
});
