import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { platform } from "../platform/index.ts";
import { parseWorkflowFile } from "../load/parse.ts";
import { definitionDigests, stepDigest } from "./definition-digest.ts";
import { Journal, startOf } from "./journal.ts";
import { journalDir } from "./journal-dir.ts";
import { Masker } from "./masker.ts";
import { MASKED, newRunId, type RunRecord } from "./run-record.ts";
import { RunWriter } from "./run-writer.ts";

const root = mkdtempSync(join(tmpdir(), "muster-journal-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `j${++n}`, "journal");

function record(id: string, over: Partial<RunRecord> = {}): RunRecord {
  const now = new Date().toISOString();
  return { v: 1, id, status: "running", project: "/p", file: "/p/w.yaml", fileShown: "w.yaml", workflow: "wf", digest: { workflow: "w", steps: [] }, vars: {}, answers: {}, pid: platform.pid, startedAt: now, updatedAt: now, resumes: [], steps: [], ...over };
}

const result = (value: string) => ({ value, values: [], metadata: { stdout: `${value}\n` }, outputs: {}, skipped: false, error: "", stdout: `${value}\n` });
const ok = { status: "succeeded" as const, exitCode: 0, durationMs: 3, attempts: 1, timedOut: false };

test("the journal lives under the state home, or MUSTER_JOURNAL_DIR; MUSTER_NO_JOURNAL=1 turns it off", () => {
  expect(journalDir({ HOME: "/home/ci" })).toBe("/home/ci/.local/state/muster/journal");
  expect(journalDir({ HOME: "/home/ci", XDG_STATE_HOME: "/state" })).toBe("/state/muster/journal");
  expect(journalDir({ MUSTER_JOURNAL_DIR: "/j", HOME: "/h" })).toBe("/j");
  expect(journalDir({ MUSTER_NO_JOURNAL: "1", HOME: "/h" })).toBeUndefined();
});

test("the directory is made 0700 and each record is a 0600 file, read back as written", () => {
  const dir = freshDir();
  const { journal, problem } = Journal.open({ MUSTER_JOURNAL_DIR: dir });
  expect(problem).toBeUndefined();
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  const r = record("20261202-154019-00aa", { status: "failed", failedStep: "second", vars: { region: "eu" }, exitCode: 1 });
  r.endedAt = r.updatedAt;
  journal!.write(r);
  expect(statSync(journal!.file(r.id)).mode & 0o777).toBe(0o600);
  expect(journal!.read(r.id)).toEqual(r);
  // Nothing but the record: the temp file was renamed over it.
  expect(readdirSync(dir)).toEqual([`${r.id}.jsonl`]);
});

test("a directory others may write is refused; one they may only read is narrowed to 0700", () => {
  const open = freshDir();
  mkdirSync(open, { recursive: true });
  chmodSync(open, 0o777);
  expect(Journal.open({ MUSTER_JOURNAL_DIR: open }).problem).toContain("is writable by its group and others");
  const readable = freshDir();
  mkdirSync(readable, { recursive: true });
  chmodSync(readable, 0o755);
  expect(Journal.open({ MUSTER_JOURNAL_DIR: readable }).problem).toBeUndefined();
  expect(statSync(readable).mode & 0o777).toBe(0o700);
});

test("a running record whose lock nobody holds (its muster was killed) reads as interrupted; one whose lock is held, as running", () => {
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: freshDir() });
  const r = record("20261202-154019-00ab");
  journal!.write(r);
  expect(journal!.read(r.id)!.status).toBe("interrupted");
  const lock = journal!.lock(r.id)!;
  expect(journal!.read(r.id)!.status).toBe("running");
  lock.release();
  expect(journal!.read(r.id)!.status).toBe("interrupted");
});

test("a running record with its process's start time (Linux) is live while that very process is, without a lock; another start time on the same pid is not", () => {
  if (!platform.processStartTime) return;
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: freshDir() });
  const mine = record("20261202-154019-00ac", { pst: platform.processStartTime(platform.pid)! });
  journal!.write(mine);
  expect(journal!.read(mine.id)!.status).toBe("running");
  // The pid reused by a later process (another start time): the run's own process is gone.
  const reused = record("20261202-154019-00ad", { pst: "another-boot:1" });
  journal!.write(reused);
  expect(journal!.read(reused.id)!.status).toBe("interrupted");
  // Its lock says nothing then: a start time is exact where there is one.
  const lock = journal!.lock(reused.id)!;
  expect(journal!.read(reused.id)!.status).toBe("interrupted");
  lock.release();
});

