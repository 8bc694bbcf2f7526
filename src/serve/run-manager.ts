/**
 * Runs of dispatched workflows: a bounded queue, a concurrency limit, no
 * two runs of the same stack at once, and a callback when each ends. Every
 * change of a run's state is written to the {@linkcode RunStore} first, so
 * that a restarted runner knows its runs (see `recover`). How a run is
 * executed (its dir, clone, child muster, isolation and outcome) is the
 * {@linkcode RunExecutor}'s (run-executor.ts).
 * @module
 */
import { Cancellation } from "../engine/cancellation.ts";
import { answerProblem } from "./answer-check.ts";
import { sendCallback, type CallbackPayload, type WaitingNotice } from "./callback.ts";
import { formatDuration } from "../workflow/duration.ts";
import type { ServeConfig } from "./config.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import type { Log } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { Redactor } from "./redact.ts";
import { shownWaitingFor, type FinalStatus, type RunState, type Suspension } from "./run-record.ts";
import { WorkspaceExecutor, type Resumption, type RunExecutor, type RunResult } from "./run-executor.ts";
import type { RunSandbox } from "./run-sandbox.ts";
import type { RunStore, StoredRun } from "./run-store.ts";

export type { FinalStatus, RunState, RunStatus } from "./run-record.ts";
export { LOG_TAIL_BYTES, type RunExecutor, type RunResult } from "./run-executor.ts";

interface Run {
  dispatch: Dispatch;
  state: RunState;
  cancellation: Cancellation;
  done: Promise<void>;
  finish: () => void;
  /** Another runner took the run over (this runner's lease ran out): its result is not reported from here. */
  leaseLost?: boolean;
  /** A run answered at the prompt it waited at: it continues from there. */
  resume?: Resumption;
}

/** How an answer to a waiting run went (`POST /runs/:id/answers`). */
export type AnswerOutcome =
  | { kind: "resumed"; state: RunState }
  | { kind: "unknown" }
  | { kind: "not-waiting"; state: RunState }
  | { kind: "invalid"; why: string; state: RunState };

/**
 * The answers of `run` its callback must not show: the answer to a
 * password gate it was resumed at. Other answers are outside values as
 * vars are, and shown as they are (a dispatch's `answers` name no prompt
 * kind: the runner cannot tell a password's from another's).
 */
function secretAnswers(run: Run): string[] {
  const asked = run.resume?.suspension.waitingFor;
  // A password prompt is an `input` step with `password: true` (its definition is in the question's check).
  const password = asked?.type === "input" && (asked.check?.step as { password?: unknown } | undefined)?.password === true;
  if (!asked || !password) return [];
  const answer = run.resume!.answers[asked.step];
  return answer === undefined ? [] : [answer];
}

/** A run in memory, in `state`: `done` resolves once its callback has been dealt with. */
function newRun(dispatch: Dispatch, state: RunState): Run {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { dispatch, state, cancellation: new Cancellation(), done, finish };
}

// Run dirs are `<tmp>/muster-run-<runner tag>-XXXXXX`, judged by the runner's lock (run-dir-lock.ts), never by a pid.
export { sweepStaleRunDirs } from "./run-dir-lock.ts";

/** The first of workflow, file, stack, vars in which two dispatches differ. */
function differingField(a: Dispatch, b: Dispatch): string | undefined {
  if (a.workflow !== b.workflow) return "workflow";
  if ((a.file ?? "") !== (b.file ?? "")) return "file";
  if ((a.stack ?? "") !== (b.stack ?? "")) return "stack";
  const vars = (d: Dispatch) => JSON.stringify(Object.entries(d.vars ?? {}).sort(([x], [y]) => (x < y ? -1 : 1)));
  if (vars(a) !== vars(b)) return "vars";
  return undefined;
}

