/**
 * Runs of dispatched workflows: a bounded queue, a concurrency limit, no
 * two runs of the same stack at once, each run in its own temp dir that is
 * always removed, and a callback when it ends. Every change of a run's
 * state is written to the {@linkcode RunStore} first, so that a restarted
 * runner knows its runs (see `recover`).
 * @module
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessGone } from "../docker/owner.ts";
import { Cancellation } from "../engine/cancellation.ts";
import { runProcess } from "../engine/run-process.ts";
import { OutputCapture } from "../output/capture.ts";
import { platform } from "../platform/index.ts";
import { sendCallback, type CallbackOutcome, type CallbackPayload } from "./callback.ts";
import type { ServeConfig } from "./config.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import { cloneRepository, prepareRunDirs, SECRETS_DIR_PREFIX } from "./git-clone.ts";
import { runIsolated, WORKSPACE } from "./isolated-run.ts";
import type { Log } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { Redactor } from "./redact.ts";
import type { RunStore, StoredRun } from "./run-store.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { formatDuration, parseDuration } from "../workflow/duration.ts";

/** A run's lifecycle. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";

/** What `GET /runs/:id` shows. */
export interface RunState {
  runId: string;
  status: RunStatus;
  workflow: string;
  stack: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  error: string | null;
  callback: CallbackOutcome | null;
}

interface Run {
  dispatch: Dispatch;
  state: RunState;
  cancellation: Cancellation;
  done: Promise<void>;
  finish: () => void;
}

/** A run in memory, in `state`: `done` resolves once its callback has been dealt with. */
function newRun(dispatch: Dispatch, state: RunState): Run {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { dispatch, state, cancellation: new Cancellation(), done, finish };
}

/** How much output a callback carries. */
export const LOG_TAIL_BYTES = 16 * 1024;
/** Environment variables passed from the runner to a run; everything else is withheld. */
const PASSED_ENV = [
  "PATH", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONFIG", "ATMOS_BIN", "TZ", "LANG", "LC_ALL",
  // The administrator's allowances for container steps (runs are always restricted: MUSTER_CONFINE).
  "MUSTER_ALLOW_HOST_MOUNTS", "MUSTER_ALLOW_DOCKER_SOCKET",
];
/** Run dirs are `<tmp>/muster-run-<runner pid>-XXXXXX`, so a later runner can sweep a killed one's. */
const RUN_DIR_PREFIX = "muster-run-";

/**
 * Removes run dirs left by runners that no longer exist (a `kill -9`).
 * Returns the paths removed.
 */
export async function sweepStaleRunDirs(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const match = new RegExp(`^(?:${RUN_DIR_PREFIX}|${SECRETS_DIR_PREFIX})(\\d+)-`).exec(name);
    if (!match || Number(match[1]) === platform.pid) continue;
    if (!isProcessGone(Number(match[1]))) continue; // its runner is alive
    await rm(join(tmpdir(), name), { recursive: true, force: true });
    removed.push(join(tmpdir(), name));
  }
  return removed;
}

/** The first of workflow, file, stack, vars in which two dispatches differ. */
function differingField(a: Dispatch, b: Dispatch): string | undefined {
  if (a.workflow !== b.workflow) return "workflow";
  if ((a.file ?? "") !== (b.file ?? "")) return "file";
  if ((a.stack ?? "") !== (b.stack ?? "")) return "stack";
  const vars = (d: Dispatch) => JSON.stringify(Object.entries(d.vars ?? {}).sort(([x], [y]) => (x < y ? -1 : 1)));
  if (vars(a) !== vars(b)) return "vars";
  return undefined;
}

/**
 * Why a run's muster failed, in its own words: its last `muster: ...` error
 * (a workflow not found, an invalid file), else its `✗ workflow ... failed
 * at step ...` line; undefined when the output says neither.
 */
export function reasonOf(output: string): string | undefined {
  const lines = output.split("\n").map((line) => line.trim());
  const error = lines.findLast((line) => line.startsWith("muster: "));
  if (error) return error.slice("muster: ".length);
  return lines.findLast((line) => /^✗ workflow .+ failed/.test(line))?.slice(2);
}

/** The queue a dispatch waits in: its stack's, or one of its own. */
const keyOf = (dispatch: Dispatch) => (dispatch.stack !== undefined ? `stack:${dispatch.stack}` : `run:${dispatch.runId}`);

/** Finished runs remembered for duplicate detection and status queries. */
const REMEMBERED_RUNS = 10_000;

const decoder = new TextDecoder();

