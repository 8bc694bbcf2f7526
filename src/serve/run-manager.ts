/**
 * Runs of dispatched workflows: a bounded queue, a concurrency limit, no
 * two runs of the same stack at once, each run in its own temp dir that is
 * always removed, and a callback when it ends.
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
import { cloneRepository, prepareRunDirs } from "./git-clone.ts";
import type { Log } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { Redactor } from "./redact.ts";
import { EXIT_OK } from "../exit-codes.ts";

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

/** How much output a callback carries. */
export const LOG_TAIL_BYTES = 16 * 1024;
/** Environment variables passed from the runner to a run; everything else is withheld. */
const PASSED_ENV = ["PATH", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONFIG", "ATMOS_BIN", "TZ", "LANG", "LC_ALL"];
/** Run dirs are `<tmp>/muster-run-<runner pid>-XXXXXX`, so a later runner can sweep a killed one's. */
const RUN_DIR_PREFIX = "muster-run-";

/**
 * Removes run dirs left by runners that no longer exist (a `kill -9`).
 * Returns the paths removed.
 */
export async function sweepStaleRunDirs(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const match = new RegExp(`^${RUN_DIR_PREFIX}(\\d+)-`).exec(name);
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
  #queue: Run[] = [];
  #running = new Set<Run>();
  #busyStacks = new Set<string>();
  #draining = false;

  constructor(config: ServeConfig, log: Log, metrics: Metrics, redactor: Redactor) {
    this.#config = config;
    this.#log = log;
    this.#metrics = metrics;
    this.#redactor = redactor;
  }

  get queued(): number {
    return this.#queue.length;
  }
  get running(): number {
    return this.#running.size;
  }
  get draining(): boolean {
    return this.#draining;
  }

  /** A run's state, if known. */
  get(runId: string): RunState | undefined {
    return this.#runs.get(runId)?.state;
  }

  /**
   * Queues a dispatch. A known runId returns the existing run and starts nothing.
   */
  submit(dispatch: Dispatch): { kind: "queued" | "existing"; state: RunState } | { kind: "conflict"; field: string; state: RunState } | { kind: "full" } {
    const existing = this.#runs.get(dispatch.runId);
    if (existing) {
      // A retried dispatch gets the run it started; another request under the same id is a conflict, not that run.
      const field = differingField(existing.dispatch, dispatch);
      return field ? { kind: "conflict", field, state: existing.state } : { kind: "existing", state: existing.state };
    }
    if (this.#queue.length >= this.#config.queueSize && this.#running.size >= this.#config.concurrency) return { kind: "full" };
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const run: Run = {
      dispatch,
      cancellation: new Cancellation(),
      done,
      finish,
      state: {
        runId: dispatch.runId, status: "queued", workflow: dispatch.workflow, stack: dispatch.stack ?? null,
        createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, exitCode: null, error: null, callback: null,
      },
    };
    this.#runs.set(dispatch.runId, run);
    this.#forgetOldRuns();
    this.#queue.push(run);
    this.#log("info", "run queued", { runId: dispatch.runId, workflow: dispatch.workflow, stack: dispatch.stack ?? null });
    this.#pump();
    return { kind: "queued", state: run.state };
  }

  /** Cancels a queued or running run; returns its state, or undefined when unknown. */
  cancel(runId: string, reason = "canceled by request"): RunState | undefined {
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    if (run.state.status === "queued") {
      this.#queue = this.#queue.filter((r) => r !== run);
      void this.#complete(run, "canceled", null, reason, "");
    } else if (run.state.status === "running") {
      run.cancellation.cancel("SIGTERM", reason);
    }
    return run.state;
  }

  /**
   * Stops accepting work: queued runs are canceled, running ones may finish
   * within `graceMs`, then they are canceled; resolves when all callbacks are sent.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    for (const run of [...this.#queue]) this.cancel(run.state.runId, "runner shutting down");
    const all = () => Promise.all([...this.#running].map((r) => r.done));
    const inTime = await Promise.race([all().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    if (!inTime) for (const run of this.#running) run.cancellation.cancel("SIGTERM", "runner shutting down");
    await all();
    await Promise.all([...this.#runs.values()].map((r) => r.done));
  }

  #forgetOldRuns(): void {
    if (this.#runs.size <= REMEMBERED_RUNS) return;
    for (const [id, run] of this.#runs) {
      if (this.#runs.size <= REMEMBERED_RUNS) break;
      if (run.state.finishedAt) this.#runs.delete(id);
    }
  }

  /** Starts queued runs while there is room, never two of the same stack. */
  #pump(): void {
    for (let i = 0; i < this.#queue.length && this.#running.size < this.#config.concurrency; ) {
      const run = this.#queue[i]!;
      const stack = run.dispatch.stack;
      if (stack !== undefined && this.#busyStacks.has(stack)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#running.add(run);
      if (stack !== undefined) this.#busyStacks.add(stack);
      void this.#execute(run).finally(() => {
        this.#running.delete(run);
        if (stack !== undefined) this.#busyStacks.delete(stack);
        this.#pump();
      });
    }
  }

  async #execute(run: Run): Promise<void> {
    const { dispatch } = run;
    const runId = dispatch.runId;
    run.state.status = "running";
    run.state.startedAt = new Date().toISOString();
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
      const argv = [
        ...platform.selfCommand(), "workflow", dispatch.workflow, "-C", dirs.checkout,
        ...(dispatch.file ? ["-f", dispatch.file] : []),
        ...(dispatch.stack ? ["-s", dispatch.stack] : []),
        ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}=${v}`]),
      ];
      const env: Record<string, string> = { HOME: dirs.home, TMPDIR: dirs.tmp, NO_COLOR: "1", MUSTER_RUN_ID: runId };
      const own = platform.env();
      for (const key of PASSED_ENV) if (own[key]) env[key] = own[key]!;
      for (const [k, v] of Object.entries(vars)) env[`MUSTER_VAR_${k}`] = v;
      const outcome = await runProcess(argv, {
        env, cwd: dirs.checkout, stdin: "null", stdout: keep, stderr: keep, graceMs: 10_000, cancellation: run.cancellation,
      });
      exitCode = outcome.code;
      if (run.cancellation.canceled) {
        status = "canceled";
        error = run.cancellation.reason;
      } else if (outcome.code === EXIT_OK) status = "succeeded";
      else error = `workflow "${dispatch.workflow}" exited with code ${outcome.code}`;
    } catch (err) {
      status = run.cancellation.canceled ? "canceled" : "failed";
      error = run.cancellation.canceled ? run.cancellation.reason : (err as Error).message;
    } finally {
      // rm does not follow symlinks: a link in the checkout is removed, not its target.
      if (root) await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch((e: Error) => this.#log("error", "could not remove run dir", { runId, error: e.message }));
    }
    const logTail = redactor.redact(decoder.decode(output.tail()));
    await this.#complete(run, status, exitCode, error ? redactor.redact(error) : null, logTail);
  }

  async #complete(run: Run, status: "succeeded" | "failed" | "canceled", exitCode: number | null, error: string | null, logTail: string): Promise<void> {
    const finishedAt = new Date();
    Object.assign(run.state, { status, exitCode, error, finishedAt: finishedAt.toISOString() });
    const started = run.state.startedAt ? Date.parse(run.state.startedAt) : finishedAt.getTime();
    const durationMs = finishedAt.getTime() - started;
    this.#metrics.finished(status, durationMs / 1000);
    this.#log(status === "succeeded" ? "info" : "warn", "run finished", { runId: run.state.runId, status, exitCode, durationMs, error });
    const payload: CallbackPayload = {
      runId: run.state.runId, status, exitCode, startedAt: run.state.startedAt, finishedAt: run.state.finishedAt!, durationMs, error, logTail,
    };
    const outcome = await sendCallback(run.dispatch.callbackUrl, run.dispatch.callbackToken, payload, {
      allowHosts: this.#config.callbackAllowHosts,
      attempts: this.#config.callbackAttempts,
      baseDelayMs: this.#config.callbackBaseDelayMs,
      log: (message, fields) => this.#log("warn", message, { runId: run.state.runId, ...fields }),
    });
    run.state.callback = outcome;
    this.#log(outcome.delivered ? "info" : "error", outcome.delivered ? "callback delivered" : "callback not delivered", {
      runId: run.state.runId, attempts: outcome.attempts, status: outcome.status ?? null, error: outcome.error ?? null,
    });
    run.finish();
  }
}
