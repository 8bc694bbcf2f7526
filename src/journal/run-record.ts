/**
 * One run as the journal keeps it: what the run was given (workflow
 * identity, vars, stack, answers) and what each finished top-level step
 * left for later ones. A file per run, `<id>.json`, version 1.
 *
 * A record is written when the run starts and rewritten as each top-level
 * step ends, so a run killed at any point leaves what it had finished.
 * `waitingFor` is reserved for a run suspended at a prompt (an approval
 * gate under `muster serve`): the record is then all it needs to go on.
 * @module
 */
import type { StepStatus } from "../engine/events.ts";
import type { StoredResult } from "../workflow/run-state.ts";

/** How a run stands; `interrupted` is also what a `running` record whose process is gone reads as. */
export type RunStatus = "running" | "succeeded" | "failed" | "interrupted" | "waiting";

/** The marker a masked value is written as. */
export const MASKED = "[masked]";

/** A finished top-level step. */
export interface StepEntry {
  name: string;
  status: StepStatus;
  exitCode: number;
  durationMs: number;
  error?: string;
  /** The digest of the step's definition when it ran: a changed step is run again by `--resume`. */
  digest: string;
  /** The `.steps.NAME` entries it left (its own and, for a group, its children's). */
  steps: Record<string, StoredResult>;
  /** `type: env` variables it set, and those of them it exported. */
  env: Record<string, string>;
  exported: Record<string, string>;
  /** A value muster masks was in what it left, and was written as {@linkcode MASKED}: it cannot be restored. */
  masked?: boolean;
  endedAt: string;
}

/** A prompt a suspended run waits at (approval gates under `serve`: only a run in suspend mode writes it). */
export interface WaitingFor {
  step: string;
  type: string;
  prompt: string;
  options?: string[];
  default?: string;
  since: string;
  /** Binds an answer to this question of this run's plan: sha256 of the run id, the step's definition digest and the prompt. */
  digest: string;
  /** The step's definition and resolved texts, for the runner to check an answer with the step kind's `answerProblem` (never shown by the API). */
  check?: { step: unknown; texts: Record<string, string> };
}

/** A run in the journal. */
export interface RunRecord {
  v: 1;
  id: string;
  status: RunStatus;
  /** The project (its base path) the run ran in: `muster runs` lists a project's runs. */
  project: string;
  /** The workflow file's absolute path, and as it was shown. */
  file: string;
  fileShown: string;
  workflow: string;
  /** Digests of the workflow's own settings (stack, env, working directory, sandbox) and of each top-level step's definition. */
  digest: { workflow: string; steps: Array<{ name: string; digest: string }> };
  /** The stack every step got (`-s`, else `$ATMOS_STACK`). */
  stack?: string;
  vars: Record<string, string>;
  /** `--answer`s; a masked one (a password's) is {@linkcode MASKED}. */
  answers: Record<string, string>;
  pid: number;
  /**
   * When that process started (platform.processStartTime, Linux): a new
   * run with one holds no lock, its liveness is this (a later process
   * reusing the pid has another); without it, the run's lock says.
   */
  pst?: string;
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
  exitCode?: number;
  /** The step that failed the run. */
  failedStep?: string;
  /** Each `--resume` of this run: when, and the step it started at. */
  resumes: Array<{ at: string; fromStep: string }>;
  /** Top-level steps in the order they ended (under `--resume`, the restored ones first). */
  steps: StepEntry[];
  waitingFor?: WaitingFor;
}

/**
 * A new run id: the start time (UTC, sortable) and 4 random hex digits.
 *
 * @example
 * ```ts
 * newRunId(new Date("2026-12-02T15:40:19Z")); // "20261202-154019-3fa2"
 * ```
 */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${Math.floor(random() * 0x10000).toString(16).padStart(4, "0")}`;
}

/** What a run id looks like: also what keeps a named run inside the journal directory. */
export const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/**
 * Whether `value` is a run record this muster can read (version 1, the fields it relies on).
 *
 * @example
 * ```ts
 * isRunRecord(JSON.parse(text)); // false for a file of another version
 * ```
 */
export function isRunRecord(value: unknown): value is RunRecord {
  const r = value as Partial<RunRecord> | null;
  return typeof r === "object" && r !== null && r.v === 1 && typeof r.id === "string" && RUN_ID.test(r.id) && typeof r.workflow === "string" &&
    typeof r.file === "string" && typeof r.project === "string" && Array.isArray(r.steps) && typeof r.vars === "object" && typeof r.answers === "object";
}