/** The runs of one server. */
export class RunManager {
  #config: ServeConfig;
  #log: Log;
  #metrics: Metrics;
  #redactor: Redactor;
  #runs = new Map<string, Run>();
  /** Queued runs by stack (a run without a stack is its own key): FIFO within a stack. */
  #waiting = new Map<string, Run[]>();
  /** Keys with queued runs whose stack is not running, in the order they became ready. */
  #ready = new Set<string>();
  #queued = 0;
  #running = new Set<Run>();
  #busyStacks = new Set<string>();
  /** Finished runs in the order they finished, the oldest forgotten first. */
  #finished: string[] = [];
  #draining = false;
  /** Aborts callback retries once shutdown has used its budget. */
  #shutdown = new AbortController();
  #store: RunStore;

  constructor(config: ServeConfig, log: Log, metrics: Metrics, redactor: Redactor, store: RunStore) {
    this.#config = config;
    this.#log = log;
    this.#metrics = metrics;
    this.#redactor = redactor;
    this.#store = store;
  }

  /**
   * Takes up what the store holds from an earlier runner: runs it left
   * running are failed ("runner lost while running") and called back,
   * queued runs are queued again in their order (bounds do not apply: they
   * were admitted), final runs whose callback was never sent get it now.
   * Final runs past the retention are forgotten.
   */
  recover(): { lost: number; requeued: number; redelivered: number } {
    const counts = { lost: 0, requeued: 0, redelivered: 0 };
    // Read before the lost runs are failed below: their callbacks go out once, from #complete.
    const undelivered = this.#store.undelivered();
    for (const stored of this.#store.unfinished()) {
      const run = this.#restore(stored);
      if (stored.state.status === "running") {
        counts.lost++;
        this.#log("warn", "run lost: its runner stopped while it ran", { runId: stored.state.runId });
        void this.#complete(run, "failed", null, "runner lost while running", "");
      } else {
        counts.requeued++;
        this.#enqueue(run);
        this.#log("info", "run queued again after a restart", { runId: stored.state.runId });
      }
    }
    for (const stored of undelivered) {
      counts.redelivered++;
      void this.#deliver(this.#restore(stored));
    }
    this.#prune();
    this.#pump();
    return counts;
  }

