/**
 * Executing one dispatched run, start to end: its temp dir (always
 * removed), the clone, the child `muster workflow`'s argv and environment,
 * host (sandboxed) or container isolation, and its outcome, read from the
 * NDJSON events the child writes with `--events` (run-report.ts). What the
 * run left on the engine is removed here too. Queueing, leases, cancel
 * requests and callbacks are the {@linkcode RunManager}'s.
 * @module
 */
import { closeSync, constants, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cancellation } from "../engine/cancellation.ts";
import { runProcess } from "../engine/run-process.ts";
import { OutputCapture } from "../output/capture.ts";
import { platform } from "../platform/index.ts";
import { ENGINE_ALLOWANCES } from "../docker/engine-policy.ts";
import { formatDuration, parseDuration } from "../workflow/duration.ts";
import { EXIT_WAITING } from "../exit-codes.ts";
import type { ServeConfig } from "./config.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import { cloneRepository, prepareRunDirs } from "./git-clone.ts";
import { CONTAINER_EVENTS, CONTAINER_JOURNAL, eventsReachRun, runIsolated, WORKSPACE } from "./isolated-run.ts";
import type { Log } from "./log.ts";
import { RUN_DIR_PREFIX, runDirTag } from "./run-dir-lock.ts";
import type { FinalStatus, Suspension } from "./run-record.ts";
import { JOURNAL_DIR, makeJournalDir, readSuspension, restoreJournal } from "./suspended-run.ts";
import { EVENTS_FILE, readRunReport, startErrorOf, verdictOf } from "./run-report.ts";
import type { RunIdentity, RunSandbox } from "./run-sandbox.ts";

/** How much output a callback carries. */
export const LOG_TAIL_BYTES = 16 * 1024;

/** Environment variables passed from the runner to a run; everything else is withheld. */
const PASSED_ENV = [
  "PATH", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONFIG", "ATMOS_BIN", "TZ", "LANG", "LC_ALL",
  // The administrator's allowances for container steps (runs are always restricted: MUSTER_CONFINE).
  "MUSTER_ALLOW_HOST_MOUNTS", "MUSTER_ALLOW_DOCKER_SOCKET", ...ENGINE_ALLOWANCES,
];

/** How a run ended (or suspended at a prompt), unredacted: the manager redacts before it stores, logs or calls back. */
export interface RunResult {
  status: FinalStatus | "waiting";
  /** A `waiting` run's: what it needs to go on. */
  suspension?: Suspension;
  exitCode: number | null;
  /** Why it did not succeed (with the failing step's own reason), else null. */
  error: string | null;
  /** `error` without the failing step's own reason: what the runner's log shows. */
  summary: string | null;
  /** The last {@linkcode LOG_TAIL_BYTES} of its output. */
  logTail: string;
}

/** A run that suspended at a prompt and was answered: it continues from its journal record with these answers. */
export interface Resumption {
  suspension: Suspension;
  answers: Record<string, string>;
}

/** What runs a dispatch for the {@linkcode RunManager}. */
export interface RunExecutor {
  /**
   * Runs `dispatch` (under `resume`, continues it from where it suspended)
   * until it ends, suspends at a prompt (`waiting`) or `cancellation` stops
   * it; never throws (a failure is a result).
   */
  execute(dispatch: Dispatch, cancellation: Cancellation, resume?: Resumption): Promise<RunResult>;
  /** Stops (within `graceSeconds`) and removes what run `runId` left on the engine (a lost run's), logging `message` per container. */
  reap(runId: string, graceSeconds: number, message: string): Promise<void>;
}

const decoder = new TextDecoder();

/**
 * Creates the run's events file, empty and 0600, in its dir (which only the
 * runner may change): the run writes it (a root runner hands it to the run's
 * uid with the rest of the dir), and can never replace it with a link.
 */
function createEventsFile(root: string): string {
  const path = join(root, EVENTS_FILE);
  closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  return path;
}