test("list is newest first; find takes a unique start of an id and names the candidates when several match", () => {
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: freshDir() });
  for (const id of ["20261201-100000-0001", "20261202-100000-0002", "20261202-100000-0003"]) journal!.write(record(id, { status: "succeeded" }));
  expect(journal!.list().map((r) => r.id)).toEqual(["20261202-100000-0003", "20261202-100000-0002", "20261201-100000-0001"]);
  expect(journal!.find("20261201")!.id).toBe("20261201-100000-0001");
  expect(() => journal!.find("20261202")).toThrow('run "20261202" is ambiguous: 20261202-100000-0003, 20261202-100000-0002 match');
  expect(journal!.find("2027")).toBeUndefined();
  expect(() => journal!.file("../../etc/passwd")).toThrow("not a run id");
});

test("prune removes runs past the retention and beyond the newest kept, never a live one", () => {
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: freshDir() });
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  const ids = ["20261101-120000-0001", "20261130-120000-0002", "20261201-120000-0003", "20261202-110000-0004", "20261202-115900-0005"];
  for (const id of ids) journal!.write(record(id, { status: "failed" }));
  journal!.write(record("20261001-120000-0006")); // running, its lock held below: live
  const live = journal!.lock("20261001-120000-0006")!;
  const removed = journal!.prune({ olderThanMs: 7 * 24 * 3_600_000, keep: 2, now });
  live.release();
  expect(removed.sort()).toEqual(["20261101-120000-0001", "20261130-120000-0002", "20261201-120000-0003"]);
  expect(journal!.list().map((r) => r.id)).toEqual(["20261202-115900-0005", "20261202-110000-0004", "20261001-120000-0006"]);
  expect(startOf("20261202-115900-0005")).toBe(Date.UTC(2026, 11, 2, 11, 59, 0));
});

test("pruneDue: never pruned, or pruned more than the interval ago (or in the future: a clock set back)", () => {
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: freshDir() });
  const hour = 3_600_000;
  expect(journal!.pruneDue(Date.now(), hour)).toBe(true);
  journal!.prune({ olderThanMs: hour, keep: 10 });
  expect(journal!.pruneDue(Date.now(), hour)).toBe(false);
  expect(journal!.pruneDue(Date.now() + 2 * hour, hour)).toBe(true);
  expect(journal!.pruneDue(Date.now() - hour, hour)).toBe(true);
});

test("a run's writer keeps each step's results, and a password's answer, its result and every copy of it are never written in clear", () => {
  const dir = freshDir();
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: dir });
  const masker = new Masker().addEnv({ GITHUB_TOKEN: "ghp_tokenvalue", REGION: "eu-west-1" });
  const warnings: string[] = [];
  const writer = RunWriter.start(journal!, record(newRunId(new Date()), { answers: { pw: MASKED } }), masker, new Set(["pw"]), (w) => warnings.push(w))!;
  writer.stepEnded({ name: "first", result: ok, steps: { first: result("eu-west-1") }, env: {}, exported: {} }, "d1");
  writer.stepEnded({ name: "pw", result: ok, steps: { pw: result("hunter2!") }, env: {}, exported: {} }, "d2");
  writer.stepEnded({ name: "echo", result: ok, steps: { echo: result("pw is hunter2! and ghp_tokenvalue") }, env: { KEY: "hunter2!" }, exported: {} }, "d3");
  writer.end("failed", 1, "echo");
  const text = readFileSync(journal!.file(writer.id), "utf8");
  expect(text).not.toContain("hunter2!");
  expect(text).not.toContain("ghp_tokenvalue");
  const back = journal!.read(writer.id)!;
  expect(back.status).toBe("failed");
  expect(back.failedStep).toBe("echo");
  expect(back.steps.map((s) => [s.name, s.masked ?? false, s.digest])).toEqual([["first", false, "d1"], ["pw", true, "d2"], ["echo", true, "d3"]]);
  expect(back.steps[0]!.steps.first!.value).toBe("eu-west-1");
  expect(back.steps[1]!.steps.pw!.value).toBe(MASKED);
  expect(back.steps[2]!.steps.echo!.value).toBe(`pw is ${MASKED} and ${MASKED}`);
  expect(back.steps[2]!.env).toEqual({ KEY: MASKED });
  expect(warnings).toEqual([]);
  // The run ended: its lock is free, so a second writer may take it (a resume).
  expect(RunWriter.start(journal!, back, masker, new Set(), () => {})).toBeDefined();
});

