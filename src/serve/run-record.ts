/**
 * A run's record as the API shows it and the store keeps it: shared by the
 * run manager and the run store, so neither imports the other.
 * @module
 */
import type { WaitingFor } from "../journal/run-record.ts";
import type { CallbackOutcome } from "./callback.ts";

/** A run's lifecycle: `waiting` is a run suspended at a prompt (an approval gate), holding no process. */
export type RunStatus = "queued" | "running" | "waiting" | "succeeded" | "failed" | "canceled";

/** The statuses a run ends in. */
export type FinalStatus = Exclude<RunStatus, "queued" | "running" | "waiting">;

/** The question a waiting run asks, as `GET /runs/:id` shows it. */
export type ShownWaitingFor = Omit<WaitingFor, "check">;

/**
 * What a suspended run needs to go on, as the store keeps it: the question,
 * the run's journal record (its file's text, put back into the resumed
 * run's journal), the record's id and the checkout path the run saw (the
 * record's paths are under it; a resumed run's checkout may lie elsewhere).
 */
export interface Suspension {
  waitingFor: WaitingFor;
  journal: string;
  journalId: string;
  checkout: string;
}

/** The question of `waitingFor` without what only the runner reads: its known fields only (never what else a run wrote there). */
export function shownWaitingFor(waitingFor: WaitingFor): ShownWaitingFor {
  const { step, type, prompt, options, default: fallback, since, digest } = waitingFor;
  return { step, type, prompt, ...(options !== undefined ? { options } : {}), ...(fallback !== undefined ? { default: fallback } : {}), since, digest };
}

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
  /** The runner (MUSTER_RUNNER_ID) that runs or ran it; for a lost run, the one that reported it. */
  runner: string | null;
  /** A waiting run's question (only while it waits). */
  waitingFor?: ShownWaitingFor;
}