/** The runs of one server: what it runs, calls back and asks the store. */
export class RunManager {
  #config: ServeConfig;
  #log: Log;
  #metrics: Metrics;
  #redactor: Redactor;
  #store: RunStore;
  /** This runner's name in the store (MUSTER_RUNNER_ID): the owner of what it claims. */
  #owner: string;
  /** Runs this runner is running or calling back. */
  #local = new Map<string, Run>();
  #running = new Set<Run>();
  #draining = false;
  /** Aborts callback retries once shutdown has used its budget. */
  #shutdown = new AbortController();
  /** The store's poll (shared stores only): leases, cancel requests, lost runs, work queued by other runners. */
  #ticker?: ReturnType<typeof setInterval>;
  /** Fails the runs that waited past MUSTER_WAIT_TIMEOUT (every store: a waiting run has no process to time it). */
  #waitTicker?: ReturnType<typeof setInterval>;
  #ticking = false;
  /** The claim pass that has not started yet, which a new call joins. */
  #nextPass?: Promise<void>;
  #passes: Promise<void> = Promise.resolve();

  /** What runs the runs: {@linkcode WorkspaceExecutor} unless a test gives another. */
  #executor: RunExecutor;

  /** `sandbox` confines the default executor's process-mode runs; `executor` replaces that executor. */
  constructor(config: ServeConfig, log: Log, metrics: Metrics, redactor: Redactor, store: RunStore, sandbox?: RunSandbox, executor?: RunExecutor) {
    this.#executor = executor ?? new WorkspaceExecutor(config, log, sandbox);
    this.#config = config;
    this.#log = log;
    this.#metrics = metrics;
    this.#redactor = redactor;
    this.#store = store;
    this.#owner = config.runnerId;
  }