test("a step's digest ignores where it is in the file and changes with its definition", () => {
  const parse = (yaml: string) => parseWorkflowFile("w.yaml", yaml).workflowFile!.workflows.get("wf")!;
  const a = parse("workflows:\n  wf:\n    steps:\n      - { name: a, type: shell, command: echo 1 }\n");
  const moved = parse("# a comment\nworkflows:\n  wf:\n\n    steps:\n      - name: a\n        type: shell\n        command: echo 1\n");
  const changed = parse("workflows:\n  wf:\n    steps:\n      - { name: a, type: shell, command: echo 2 }\n");
  expect(stepDigest(moved.steps[0]!)).toBe(stepDigest(a.steps[0]!));
  expect(stepDigest(changed.steps[0]!)).not.toBe(stepDigest(a.steps[0]!));
  expect(definitionDigests(a).workflow).toBe(definitionDigests(changed).workflow);
});

test("a record is lines appended as the run goes: a line cut short by a kill is ignored, a resume keeps the steps it names", async () => {
  const { foldLines, lineOf } = await import("./record-lines.ts");
  const { steps: _, ...header } = record("20261202-154019-00ac");
  const step = (name: string, status: "succeeded" | "failed") => ({ t: "step" as const, name, status, exitCode: status === "failed" ? 1 : 0, durationMs: 1, digest: "d", steps: {}, env: {}, exported: {}, endedAt: "2026-12-02T15:40:20.000Z" });
  const first = lineOf({ t: "start", ...header }) + lineOf(step("a", "succeeded")) + lineOf(step("b", "failed")) + lineOf({ t: "end", status: "failed", exitCode: 1, failedStep: "b", endedAt: "2026-12-02T15:40:21.000Z" });
  expect(foldLines(first)).toMatchObject({ status: "failed", failedStep: "b", steps: [{ name: "a" }, { name: "b" }] });
  const resumed = first + lineOf({ t: "start", ...header, keep: ["a"] }) + lineOf(step("b", "succeeded")).slice(0, 40);
  const folded = foldLines(resumed)!;
  expect([folded.status, folded.failedStep, folded.steps.map((s) => s.name)]).toEqual(["running", undefined, ["a"]]);
});

test("a run that suspends at a prompt: the waiting line makes the record waiting (lock released, prune keeps it); a resume's start line clears it", () => {
  const dir = freshDir();
  const { journal } = Journal.open({ MUSTER_JOURNAL_DIR: dir });
  const r = record("20261202-154019-00cc");
  const writer = RunWriter.start(journal!, r, new Masker(), new Set(), () => {})!;
  const waitingFor = { step: "approve", type: "confirm", prompt: "Apply?", default: "no", since: new Date().toISOString(), digest: "d".repeat(64) };
  writer.wait(waitingFor);
  const read = journal!.read(r.id)!;
  expect(read).toMatchObject({ status: "waiting", waitingFor });
  // Released: another muster may take the run (the resume), and the record is not "running".
  const again = RunWriter.start(journal!, { ...read, status: "running" }, new Masker(), new Set(), () => {}, true);
  expect(again).toBeDefined();
  again!.end("succeeded", 0);
  const done = journal!.read(r.id)!;
  expect(done.status).toBe("succeeded");
  expect(done.waitingFor).toBeUndefined();

  const waits = record("20200101-000000-00dd");
  RunWriter.start(journal!, waits, new Masker(), new Set(), () => {})!.wait(waitingFor);
  expect(journal!.prune({ olderThanMs: 1, keep: 0 })).not.toContain(waits.id);
  expect(journal!.read(waits.id)?.status).toBe("waiting");
});
