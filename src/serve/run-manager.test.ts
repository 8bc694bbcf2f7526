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
import type { RunExecutor, RunResult } from "./run-executor.ts";
import { RunManager } from "./run-manager.ts";
import { SqlRunStore } from "./run-store.ts";

const CALLBACK_TOKEN = "callback-token-for-unit-test";
const root = mkdtempSync(join(tmpdir(), "muster-run-manager-test-"));
const stores: SqlRunStore[] = [];

/** Callbacks as they arrive; `next(runId)` resolves with the body of that run's callback. */
const bodies = new Map<string, Record<string, unknown>>();
const waiting = new Map<string, (body: Record<string, unknown>) => void>();
let answer = 204;
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const body = (await request.json()) as Record<string, unknown>;
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

  execute(dispatch: Dispatch, cancellation: Cancellation): Promise<RunResult> {
    this.started.push(dispatch.runId);
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
async function manager(env: Record<string, string> = {}) {
  const config = loadServeConfig({
    RUNNER_AUTH_TOKEN: "unit-test-token-0123456789", ATMOS_REPO_URL: "https://git.example/repo.git",
    MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1", MUSTER_CALLBACK_BASE_DELAY_MS: "1", MUSTER_CALLBACK_ATTEMPTS: "1", ...env,
  });
  const store = await SqlRunStore.openSqlite(join(root, String(++n)));
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
