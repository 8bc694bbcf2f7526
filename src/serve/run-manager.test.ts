/**
 * The run manager against an in-memory executor (runs that end when the
 * test says so), a real SQLite store and a real callback receiver on
 * 127.0.0.1: admission, claims under the concurrency and per-stack rules,
 * cancel of a queued and of a running run, callbacks and their failure,
 * redaction, and an executor that throws.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cancellation } from "../engine/cancellation.ts";
import { loadServeConfig } from "./config.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import { Metrics } from "./metrics.ts";
import { Redactor } from "./redact.ts";
import type { Resumption, RunExecutor, RunResult } from "./run-executor.ts";
import type { Suspension } from "./run-record.ts";
import { RunManager } from "./run-manager.ts";
import { SqlRunStore } from "./run-store.ts";

const CALLBACK_TOKEN = "callback-token-for-unit-test";
const root = mkdtempSync(join(tmpdir(), "muster-run-manager-test-"));
const stores: SqlRunStore[] = [];

/** Callbacks as they arrive; `next(runId)` resolves with the body of that run's callback. */
const bodies = new Map<string, Record<string, unknown>>();
const waiting = new Map<string, (body: Record<string, unknown>) => void>();
/** Callbacks per run (a run is called back once per final state). */
const callbackCount = new Map<string, number>();
/** Waiting notices (a dispatch's notifyUrl, `/notify`), by run. */
const notices = new Map<string, Record<string, unknown>[]>();
let answer = 204;
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const body = (await request.json()) as Record<string, unknown>;
    if (new URL(request.url).pathname === "/notify") {
      notices.set(body.runId as string, [...(notices.get(body.runId as string) ?? []), body]);
      return new Response(null, { status: 204 });
    }
    callbackCount.set(body.runId as string, (callbackCount.get(body.runId as string) ?? 0) + 1);
    bodies.set(body.runId as string, body);
    waiting.get(body.runId as string)?.(body);
    return new Response(null, { status: answer });
  },
});
const callbackOf = (runId: string) =>
  bodies.has(runId) ? Promise.resolve(bodies.get(runId)!) : new Promise<Record<string, unknown>>((resolve) => waiting.set(runId, resolve));

afterAll(async () => {
  for (const store of stores) await store.close();
  await receiver.stop(true);
  rmSync(root, { recursive: true, force: true });
});

/** Runs that start when claimed and end when the test calls `end` (or when canceled). */
class ScriptedExecutor implements RunExecutor {
  started: string[] = [];
  /** The resumptions runs were started with, by run. */
  resumes = new Map<string, Resumption>();
  reaped: string[] = [];
  #ends = new Map<string, (result: Partial<RunResult>) => void>();
  #starts = new Map<string, () => void>();
  #throws = new Set<string>();

  /** Makes run `runId` throw `message` when it starts. */
  failToStart(runId: string): void {
    this.#throws.add(runId);
  }