  /** A stored run back in memory. */
  #restore(stored: StoredRun): Run {
    const run = newRun(stored.dispatch, { ...stored.state });
    this.#runs.set(stored.state.runId, run);
    return run;
  }

  #prune(): void {
    const removed = this.#store.prune(new Date(Date.now() - this.#config.runRetentionMs).toISOString());
    if (removed > 0) this.#log("info", "forgot finished runs past the retention", { runs: removed });
  }

  get queued(): number {
    return this.#queued;
  }
  get running(): number {
    return this.#running.size;
  }
  get draining(): boolean {
    return this.#draining;
  }

  /** A run's state, if known (in memory, else in the store). */
  get(runId: string): RunState | undefined {
    return this.#runs.get(runId)?.state ?? this.#store.find(runId)?.state;
  }

  /**
   * Queues a dispatch. A known runId returns the existing run and starts nothing.
   */
  submit(dispatch: Dispatch): { kind: "queued" | "existing"; state: RunState } | { kind: "conflict"; field: string; state: RunState } | { kind: "full"; why: string } {
    const existing = this.#runs.get(dispatch.runId) ?? this.#store.find(dispatch.runId);
    if (existing) {
      // A retried dispatch gets the run it started; another request under the same id is a conflict, not that run.
      const field = differingField(existing.dispatch, dispatch);
      return field ? { kind: "conflict", field, state: existing.state } : { kind: "existing", state: existing.state };
    }
    // The bound holds whatever the queued runs wait for (a busy stack included): a burst is refused, not buffered.
    const key = keyOf(dispatch);
    const free = this.#running.size < this.#config.concurrency && !(dispatch.stack !== undefined && this.#busyStacks.has(dispatch.stack));
    if (!free && this.#queued >= this.#config.queueSize) return { kind: "full", why: "the queue is full" };
    if (!free && (this.#waiting.get(key)?.length ?? 0) >= this.#config.queuePerStack) return { kind: "full", why: `stack ${JSON.stringify(dispatch.stack)} has ${this.#config.queuePerStack} queued runs (MUSTER_QUEUE_PER_STACK)` };
    const run = newRun(dispatch, {
      runId: dispatch.runId, status: "queued", workflow: dispatch.workflow, stack: dispatch.stack ?? null,
      createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, exitCode: null, error: null, callback: null,
    });
    // Committed before the 202: a runner killed from here on still knows the run.
    this.#store.admit({ dispatch, state: run.state });
    this.#runs.set(dispatch.runId, run);
    this.#enqueue(run);
    this.#log("info", "run queued", { runId: dispatch.runId, workflow: dispatch.workflow, stack: dispatch.stack ?? null });
    this.#pump();
    return { kind: "queued", state: run.state };
  }

  /** Cancels a queued or running run; returns its state, or undefined when unknown. */
  cancel(runId: string, reason = "canceled by request"): RunState | undefined {
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    if (run.state.status === "queued") {
      this.#dequeue(run);
      void this.#complete(run, "canceled", null, reason, "");
    } else if (run.state.status === "running") {
      run.cancellation.cancel("SIGTERM", reason);
    }
    return run.state;
  }

  /**
   * Stops accepting work: queued runs stay queued in the store (the next
   * start runs them), running ones may finish within `graceMs`, then they
   * are canceled; resolves when all callbacks are sent.
   */
  async drain(graceMs: number, callbackBudgetMs = 20_000): Promise<void> {
    this.#draining = true;
    if (this.#queued > 0) this.#log("info", "queued runs stay queued for the next start", { queued: this.#queued });
    const all = () => Promise.all([...this.#running].map((r) => r.done));
    const inTime = await Promise.race([all().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    if (!inTime) for (const run of this.#running) run.cancellation.cancel("SIGTERM", "runner shutting down");
    // Callbacks get a budget of their own after the grace; past it, retries stop and shutdown ends.
    const budget = setTimeout(() => this.#shutdown.abort(), callbackBudgetMs);
    await Promise.all([...this.#runs.values()].filter((r) => r.state.status !== "queued").map((r) => r.done));
    clearTimeout(budget);
  }

  /** Kills every running run's processes at once (a second SIGTERM) and stops callback retries. */
  abortAll(): void {
    this.#shutdown.abort();
    for (const run of this.#running) run.cancellation.force();
  }

  #enqueue(run: Run): void {
    const key = keyOf(run.dispatch);
    const queue = this.#waiting.get(key);
    if (queue) queue.push(run);
    else this.#waiting.set(key, [run]);
    this.#queued++;
    if (!(run.dispatch.stack !== undefined && this.#busyStacks.has(run.dispatch.stack))) this.#ready.add(key);
  }

  #dequeue(run: Run): void {
    const key = keyOf(run.dispatch);
    const queue = this.#waiting.get(key);
    const at = queue?.indexOf(run) ?? -1;
    if (!queue || at < 0) return;
    queue.splice(at, 1);
    this.#queued--;
    if (queue.length === 0) {
      this.#waiting.delete(key);
      this.#ready.delete(key);
    }
  }

  #remember(runId: string): void {
    this.#prune();
    this.#finished.push(runId);
    while (this.#finished.length > REMEMBERED_RUNS) this.#runs.delete(this.#finished.shift()!);
  }

  /** Starts queued runs while there is room, never two of the same stack: the first ready stack's oldest run first. */
  #pump(): void {
    // A draining runner starts nothing more: what is queued waits in the store for the next start.
    if (this.#draining) return;
    while (this.#running.size < this.#config.concurrency && this.#ready.size > 0) {
      const key = this.#ready.values().next().value!;
      this.#ready.delete(key);
      const queue = this.#waiting.get(key)!;
      const run = queue.shift()!;
      this.#queued--;
      if (queue.length === 0) this.#waiting.delete(key);
      const stack = run.dispatch.stack;
      this.#running.add(run);
      if (stack !== undefined) this.#busyStacks.add(stack);
      void this.#execute(run).finally(() => {
        this.#running.delete(run);
        if (stack !== undefined) {
          this.#busyStacks.delete(stack);
          if (this.#waiting.has(key)) this.#ready.add(key);
        }
        this.#pump();
      });
    }
  }

  async #execute(run: Run): Promise<void> {
    const { dispatch } = run;
    const runId = dispatch.runId;
    run.state.status = "running";
    run.state.startedAt = new Date().toISOString();
    this.#store.update(runId, { status: "running", startedAt: run.state.startedAt });
    this.#log("info", "run started", { runId });
    const redactor = this.#redactor.with(dispatch.callbackToken);
    let root: string | undefined;
    const output = new OutputCapture({ keepAll: false, tailBytes: LOG_TAIL_BYTES });
    const keep = (chunk: Uint8Array) => output.append(1, chunk);
    let status: "succeeded" | "failed" | "canceled" = "failed";
    let exitCode: number | null = null;
    let error: string | null = null;
    try {
      root = await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${platform.pid}-`));
      const dirs = await prepareRunDirs(root);
      await cloneRepository(this.#config, dirs, run.cancellation);
      const vars = dispatch.vars ?? {};
      const isolated = this.#config.runIsolation === "container";
      const args = [
        "workflow", dispatch.workflow, "-C", isolated ? WORKSPACE : dirs.checkout,
        ...(dispatch.file ? ["-f", dispatch.file] : []),
        ...(dispatch.stack ? ["-s", dispatch.stack] : []),
        ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}=${v}`]),
      ];
      // MUSTER_CONFINE: atmos.yaml, workflow files and their base paths must lie inside the checkout (symlinks out are refused).
      const env: Record<string, string> = { HOME: dirs.home, TMPDIR: dirs.tmp, NO_COLOR: "1", MUSTER_RUN_ID: runId, MUSTER_CONFINE: dirs.checkout };
      const own = platform.env();
      for (const key of PASSED_ENV) if (own[key]) env[key] = own[key]!;
      for (const [k, v] of Object.entries(vars)) env[`MUSTER_VAR_${k}`] = v;
      const timeoutMs = Math.min(dispatch.timeout ? parseDuration(dispatch.timeout)! : this.#config.runTimeoutMs, this.#config.runTimeoutMaxMs);
      // A canceled run tears its services down: the grace outlasts a service's stop_timeout (MUSTER_CANCEL_GRACE).
      const outcome = isolated
        ? await runIsolated(this.#config, { runId, args, checkout: dirs.checkout, env: { ...env, PATH: "/usr/local/bin:/usr/bin:/bin" }, timeoutMs, cancellation: run.cancellation, output: keep })
        : await runProcess([...platform.selfCommand(), ...args], {
          env, cwd: dirs.checkout, stdin: "null", stdout: keep, stderr: keep, graceMs: this.#config.cancelGraceMs, cancellation: run.cancellation, timeoutMs,
        });
      exitCode = outcome.code;
      if (outcome.timedOut) {
        error = `run timed out after ${formatDuration(timeoutMs)} (${dispatch.timeout ? "the dispatch's timeout" : "MUSTER_RUN_TIMEOUT"})`;
      } else if (run.cancellation.canceled) {
        status = "canceled";
        error = run.cancellation.reason;
      } else if (outcome.code === EXIT_OK) status = "succeeded";
      else error = reasonOf(decoder.decode(output.tail())) ?? `workflow "${dispatch.workflow}" exited with code ${outcome.code}`;
    } catch (err) {
      status = run.cancellation.canceled ? "canceled" : "failed";
      error = run.cancellation.canceled ? run.cancellation.reason : (err as Error).message;
    } finally {
      // A run killed during its teardown (cancel past the grace, a second SIGTERM) may leave containers: the runner removes them.
      await this.#removeLeftContainers(runId);
      // rm does not follow symlinks: a link in the checkout is removed, not its target.
      if (root) await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch((e: Error) => this.#log("error", "could not remove run dir", { runId, error: e.message }));
    }
    const logTail = redactor.redact(decoder.decode(output.tail()));
    await this.#complete(run, status, exitCode, error ? redactor.redact(error) : null, logTail);
  }

  /** The engine, connected once (a runner without one tries again at the next run). */
  #docker?: import("../docker/client.ts").DockerClient;

  async #removeLeftContainers(runId: string): Promise<void> {
    try {
      const { DockerClient } = await import("../docker/client.ts");
      const { LABELS } = await import("../docker/owner.ts");
      const docker = (this.#docker ??= await DockerClient.connect(platform.env()));
      for (const container of await docker.listContainers([`${LABELS.dispatch}=${runId}`])) {
        await docker.removeContainer(container.Id, { force: true });
        this.#log("warn", "removed a container the run left", { runId, container: container.Names[0] ?? container.Id });
      }
    } catch {
      // No engine here (a runner without container steps): nothing can have been left.
    }
  }

  async #complete(run: Run, status: "succeeded" | "failed" | "canceled", exitCode: number | null, error: string | null, logTail: string): Promise<void> {
    const finishedAt = new Date();
    Object.assign(run.state, { status, exitCode, error, finishedAt: finishedAt.toISOString() });
    // The final state is stored before the callback: a runner killed while calling back sends it at its next start.
    this.#store.update(run.state.runId, { status, exitCode, error, finishedAt: run.state.finishedAt });
    const started = run.state.startedAt ? Date.parse(run.state.startedAt) : finishedAt.getTime();
    const durationMs = finishedAt.getTime() - started;
    this.#metrics.finished(status, durationMs / 1000);
    this.#log(status === "succeeded" ? "info" : "warn", "run finished", { runId: run.state.runId, status, exitCode, durationMs, error });
    await this.#deliver(run, logTail);
  }

  /** Sends a final run's callback and stores how that went. */
  async #deliver(run: Run, logTail = ""): Promise<void> {
    const { status, exitCode, error } = run.state as RunState & { status: "succeeded" | "failed" | "canceled" };
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
    run.state.callback = outcome;
    this.#store.update(run.state.runId, { callback: outcome });
    this.#remember(run.state.runId);
    this.#log(outcome.delivered ? "info" : "error", outcome.delivered ? "callback delivered" : "callback not delivered", {
      runId: run.state.runId, attempts: outcome.attempts, status: outcome.status ?? null, error: outcome.error ?? null,
    });
    run.finish();
  }
}