  /**
   * Takes up what the store holds from runners that are gone: runs they left
   * running are failed ("runner lost while running") and called back, final
   * runs whose callback was never sent get it now, queued runs start (here
   * or on any runner). SQLite: the previous process's runs, at once;
   * PostgreSQL: runs whose leases ran out, now and at every poll. Final runs
   * past the retention are forgotten; runs waiting at a prompt stay waiting
   * (counted in `waiting`), and from now on the ones past MUSTER_WAIT_TIMEOUT fail.
   */
  async recover(): Promise<{ lost: number; requeued: number; redelivered: number; waiting: number }> {
    const { lost, redelivered } = await this.#takeOver();
    const { queued: requeued, waiting } = await this.#store.counts();
    await this.#prune();
    void this.#pump();
    if (this.#store.shared) this.#ticker = setInterval(() => void this.#tick(), Math.min(this.#config.pollMs, this.#config.leaseTtlMs / 3));
    await this.expireWaiting();
    this.#waitTicker = setInterval(() => void this.expireWaiting(), Math.max(50, Math.min(this.#config.waitTimeoutMs / 4, 30_000)));
    return { lost, requeued, redelivered, waiting };
  }

  /**
   * Fails the runs (any runner's) that have waited at a prompt longer than
   * MUSTER_WAIT_TIMEOUT and calls them back; one runner gets each. Runs at
   * `recover` and then at a quarter of the timeout (at most every 30s).
   */
  async expireWaiting(now = Date.now()): Promise<void> {
    if (this.#draining) return;
    const ms = this.#config.waitTimeoutMs;
    // Whole hours, minutes or seconds as such (24h, not 1440m00s): the limit as an operator sets it.
    const limit = ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : formatDuration(ms);
    const reason = `no answer within ${limit} (MUSTER_WAIT_TIMEOUT) at the prompt the run waited at`;
    let expired: StoredRun[];
    try {
      expired = await this.#store.expireWaiting(this.#owner, this.#config.leaseTtlMs, new Date(now - this.#config.waitTimeoutMs).toISOString(), reason);
    } catch (error) {
      this.#log("error", "could not time out waiting runs", { error: (error as Error).message });
      return;
    }
    for (const stored of expired) {
      const run = this.#adopt(stored);
      this.#metrics.finished("failed", 0);
      this.#log("warn", "run finished", { runId: stored.state.runId, status: "failed", exitCode: null, durationMs: 0, error: reason, step: stored.suspension?.waitingFor.step ?? null });
      void this.#deliver(run);
    }
    // Their stacks are free now.
    if (expired.length > 0) void this.#pump();
  }

  /** Takes over lost runs and undelivered callbacks (see `recover`); returns how many of each. */
  async #takeOver(): Promise<{ lost: number; redelivered: number }> {
    const lease = this.#config.leaseTtlMs;
    // The lost runs stay running (their stacks taken) until what they left on the engine is gone: then they are failed and called back.
    const lost = await this.#store.adoptLost(this.#owner, lease);
    for (const stored of lost) void this.#reportLost(this.#adopt(stored));
    const undelivered = (await this.#store.takeOverUndelivered(this.#owner, lease)).filter((stored) => !this.#local.has(stored.state.runId));
    for (const stored of undelivered) void this.#deliver(this.#adopt(stored));
    return { lost: lost.length, redelivered: undelivered.length };
  }

  /**
   * A run whose runner stopped while it ran: its containers are stopped
   * (within the cancel grace) and removed, then it is stored failed ("runner
   * lost while running"), which frees its stack, and called back.
   */
  async #reportLost(run: Run): Promise<void> {
    const runId = run.state.runId;
    await this.#reap(runId, Math.max(1, Math.ceil(this.#config.cancelGraceMs / 1000)), "stopped and removed what a lost run left before reporting it");
    const final = { status: "failed" as const, exitCode: null, error: "runner lost while running" };
    const held = await this.#store.finish(runId, this.#owner, final).catch((e: Error) => {
      this.#log("error", "could not store a final state", { runId, error: e.message });
      return true;
    });
    // Its stack is free now: a run queued behind it may start.
    void this.#pump();
    if (!held) {
      this.#local.delete(runId);
      run.finish();
      return;
    }
    Object.assign(run.state, { ...final, finishedAt: new Date().toISOString(), runner: this.#owner });
    this.#log("warn", "run lost: its runner stopped while it ran", { runId });
    this.#metrics.finished("failed", 0);
    await this.#deliver(run);
  }

  /** A stored run, now this runner's to run or call back (a resumed one with its answers). */
  #adopt(stored: StoredRun): Run {
    const run = newRun(stored.dispatch, { ...stored.state });
    if (stored.suspension && stored.resumeAnswers) run.resume = { suspension: stored.suspension, answers: stored.resumeAnswers };
    this.#local.set(stored.state.runId, run);
    return run;
  }