/**
 * The executor of `muster serve`: each run in a fresh temp dir with its
 * own clone, as a child muster (sandboxed by {@linkcode RunSandbox}) or in
 * a container of its own (`MUSTER_RUN_ISOLATION=container`).
 *
 * @example
 * ```ts
 * const executor = new WorkspaceExecutor(config, log, sandbox);
 * const result = await executor.execute(dispatch, new Cancellation());
 * ```
 */
export class WorkspaceExecutor implements RunExecutor {
  #config: ServeConfig;
  #log: Log;
  /** What confines process-mode runs (run-sandbox.ts); none: runs run as this runner's user, unconfined. */
  #sandbox?: RunSandbox;
  /** The engine, connected once (a runner without one tries again at the next run). */
  #docker?: import("../docker/client.ts").DockerClient;

  constructor(config: ServeConfig, log: Log, sandbox?: RunSandbox) {
    this.#config = config;
    this.#log = log;
    this.#sandbox = sandbox;
  }

  async execute(dispatch: Dispatch, cancellation: Cancellation, resume?: Resumption): Promise<RunResult> {
    const runId = dispatch.runId;
    const output = new OutputCapture({ keepAll: false, tailBytes: LOG_TAIL_BYTES });
    const keep = (chunk: Uint8Array) => output.append(1, chunk);
    let result: Omit<RunResult, "logTail">;
    let root: string | undefined;
    let identity: RunIdentity | undefined;
    try {
      root = await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${runDirTag()}-`));
      const dirs = await prepareRunDirs(root);
      await cloneRepository(this.#config, dirs, cancellation);
      const isolated = this.#config.runIsolation === "container";
      const sandbox = isolated ? undefined : this.#sandbox;
      // Made before the hand-over, so that a root runner's run gets it with its dir; unused when the run's user could not open it.
      const useEvents = !isolated || eventsReachRun(this.#config.runLimits);
      const events = useEvents ? createEventsFile(dirs.root) : undefined;
      // The run's own journal (never its throwaway HOME's): a run that suspends at a prompt leaves its record there; a resumed one finds it there.
      const journal = makeJournalDir(dirs.root);
      const runCheckout = isolated ? WORKSPACE : (sandbox ? sandbox.view(dirs) : dirs).checkout;
      if (resume) restoreJournal(journal, resume.suspension, runCheckout);
      // A root runner's run gets a uid of its own and its dir; the run sees its dir where the sandbox binds it.
      identity = sandbox?.acquire();
      await sandbox?.hand(dirs, identity);
      const seen = sandbox ? sandbox.view(dirs) : dirs;
      // Vars never travel on argv (other local users read it): only as MUSTER_VAR_*, which MUSTER_VARS_FROM_ENV=1 makes the child take as --var.
      const args = [
        "workflow", dispatch.workflow, "-C", isolated ? WORKSPACE : seen.checkout,
        ...(dispatch.file ? ["-f", dispatch.file] : []),
        ...(dispatch.stack ? ["-s", dispatch.stack] : []),
        ...(events ? ["--events", isolated ? CONTAINER_EVENTS : join(seen.root, EVENTS_FILE)] : []),
        ...(resume ? [`--resume=${resume.suspension.journalId}`] : []),
      ];
      // MUSTER_CONFINE: atmos.yaml, workflow files and their base paths must lie inside the checkout (symlinks out are refused).
      const env: Record<string, string> = { HOME: seen.home, TMPDIR: seen.tmp, NO_COLOR: "1", MUSTER_RUN_ID: runId, MUSTER_CONFINE: seen.checkout, MUSTER_VARS_FROM_ENV: "1" };
      const own = platform.env();
      for (const key of PASSED_ENV) if (own[key]) env[key] = own[key]!;
      for (const [k, v] of Object.entries(dispatch.vars ?? {})) env[`MUSTER_VAR_${k}`] = v;
      // Prompts nothing answers suspend the run (an approval gate); answers travel in the environment, as vars do, never on argv.
      env.MUSTER_SUSPEND_AT_PROMPTS = "1";
      env.MUSTER_JOURNAL_DIR = isolated ? CONTAINER_JOURNAL : join(seen.root, JOURNAL_DIR);
      const answers = { ...(dispatch.answers ?? {}), ...(resume?.answers ?? {}) };
      if (Object.keys(answers).length > 0) env.MUSTER_ANSWERS = JSON.stringify(answers);
      const timeoutMs = Math.min(dispatch.timeout ? parseDuration(dispatch.timeout)! : this.#config.runTimeoutMs, this.#config.runTimeoutMaxMs);
      // A canceled run tears its services down: the grace outlasts a service's stop_timeout (MUSTER_CANCEL_GRACE).
      const outcome = isolated
        ? await runIsolated(this.#config, { runId, args, checkout: dirs.checkout, events, journal, env: { ...env, PATH: "/usr/local/bin:/usr/bin:/bin" }, timeoutMs, cancellation, output: keep })
        : await runProcess(sandbox ? sandbox.wrap([...platform.selfCommand(), ...args], dirs.root, identity) : [...platform.selfCommand(), ...args], {
          env, cwd: dirs.checkout, stdin: "null", stdout: keep, stderr: keep, graceMs: this.#config.cancelGraceMs, cancellation, timeoutMs,
        });
      if (outcome.timedOut) {
        const error = `run timed out after ${formatDuration(timeoutMs)} (${dispatch.timeout ? "the dispatch's timeout" : "MUSTER_RUN_TIMEOUT"})`;
        result = { status: "failed", exitCode: outcome.code, error, summary: error };
      } else if (cancellation.canceled) {
        result = { status: "canceled", exitCode: outcome.code, error: cancellation.reason, summary: cancellation.reason };
      } else if (outcome.code === EXIT_WAITING) {
        const found = readSuspension(journal, runCheckout);
        const why = typeof found === "string" ? `workflow ${dispatch.workflow} exited ${EXIT_WAITING} (waiting at a prompt), but ${found}` : null;
        result = typeof found === "string"
          ? { status: "failed", exitCode: outcome.code, error: why, summary: why }
          : { status: "waiting", exitCode: outcome.code, error: null, summary: null, suspension: found };
      } else {
        const report = events ? await readRunReport(events) : undefined;
        result = verdictOf(dispatch.workflow, outcome.code, report, report?.end ? undefined : startErrorOf(decoder.decode(output.tail())));
      }
    } catch (err) {
      const error = cancellation.canceled ? cancellation.reason : (err as Error).message;
      result = { status: cancellation.canceled ? "canceled" : "failed", exitCode: null, error, summary: error };
    } finally {
      // A run killed during its teardown (cancel past the grace, a second SIGTERM) may leave containers: the runner removes them.
      await this.reap(runId, 0, "removed a container the run left");
      // rm does not follow symlinks: a link in the checkout is removed, not its target.
      if (root) await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch((e: Error) => this.#log("error", "could not remove run dir", { runId, error: e.message }));
      // The run's PID namespace died with its first process: nothing of the uid's is left to meet the next run.
      this.#sandbox?.release(identity);
    }
    return { ...result, logTail: decoder.decode(output.tail()) };
  }

  /** Stops (within `graceSeconds`) and removes the run's containers and network (run-reaper.ts); logs `message` with what went. */
  async reap(runId: string, graceSeconds: number, message: string): Promise<void> {
    let docker: import("../docker/client.ts").DockerClient;
    try {
      const { DockerClient } = await import("../docker/client.ts");
      docker = this.#docker ??= await DockerClient.connect(platform.env());
    } catch {
      return; // No engine here (a runner without container steps): nothing can have been left.
    }
    try {
      const { reapRun } = await import("./run-reaper.ts");
      const reaped = await reapRun(docker, runId, graceSeconds);
      for (const container of reaped.containers) this.#log("warn", message, { runId, container });
      if (reaped.networks.length > 0) this.#log("info", "removed the run's network", { runId, networks: reaped.networks });
    } catch (error) {
      this.#log("error", "could not remove what the run left on the engine", { runId, error: (error as Error).message });
    }
  }
}