  /** Resolves once run `runId` has started. */
  whenStarted(runId: string): Promise<void> {
    return this.started.includes(runId) ? Promise.resolve() : new Promise((resolve) => this.#starts.set(runId, resolve));
  }

  end(runId: string, result: Partial<RunResult> = {}): void {
    this.#ends.get(runId)!(result);
  }

  execute(dispatch: Dispatch, cancellation: Cancellation, resume?: Resumption): Promise<RunResult> {
    this.started.push(dispatch.runId);
    if (resume) this.resumes.set(dispatch.runId, resume);
    this.#starts.get(dispatch.runId)?.();
    if (this.#throws.has(dispatch.runId)) return Promise.reject(new Error("could not make the run dir: disk full"));
    const base: RunResult = { status: "succeeded", exitCode: 0, error: null, summary: null, logTail: "" };
    return new Promise((resolve) => {
      this.#ends.set(dispatch.runId, (result) => resolve({ ...base, ...result }));
      cancellation.signal.addEventListener("abort", () => resolve({ ...base, status: "canceled", exitCode: 143, error: cancellation.reason, summary: cancellation.reason }), { once: true });
    });
  }

  reap(runId: string): Promise<void> {
    this.reaped.push(runId);
    return Promise.resolve();
  }
}

let n = 0;
async function manager(env: Record<string, string> = {}, dir = String(++n)) {
  const config = loadServeConfig({
    RUNNER_AUTH_TOKEN: "unit-test-token-0123456789", ATMOS_REPO_URL: "https://git.example/repo.git",
    MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1", MUSTER_CALLBACK_BASE_DELAY_MS: "1", MUSTER_CALLBACK_ATTEMPTS: "1", ...env,
  });
  const store = await SqlRunStore.openSqlite(join(root, dir));
  stores.push(store);
  const executor = new ScriptedExecutor();
  const logged: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const redactor = new Redactor().add("runner-secret-value");
  const runs = new RunManager(config, (level, message, fields) => void logged.push({ level, message, fields }), new Metrics(), redactor, store, undefined, executor);
  return { runs, executor, store, logged };
}

const dispatch = (runId: string, extra: Partial<Dispatch> = {}): Dispatch =>
  ({ runId, workflow: "deploy", callbackUrl: `http://127.0.0.1:${receiver.port}/cb`, callbackToken: CALLBACK_TOKEN, ...extra }) as Dispatch;

test("a dispatch is queued, claimed at once, run and called back; the state keeps the result; a retry gets the run, another request under its id is a conflict", async () => {
  const { runs, executor, store } = await manager();
  const submitted = await runs.submit(dispatch("m-ok", { stack: "dev" }));
  expect(submitted).toMatchObject({ kind: "queued", state: { runId: "m-ok", status: "queued" } });
  // Claimed before the answer: the executor has it and the state says running.
  expect(executor.started).toEqual(["m-ok"]);
  expect(await runs.get("m-ok")).toMatchObject({ status: "running", runner: expect.any(String) });
  expect(await runs.submit(dispatch("m-ok", { stack: "dev" }))).toMatchObject({ kind: "existing", state: { status: "running" } });
  expect(await runs.submit(dispatch("m-ok", { stack: "prod" }))).toMatchObject({ kind: "conflict", field: "stack" });

  executor.end("m-ok", { logTail: "all good\n" });
  const body = await callbackOf("m-ok");
  expect(body).toMatchObject({ runId: "m-ok", status: "succeeded", exitCode: 0, error: null, logTail: "all good\n" });
  expect((await store.find("m-ok"))?.state).toMatchObject({ status: "succeeded", exitCode: 0, error: null });
  expect(executor.reaped).toEqual([]);
});

test("a failed run: the error and log tail are redacted (runner secrets, the callback token), the log shows the summary, not the step's words", async () => {
  const { runs, executor, store, logged } = await manager();
  await runs.submit(dispatch("m-bad"));
  executor.end("m-bad", {
    status: "failed", exitCode: 4,
    error: `workflow deploy failed at step "quota" (exit 4) after 1.0s: token runner-secret-value and ${CALLBACK_TOKEN} refused`,
    summary: 'workflow deploy failed at step "quota" (exit 4) after 1.0s',
    logTail: `echo ${CALLBACK_TOKEN}\n`,
  });
  const body = await callbackOf("m-bad");
  expect(body).toMatchObject({ status: "failed", exitCode: 4, error: 'workflow deploy failed at step "quota" (exit 4) after 1.0s: token [redacted] and [redacted] refused', logTail: "echo [redacted]\n" });
  expect((await store.find("m-bad"))?.state.error).toBe(body.error as string);
  const finished = logged.find((l) => l.message === "run finished" && l.fields?.runId === "m-bad");
  expect(finished?.fields).toMatchObject({ status: "failed", exitCode: 4, error: 'workflow deploy failed at step "quota" (exit 4) after 1.0s' });
});

test("the concurrency limit and one run per stack: a run waits for a slot, and for its stack", async () => {
  const { runs, executor } = await manager({ MUSTER_CONCURRENCY: "2" });
  await runs.submit(dispatch("m-dev-1", { stack: "dev" }));
  await runs.submit(dispatch("m-dev-2", { stack: "dev" }));
  await runs.submit(dispatch("m-prod", { stack: "prod" }));
  await runs.submit(dispatch("m-qa", { stack: "qa" }));
  // Two slots: the first dev run and prod; the second dev run waits for dev, qa for a slot.
  expect(executor.started).toEqual(["m-dev-1", "m-prod"]);
  expect(await runs.gauges()).toMatchObject({ queued: 2, running: 2 });
  const next = executor.whenStarted("m-dev-2");
  executor.end("m-dev-1");
  await next;
  // The freed slot goes to the oldest queued run whose stack is free: dev's second run, not qa.
  expect(executor.started).toEqual(["m-dev-1", "m-prod", "m-dev-2"]);
  const qa = executor.whenStarted("m-qa");
  executor.end("m-prod");
  await qa;
  executor.end("m-dev-2");
  executor.end("m-qa");
  for (const id of ["m-dev-1", "m-prod", "m-dev-2", "m-qa"]) expect((await callbackOf(id)).status).toBe("succeeded");
});

test("cancel: a queued run is called back canceled without running; a running run is stopped through its cancellation", async () => {
  const { runs, executor, store } = await manager({ MUSTER_CONCURRENCY: "1" });
  await runs.submit(dispatch("m-running"));
  await runs.submit(dispatch("m-queued"));
  expect(await runs.cancel("m-queued", "not needed")).toMatchObject({ status: "canceled", error: "not needed" });
  expect(await callbackOf("m-queued")).toMatchObject({ status: "canceled", error: "not needed", exitCode: null });
  expect(executor.started).toEqual(["m-running"]);

  expect(await runs.cancel("m-running")).toMatchObject({ status: "running" });
  expect(await callbackOf("m-running")).toMatchObject({ status: "canceled", error: "canceled by request" });
  expect((await store.find("m-running"))?.state.status).toBe("canceled");
  expect(await runs.cancel("m-unknown")).toBeUndefined();
});

test("an executor that throws fails its run with the error; a callback answered 404 is stored as not delivered", async () => {
  const { runs, executor, store } = await manager();
  executor.failToStart("m-throws");
  answer = 404;
  try {
    await runs.submit(dispatch("m-throws"));
    expect(await callbackOf("m-throws")).toMatchObject({ status: "failed", exitCode: null, error: "could not make the run dir: disk full" });
    await runs.drain(0);
    expect((await store.find("m-throws"))?.state.callback).toMatchObject({ delivered: false, attempts: 1, error: "callback answered 404" });
  } finally {
    answer = 204;
  }
});

test("a draining runner claims nothing: a dispatch stays queued in the store", async () => {
  const { runs, executor } = await manager();
  await runs.drain(0);
  expect(await runs.submit(dispatch("m-later"))).toMatchObject({ kind: "queued" });
  expect(executor.started).toEqual([]);
  expect((await runs.get("m-later"))?.status).toBe("queued");
});

const DIGEST = "a".repeat(64);
/** What an executor reports for a run that suspended at the confirm step "approve". */
const suspension = (checkout = "/tmp/run/repo"): Suspension => ({
  waitingFor: {
    step: "approve", type: "confirm", prompt: "Apply the plan?", default: "no", since: new Date().toISOString(), digest: DIGEST,
    check: { step: { name: "approve", type: "confirm", texts: { prompt: "Apply the plan?", default: "no" } }, texts: { prompt: "Apply the plan?", default: "no" } },
  },
  journal: '{"t":"start"}\n', journalId: "20261202-160000-abcd", checkout,
});
const notifyUrl = () => `http://127.0.0.1:${receiver.port}/notify`;

test("a run suspended at a prompt waits: no slot, its stack held; answers are checked (step, value, digest); the answer resumes it with its journal and answers; one final callback; the notifyUrl got the notice", async () => {
  const { runs, executor, store, logged } = await manager({ MUSTER_CONCURRENCY: "1" });
  await runs.submit(dispatch("w-gate", { stack: "prod", notifyUrl: notifyUrl() }));
  executor.end("w-gate", { status: "waiting", exitCode: 75, suspension: suspension() });
  // The slot is free: a run of another stack starts; one of the waiting run's stack stays queued.
  const other = executor.whenStarted("w-other");
  await runs.submit(dispatch("w-same-stack", { stack: "prod" }));
  await runs.submit(dispatch("w-other", { stack: "dev" }));
  await other;
  expect(executor.started).toEqual(["w-gate", "w-other"]);
  const state = await runs.get("w-gate");
  expect(state).toMatchObject({ status: "waiting", finishedAt: null, waitingFor: { step: "approve", type: "confirm", prompt: "Apply the plan?", default: "no", digest: DIGEST } });
  expect(state?.waitingFor).not.toHaveProperty("check");
  expect(await runs.gauges()).toMatchObject({ running: 1, waiting: 1, queued: 1 });
  expect(notices.get("w-gate")).toEqual([expect.objectContaining({ runId: "w-gate", status: "waiting", waitingFor: expect.objectContaining({ step: "approve", digest: DIGEST }) })]);
  expect(logged.some((l) => l.message === "run waiting for an answer" && l.fields?.step === "approve")).toBe(true);

  expect(await runs.answer("w-gate", { approve: "maybe" })).toMatchObject({ kind: "invalid", why: "--answer approve=maybe: expected yes or no (also y/n, true/false)" });
  expect(await runs.answer("w-gate", { deploy: "yes" })).toMatchObject({ kind: "invalid", why: expect.stringContaining('expected {"approve": VALUE}') });
  expect(await runs.answer("w-gate", { approve: "yes" }, "b".repeat(64))).toMatchObject({ kind: "invalid", why: expect.stringContaining("is not that of the question") });
  expect(await runs.answer("w-other", { approve: "yes" })).toMatchObject({ kind: "not-waiting", state: { status: "running" } });
  expect(await runs.answer("w-nope", { approve: "yes" })).toEqual({ kind: "unknown" });
  expect((await runs.get("w-gate"))?.status).toBe("waiting");
  expect(callbackCount.get("w-gate")).toBeUndefined();

  // Answered while the one slot is taken: queued, ahead of the other prod run once the slot frees.
  expect(await runs.answer("w-gate", { approve: "yes" }, DIGEST)).toMatchObject({ kind: "resumed", state: { status: "queued" } });
  expect(await runs.answer("w-gate", { approve: "yes" })).toMatchObject({ kind: "not-waiting" });
  executor.started = executor.started.filter((id) => id !== "w-gate");
  const resumed = executor.whenStarted("w-gate");
  executor.end("w-other");
  await resumed;
  expect(executor.resumes.get("w-gate")).toMatchObject({ answers: { approve: "yes" }, suspension: { journalId: "20261202-160000-abcd", checkout: "/tmp/run/repo" } });
  // The answers went with the claim: the store keeps none.
  expect((await store.find("w-gate"))?.resumeAnswers).toBeUndefined();
  expect(executor.started).not.toContain("w-same-stack");
  executor.end("w-gate");
  expect(await callbackOf("w-gate")).toMatchObject({ status: "succeeded" });
  const sameStack = executor.whenStarted("w-same-stack");
  await sameStack;
  executor.end("w-same-stack");
  await callbackOf("w-same-stack");
  expect(callbackCount.get("w-gate")).toBe(1);
  expect(notices.get("w-gate")).toHaveLength(1);
});

test("a waiting run past MUSTER_WAIT_TIMEOUT fails with that reason and is called back once; its stack is free again", async () => {
  const { runs, executor } = await manager({ MUSTER_WAIT_TIMEOUT: "2h" });
  await runs.submit(dispatch("w-late", { stack: "stage" }));
  executor.end("w-late", { status: "waiting", exitCode: 75, suspension: suspension() });
  await runs.submit(dispatch("w-after", { stack: "stage" }));
  // An hour on: still waiting.
  await runs.expireWaiting(Date.now() + 3_600_000);
  expect((await runs.get("w-late"))?.status).toBe("waiting");
  const after = executor.whenStarted("w-after");
  await runs.expireWaiting(Date.now() + 2 * 3_600_000 + 1000);
  expect(await callbackOf("w-late")).toMatchObject({ status: "failed", exitCode: null, error: "no answer within 2h (MUSTER_WAIT_TIMEOUT) at the prompt the run waited at" });
  expect((await runs.get("w-late"))?.waitingFor).toBeUndefined();
  await after;
  executor.end("w-after");
  await callbackOf("w-after");
  await runs.expireWaiting(Date.now() + 100 * 3_600_000);
  expect(callbackCount.get("w-late")).toBe(1);
  expect(await runs.answer("w-late", { approve: "yes" })).toMatchObject({ kind: "not-waiting", state: { status: "failed" } });
});

test("cancel ends a waiting run (called back canceled); a waiting run outlives its runner: a new one on the store shows it and resumes it", async () => {
  const { runs, executor } = await manager();
  await runs.submit(dispatch("w-cancel"));
  executor.end("w-cancel", { status: "waiting", exitCode: 75, suspension: suspension() });
  await runs.submit(dispatch("w-restart"));
  executor.end("w-restart", { status: "waiting", exitCode: 75, suspension: suspension() });
  expect(await runs.cancel("w-cancel", "not approved")).toMatchObject({ status: "canceled", error: "not approved" });
  expect(await callbackOf("w-cancel")).toMatchObject({ status: "canceled", error: "not approved" });

  // The runner stops (the waiting run holds nothing of it) and another starts on the same state.
  const dir = String(n);
  await runs.drain(0);
  await stores.pop()!.close();
  const next = await manager({}, dir);
  await next.runs.recover();
  try {
    expect(await next.runs.get("w-restart")).toMatchObject({ status: "waiting", waitingFor: { step: "approve" } });
    const started = next.executor.whenStarted("w-restart");
    expect(await next.runs.answer("w-restart", { approve: "no" })).toMatchObject({ kind: "resumed" });
    await started;
    expect(next.executor.resumes.get("w-restart")?.answers).toEqual({ approve: "no" });
    next.executor.end("w-restart");
    expect(await callbackOf("w-restart")).toMatchObject({ status: "succeeded" });
  } finally {
    await next.runs.drain(0);
  }
});

test("a waiting run's wait is timed by the runner's clock: a run-written since (far future, or none) does not decide MUSTER_WAIT_TIMEOUT", async () => {
  const { runs, executor, store } = await manager({ MUSTER_WAIT_TIMEOUT: "1h" });
  await runs.submit(dispatch("w-future"));
  const future = suspension();
  future.waitingFor.since = "9999-01-01T00:00:00.000Z";
  executor.end("w-future", { status: "waiting", exitCode: 75, suspension: future });
  await runs.submit(dispatch("w-nosince"));
  const none = suspension();
  delete (none.waitingFor as Partial<typeof none.waitingFor>).since;
  executor.end("w-nosince", { status: "waiting", exitCode: 75, suspension: none });
  const shown = await runs.get("w-future");
  expect(shown?.status).toBe("waiting");
  // What the API shows is the runner's time, not the run's.
  expect(Date.parse(String(shown?.waitingFor?.since))).toBeLessThanOrEqual(Date.now());
  expect((await store.find("w-nosince"))?.state.status).toBe("waiting");
  await runs.expireWaiting(Date.now() + 3_600_000 + 1000);
  expect(await callbackOf("w-future")).toMatchObject({ status: "failed", error: expect.stringContaining("MUSTER_WAIT_TIMEOUT") });
  expect(await callbackOf("w-nosince")).toMatchObject({ status: "failed", error: expect.stringContaining("MUSTER_WAIT_TIMEOUT") });
});

test("a waiting run the store cannot take is failed with the reason and called back, not left running", async () => {
  const { runs, executor, store } = await manager();
  const suspend = store.suspend.bind(store);
  store.suspend = () => Promise.reject(new Error("disk I/O error"));
  try {
    await runs.submit(dispatch("w-unstored"));
    executor.end("w-unstored", { status: "waiting", exitCode: 75, suspension: suspension() });
    expect(await callbackOf("w-unstored")).toMatchObject({ status: "failed", exitCode: null, error: expect.stringContaining("disk I/O error") });
    expect((await store.find("w-unstored"))?.state).toMatchObject({ status: "failed", error: expect.stringContaining("disk I/O error") });
  } finally {
    store.suspend = suspend;
  }
});

test("cancelling a waiting run frees its stack at once: a run queued behind it starts", async () => {
  const { runs, executor } = await manager();
  await runs.submit(dispatch("w-held", { stack: "prod" }));
  executor.end("w-held", { status: "waiting", exitCode: 75, suspension: suspension() });
  await runs.submit(dispatch("w-behind", { stack: "prod" }));
  expect(executor.started).not.toContain("w-behind");
  const behind = executor.whenStarted("w-behind");
  expect(await runs.cancel("w-held")).toMatchObject({ status: "canceled" });
  await behind;
  executor.end("w-behind");
  expect(await callbackOf("w-behind")).toMatchObject({ status: "succeeded" });
});

test("the answer to a password gate is redacted in the resumed run's callback", async () => {
  const { runs, executor } = await manager();
  await runs.submit(dispatch("w-secret"));
  const asked = suspension();
  asked.waitingFor = { ...asked.waitingFor, step: "token", type: "input", prompt: "Token?", check: { step: { name: "token", type: "input", prompt: "Token?", password: true }, texts: { prompt: "Token?" } } };
  delete asked.waitingFor.default;
  executor.end("w-secret", { status: "waiting", exitCode: 75, suspension: asked });
  while ((await runs.get("w-secret"))?.status !== "waiting") await Bun.sleep(1);
  const resumed = executor.whenStarted("w-secret");
  executor.started = [];
  expect(await runs.answer("w-secret", { token: "hunter2-password-value" })).toMatchObject({ kind: "resumed" });
  await resumed;
  executor.end("w-secret", { status: "failed", exitCode: 1, error: "step echo failed: hunter2-password-value", summary: "step echo failed", logTail: "got hunter2-password-value\n" });
  expect(await callbackOf("w-secret")).toMatchObject({ status: "failed", error: "step echo failed: [redacted]", logTail: "got [redacted]\n" });
});