  /**
   * One poll of a shared store: renews this runner's leases, carries out the
   * cancel requests other runners recorded, stops runs another runner took
   * over (this one lost its lease), takes over what dead runners left and
   * claims work queued elsewhere.
   */
  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const { held, cancels } = await this.#store.renew(this.#owner, this.#config.leaseTtlMs);
      for (const run of this.#running) {
        const id = run.state.runId;
        if (!held.has(id) && run.state.status === "running") {
          run.leaseLost = true;
          run.cancellation.cancel("SIGTERM", "another runner took this run over: this runner's lease ran out");
        } else if (cancels.has(id)) run.cancellation.cancel("SIGTERM", cancels.get(id)!);
      }
      if (this.#draining) return;
      await this.#takeOver();
      await this.#pump();
    } catch (error) {
      this.#log("error", "the run store did not answer", { error: (error as Error).message });
    } finally {
      this.#ticking = false;
    }
  }

  #prunedAt = 0;
  async #prune(): Promise<void> {
    this.#prunedAt = Date.now();
    const removed = await this.#store.prune(new Date(Date.now() - this.#config.runRetentionMs).toISOString());
    if (removed > 0) this.#log("info", "forgot finished runs past the retention", { runs: removed });
  }

  /** Runs this runner is running. */
  get running(): number {
    return this.#running.size;
  }
  get draining(): boolean {
    return this.#draining;
  }

  /** The gauges of `/metrics`: the queue is every runner's (from the store), the running runs this runner's. */
  async gauges(): Promise<{ queued: number; running: number; waiting: number; draining: boolean }> {
    const counts = await this.#store.counts();
    return { queued: counts.queued, running: this.#running.size, waiting: counts.waiting, draining: this.#draining };
  }

  /** A run's state, if known: this runner's own, else the store's (any runner's). */
  async get(runId: string): Promise<RunState | undefined> {
    return this.#local.get(runId)?.state ?? (await this.#store.find(runId))?.state;
  }

  /**
   * Queues a dispatch (committed to the store when this resolves). A known
   * runId returns the existing run and starts nothing.
   */
  async submit(dispatch: Dispatch): Promise<{ kind: "queued" | "existing"; state: RunState } | { kind: "conflict"; field: string; state: RunState } | { kind: "full"; why: string }> {
    const state: RunState = {
      runId: dispatch.runId, status: "queued", workflow: dispatch.workflow, stack: dispatch.stack ?? null,
      createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, exitCode: null, error: null, callback: null, runner: null,
    };
    const slotFree = !this.#draining && this.#running.size < this.#config.concurrency;
    const admission = await this.#store.admit({ dispatch, state }, { queueSize: this.#config.queueSize, queuePerStack: this.#config.queuePerStack, slotFree });
    if (admission.kind === "full") return admission;
    if (admission.kind === "known") {
      // A retried dispatch gets the run it started; another request under the same id is a conflict, not that run.
      const current = this.#local.get(dispatch.runId)?.state ?? admission.run.state;
      const field = differingField(admission.run.dispatch, dispatch);
      return field ? { kind: "conflict", field, state: current } : { kind: "existing", state: current };
    }
    this.#log("info", "run queued", { runId: dispatch.runId, workflow: dispatch.workflow, stack: dispatch.stack ?? null });
    // Claimed before the answer when there is room, so the next dispatch sees this run running.
    await this.#pump();
    return { kind: "queued", state };
  }

  /**
   * Answers the prompt a waiting run waits at, on any runner: `answers`
   * must name that step (only), its value pass the prompt kind's own check
   * (as `--answer`), and `digest`, when given, be the question's. The run
   * goes back to the queue, ahead of other runs, and any runner claims it.
   */
  async answer(runId: string, answers: Record<string, string>, digest?: string): Promise<AnswerOutcome> {
    const stored = await this.#store.find(runId);
    if (!stored) return { kind: "unknown" };
    const state = this.#local.get(runId)?.state ?? stored.state;
    if (stored.state.status !== "waiting" || !stored.suspension) return { kind: "not-waiting", state };
    const asked = stored.suspension.waitingFor;
    if (digest !== undefined && digest !== asked.digest) {
      return { kind: "invalid", why: `digest ${JSON.stringify(digest)} is not that of the question run ${JSON.stringify(runId)} waits at (step "${asked.step}", digest ${asked.digest}): the run or its plan is not the one answered`, state };
    }
    const names = Object.keys(answers);
    if (names.length !== 1 || names[0] !== asked.step) {
      return { kind: "invalid", why: `answers must name the step the run waits at, and only it: expected {"${asked.step}": VALUE}, got ${names.length === 0 ? "none" : names.map((n) => JSON.stringify(n)).join(", ")}`, state };
    }
    const problem = await answerProblem(asked, answers[asked.step]!);
    if (problem !== undefined) return { kind: "invalid", why: problem, state };
    const resumed = await this.#store.resume(runId, answers, asked.since);
    if (!resumed) {
      const now = await this.#store.find(runId);
      return { kind: "not-waiting", state: now?.state ?? state };
    }
    this.#log("info", "run answered: it goes back to the queue", { runId, step: asked.step });
    await this.#pump();
    return { kind: "resumed", state: (await this.#store.find(runId))?.state ?? resumed.state };
  }

  /**
   * Cancels a queued or running run, on this runner or (recorded in the
   * store) on the one running it; returns its state, or undefined when unknown.
   */
  async cancel(runId: string, reason = "canceled by request"): Promise<RunState | undefined> {
    const own = this.#local.get(runId);
    if (own?.state.status === "running") {
      own.cancellation.cancel("SIGTERM", reason);
      return own.state;
    }
    if (own) return own.state;
    // A queued or waiting run is canceled in the store, by whichever runner is asked.
    const canceled = await this.#store.cancelQueued(runId, this.#owner, reason, this.#config.leaseTtlMs);
    if (canceled) {
      const run = this.#adopt(canceled);
      this.#metrics.finished("canceled", 0);
      this.#log("warn", "run finished", { runId, status: "canceled", exitCode: null, durationMs: 0, error: reason });
      void this.#deliver(run);
      // A canceled waiting run frees its stack: a run queued behind it may start now.
      void this.#pump();
      return run.state;
    }
    const stored = await this.#store.find(runId);
    if (stored?.state.status === "running") {
      await this.#store.requestCancel(runId, reason);
      this.#log("info", "cancel recorded for the runner running the run", { runId });
    }
    return stored?.state;
  }

  /**
   * Stops accepting work: queued runs stay queued in the store (the next
   * start, or another runner, runs them), running ones may finish within
   * `graceMs`, then they are canceled; resolves when all callbacks are sent.
   */
  async drain(graceMs: number, callbackBudgetMs = 20_000): Promise<void> {
    this.#draining = true;
    const { queued } = await this.#store.counts().catch(() => ({ queued: 0 }));
    if (queued > 0) this.#log("info", "queued runs stay queued for the next start", { queued });
    const all = () => Promise.all([...this.#running].map((r) => r.done));
    const inTime = await Promise.race([all().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    if (!inTime) for (const run of this.#running) run.cancellation.cancel("SIGTERM", "runner shutting down");
    // Callbacks get a budget of their own after the grace; past it, retries stop and shutdown ends.
    const budget = setTimeout(() => this.#shutdown.abort(), callbackBudgetMs);
    await Promise.all([...this.#local.values()].map((r) => r.done));
    clearTimeout(budget);
    clearInterval(this.#ticker);
    clearInterval(this.#waitTicker);
  }

  /** Kills every running run's processes at once (a second SIGTERM) and stops callback retries. */
  abortAll(): void {
    this.#shutdown.abort();
    clearInterval(this.#ticker);
    clearInterval(this.#waitTicker);
    for (const run of this.#running) run.cancellation.force();
  }

  /**
   * Claims queued runs while this runner has room (the store picks the
   * oldest whose stack nobody runs). Calls made while a pass runs share the
   * next one, so a dispatch's own run is claimed before it is answered.
   */
  #pump(): Promise<void> {
    if (this.#nextPass) return this.#nextPass;
    const pass = this.#passes.then(async () => {
      this.#nextPass = undefined;
      // A draining runner starts nothing more: what is queued waits in the store.
      while (!this.#draining && this.#running.size < this.#config.concurrency) {
        const claimed = await this.#store.claim(this.#owner, this.#config.leaseTtlMs);
        if (!claimed) break;
        this.#start(this.#adopt(claimed));
      }
    });
    const settled = pass.catch((error: Error) => this.#log("error", "could not claim runs", { error: error.message }));
    this.#nextPass = settled;
    this.#passes = settled;
    return settled;
  }

  #start(run: Run): void {
    this.#running.add(run);
    void this.#execute(run).finally(() => {
      this.#running.delete(run);
      void this.#pump();
    });
  }

  async #execute(run: Run): Promise<void> {
    const runId = run.dispatch.runId;
    this.#log("info", run.resume ? "run resumed" : "run started", { runId, ...(run.resume ? { step: run.resume.suspension.waitingFor.step } : {}) });
    const result: RunResult = await this.#executor.execute(run.dispatch, run.cancellation, run.resume).catch((error: Error): RunResult => {
      const why = run.cancellation.canceled ? run.cancellation.reason : error.message;
      return { status: run.cancellation.canceled ? "canceled" : "failed", exitCode: null, error: why, summary: why, logTail: "" };
    });
    if (result.status === "waiting" && result.suspension) return this.#suspend(run, result.suspension, result.logTail);
    const redactor = this.#redactor.with(run.dispatch.callbackToken, ...secretAnswers(run));
    const hide = (text: string | null) => (text === null ? null : redactor.redact(text));
    if (result.status === "waiting") result.status = "failed";
    await this.#complete(run, { status: result.status, exitCode: result.exitCode, error: hide(result.error) }, hide(result.summary), redactor.redact(result.logTail));
  }

  /**
   * A run that suspended at a prompt: stored waiting (it holds no process
   * and no slot, only its stack), dropped from this runner, and its
   * dispatch's `notifyUrl` told (best effort: the callback is for final
   * results only).
   */
  async #suspend(run: Run, suspension: Suspension, logTail: string): Promise<void> {
    const runId = run.state.runId;
    // The wait is timed from now, by this runner's clock: the `since` in the record is the run's writing.
    const stored: Suspension = { ...suspension, waitingFor: { ...suspension.waitingFor, since: new Date().toISOString() } };
    let held: boolean;
    try {
      held = !run.leaseLost && await this.#store.suspend(runId, this.#owner, stored);
    } catch (error) {
      // Still running in the store, and no process left to end it: it fails here, called back, rather than stay running for good.
      const why = `the run waited at step "${suspension.waitingFor.step}", but the runner could not store it waiting (${(error as Error).message})`;
      this.#log("error", "could not store a waiting run", { runId, error: (error as Error).message });
      const redactor = this.#redactor.with(run.dispatch.callbackToken);
      return this.#complete(run, { status: "failed", exitCode: null, error: redactor.redact(why) }, redactor.redact(why), redactor.redact(logTail));
    }
    this.#local.delete(runId);
    if (!held) {
      this.#log("warn", "waiting run not stored: another runner took the run over", { runId });
      run.finish();
      return;
    }
    const waitingFor = shownWaitingFor(stored.waitingFor);
    Object.assign(run.state, { status: "waiting", waitingFor });
    this.#metrics.suspended();
    this.#log("info", "run waiting for an answer", { runId, step: waitingFor.step, type: waitingFor.type, timeout: formatDuration(this.#config.waitTimeoutMs) });
    const notifyUrl = run.dispatch.notifyUrl;
    if (notifyUrl) {
      const notice: WaitingNotice = { runId, status: "waiting", workflow: run.state.workflow, stack: run.state.stack, waitingFor };
      const outcome = await sendCallback(notifyUrl, run.dispatch.callbackToken, notice, {
        allowHosts: this.#config.callbackAllowHosts,
        attempts: this.#config.callbackAttempts,
        baseDelayMs: this.#config.callbackBaseDelayMs,
        signal: this.#shutdown.signal,
        log: (message, fields) => this.#log("warn", `waiting notice: ${message}`, { runId, ...fields }),
      });
      this.#log(outcome.delivered ? "info" : "warn", outcome.delivered ? "waiting notice delivered" : "waiting notice not delivered", { runId, attempts: outcome.attempts, status: outcome.status ?? null, error: outcome.error ?? null });
    }
    run.finish();
  }

  /** Stops (within `graceSeconds`) and removes the run's containers and network; logs `message` with what went. */
  #reap(runId: string, graceSeconds: number, message: string): Promise<void> {
    return this.#executor.reap(runId, graceSeconds, message);
  }

  /**
   * Stores a run's final state, then calls back; the log shows `summary`
   * (the error without the failing step's own words).
   */
  async #complete(run: Run, final: { status: FinalStatus; exitCode: number | null; error: string | null }, summary: string | null, logTail: string): Promise<void> {
    const { status, exitCode, error } = final;
    // The final state is stored before the callback: a runner killed while calling back sends it at its next start.
    const held = await this.#store.finish(run.state.runId, this.#owner, final).catch((e: Error) => {
      this.#log("error", "could not store a final state", { runId: run.state.runId, error: e.message });
      return true; // the callback still goes out: the store is behind, the orchestrator need not be
    });
    if (!held || run.leaseLost) {
      // Another runner reported this run lost and called back: one callback per final state, and it was theirs.
      this.#log("warn", "run result not reported: another runner took the run over", { runId: run.state.runId, status });
      this.#local.delete(run.state.runId);
      run.finish();
      return;
    }
    const finishedAt = new Date();
    Object.assign(run.state, { status, exitCode, error, finishedAt: finishedAt.toISOString() });
    const started = run.state.startedAt ? Date.parse(run.state.startedAt) : finishedAt.getTime();
    const durationMs = finishedAt.getTime() - started;
    this.#metrics.finished(status, durationMs / 1000);
    this.#log(status === "succeeded" ? "info" : "warn", "run finished", { runId: run.state.runId, status, exitCode, durationMs, error: summary });
    await this.#deliver(run, logTail);
  }

  /** Sends a final run's callback and stores how that went. */
  async #deliver(run: Run, logTail = ""): Promise<void> {
    const { status, exitCode, error } = run.state as RunState & { status: FinalStatus };
    const finishedAt = run.state.finishedAt ?? new Date().toISOString();
    const durationMs = Date.parse(finishedAt) - Date.parse(run.state.startedAt ?? finishedAt);
    const payload: CallbackPayload = {
      runId: run.state.runId, status, exitCode, startedAt: run.state.startedAt, finishedAt, durationMs, error, logTail,
    };
    const outcome = await sendCallback(run.dispatch.callbackUrl, run.dispatch.callbackToken, payload, {
      allowHosts: this.#config.callbackAllowHosts,
      attempts: this.#config.callbackAttempts,
      baseDelayMs: this.#config.callbackBaseDelayMs,
      signal: this.#shutdown.signal,
      log: (message, fields) => this.#log("warn", message, { runId: run.state.runId, ...fields }),
    });
    if (outcome.stopped) {
      // Shutdown stopped the retries, not the receiver: the callback stays in the store's outbox, sent at the next start (or by another runner).
      await this.#store.abandonCallback(run.state.runId).catch((e: Error) => this.#log("error", "could not keep a callback for the next start", { runId: run.state.runId, error: e.message }));
      this.#local.delete(run.state.runId);
      this.#log("warn", "callback left for the next start: shutdown stopped its retries", { runId: run.state.runId, attempts: outcome.attempts, status: outcome.status ?? null, error: outcome.error ?? null });
      run.finish();
      return;
    }
    run.state.callback = outcome;
    await this.#store.delivered(run.state.runId, outcome).catch((e: Error) => this.#log("error", "could not store a callback's outcome", { runId: run.state.runId, error: e.message }));
    this.#local.delete(run.state.runId);
    // Final runs past the retention are forgotten as runs finish, at most once a minute.
    if (Date.now() - this.#prunedAt > 60_000) void this.#prune().catch(() => {});
    this.#log(outcome.delivered ? "info" : "error", outcome.delivered ? "callback delivered" : "callback not delivered", {
      runId: run.state.runId, attempts: outcome.attempts, status: outcome.status ?? null, error: outcome.error ?? null,
    });
    run.finish();
  }
}
