/**
 * Reading a run's outcome from its events: lines the JSON renderer really
 * writes, the failing step's reason (a group's child), the file opened
 * safely (a link, a FIFO, a hard link refused; an overlong line skipped),
 * and the verdict from report and exit code.
 */
import { afterAll, expect, test } from "bun:test";
import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent, StepResult } from "../engine/events.ts";
import { JsonRenderer } from "../output/json-renderer.ts";
import { runProcess } from "../engine/run-process.ts";
import { Cancellation } from "../engine/cancellation.ts";
import { MAX_EVENT_LINE, ReportCollector, readRunReport, startErrorOf, verdictOf } from "./run-report.ts";

const root = mkdtempSync(join(tmpdir(), "muster-run-report-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const result = (status: StepResult["status"], exitCode: number, error?: string): StepResult => ({ status, exitCode, durationMs: 12, attempts: 1, timedOut: false, ...(error ? { error } : {}) });

/** A failed run whose group `checks` failed through its child `lint`, as `muster workflow --events` records it. */
const FAILED_RUN: RunEvent[] = [
  { type: "run.start", workflow: "deploy", file: "workflows.yaml" },
  { type: "step.start", path: ["setup"], kind: "shell", detail: "true", attempt: 1 },
  { type: "step.end", path: ["setup"], result: result("succeeded", 0) },
  { type: "step.start", path: ["optional"], kind: "shell", detail: "false", attempt: 1 },
  { type: "step.end", path: ["optional"], result: result("failed", 1, "forgiven by continue") },
  { type: "group.start", path: ["checks"], mode: "grouped", order: "completion", children: [{ name: "lint", index: 0, prefix: "lint" }, { name: "unit", index: 1, prefix: "unit" }] },
  { type: "step.output", path: ["checks", "lint"], stream: 2, data: new TextEncoder().encode('{"type":"step.end"} in the output is not an event\n') },
  { type: "step.end", path: ["checks", "unit"], result: result("failed", 2) },
  { type: "step.end", path: ["checks", "lint"], result: result("failed", 1, "3 problems in main.tf") },
  { type: "group.end", path: ["checks"], counts: { succeeded: 0, failed: 2, skipped: 0, canceled: 0 }, showSummary: true },
  { type: "step.end", path: ["checks"], result: result("failed", 1, "2 of 2 failed") },
  { type: "run.end", workflow: "deploy", status: "failed", exitCode: 1, durationMs: 2500, failedStep: "checks" },
];

/** The lines the JSON renderer writes for `events`. */
async function lines(events: RunEvent[]): Promise<string[]> {
  const out: string[] = [];
  const renderer = new JsonRenderer({ write: (line) => void out.push(line) }, () => new Date(0));
  for (const event of events) await renderer.emit(event);
  return out.join("").split("\n").filter(Boolean);
}

test("from what the JSON renderer writes: run.end, and the failed step's first child that gave a reason", async () => {
  const collector = new ReportCollector();
  for (const line of await lines(FAILED_RUN)) collector.line(line);
  expect(collector.report()).toEqual({
    end: { workflow: "deploy", status: "failed", exitCode: 1, durationMs: 2500, failedStep: "checks" },
    failure: { path: ["checks", "lint"], exitCode: 1, error: "3 problems in main.tf" },
  });
  expect(verdictOf("deploy", 1, collector.report())).toEqual({
    status: "failed", exitCode: 1,
    error: 'workflow deploy failed at step "checks" (exit 1) after 2.5s: lint: 3 problems in main.tf',
    summary: 'workflow deploy failed at step "checks" (exit 1) after 2.5s',
  });
});

test("malformed lines and other versions are ignored; a step without a reason leaves the summary alone", () => {
  const collector = new ReportCollector();
  for (const line of ["", "not json", '{"v":2,"type":"run.end","workflow":"w","status":"failed","exit_code":9,"duration_ms":1}', '{"v":1,"type":"step.end","path":"broken","status":"failed","exit_code":1,"error":"x"}']) collector.line(line);
  expect(collector.report()).toEqual({});
  collector.line('{"v":1,"type":"step.end","path":["broken"],"status":"failed","exit_code":3,"duration_ms":1,"attempts":1,"timed_out":false}');
  collector.line('{"v":1,"type":"run.end","workflow":"fail","status":"failed","exit_code":3,"duration_ms":1000,"failed_step":"broken"}');
  expect(verdictOf("fail", 3, collector.report()).error).toBe('workflow fail failed at step "broken" (exit 3) after 1.0s');
});

test("a step's reason is cut to a bounded length", () => {
  const collector = new ReportCollector();
  collector.line(JSON.stringify({ v: 1, type: "step.end", path: ["big"], status: "failed", exit_code: 1, error: "x".repeat(10_000) }));
  collector.line(JSON.stringify({ v: 1, type: "run.end", workflow: "w", status: "failed", exit_code: 1, duration_ms: 1, failed_step: "big" }));
  expect(collector.report().failure?.error?.length).toBe(2000);
});

test("the verdict: no run.end (muster stopped before its run), a success the process contradicts, an interrupted run", () => {
  expect(verdictOf("nope", 2, {}, 'workflow "nope" not found in workflows.yaml')).toEqual({ status: "failed", exitCode: 2, error: 'workflow "nope" not found in workflows.yaml', summary: 'workflow "nope" not found in workflows.yaml' });
  expect(verdictOf("w", 70, undefined).error).toBe('workflow "w" exited with code 70');
  expect(verdictOf("w", 0, undefined)).toEqual({ status: "succeeded", exitCode: 0, error: null, summary: null });
  const succeeded = { end: { workflow: "w", status: "succeeded" as const, exitCode: 0, durationMs: 10 } };
  expect(verdictOf("w", 0, succeeded).status).toBe("succeeded");
  expect(verdictOf("w", 137, succeeded)).toMatchObject({ status: "failed", exitCode: 137, error: "workflow w succeeded in 10ms, then its process exited with code 137" });
  expect(verdictOf("w", 143, { end: { workflow: "w", status: "interrupted", exitCode: 143, durationMs: 10, signal: "SIGTERM" } }).error).toBe("workflow w was stopped by SIGTERM after 10ms (exit 143)");
  expect(startErrorOf("▸ noise\nmuster: first\nmuster: workflow \"x\" not found in a.yaml\n")).toBe('workflow "x" not found in a.yaml');
  expect(startErrorOf("✗ workflow w failed at step \"s\" (exit 1) after 1s\n")).toBeUndefined();
});

test("the file: read through lines longer than the bound, refused when it is a symlink, a FIFO or has a second link", async () => {
  const file = join(root, "events.ndjson");
  const end = '{"v":1,"type":"run.end","workflow":"w","status":"failed","exit_code":5,"duration_ms":1,"failed_step":"s"}';
  const step = '{"v":1,"type":"step.end","path":["s"],"status":"failed","exit_code":5,"error":"why"}';
  writeFileSync(file, `${step}\n{"v":1,"type":"step.output","text":"${"y".repeat(MAX_EVENT_LINE * 3)}","run.end":1}\n${end}`);
  expect(await readRunReport(file)).toEqual({ end: { workflow: "w", status: "failed", exitCode: 5, durationMs: 1, failedStep: "s" }, failure: { path: ["s"], exitCode: 5, error: "why" } });

  const link = join(root, "link.ndjson");
  symlinkSync(file, link);
  expect(await readRunReport(link)).toBeUndefined();
  const hard = join(root, "hard.ndjson");
  linkSync(file, hard);
  expect(await readRunReport(hard)).toBeUndefined();
  rmSync(hard);
  expect(await readRunReport(file)).toBeDefined();
  const fifo = join(root, "fifo.ndjson");
  expect((await runProcess(["mkfifo", fifo], { env: { PATH: "/usr/bin:/bin" }, stdin: "null", stdout: "null", stderr: "null", graceMs: 1000, cancellation: new Cancellation() })).code).toBe(0);
  expect(await readRunReport(fifo)).toBeUndefined();
  expect(await readRunReport(join(root, "missing.ndjson"))).toBeUndefined();
});
