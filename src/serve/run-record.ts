/**
 * A run's record as the API shows it and the store keeps it: shared by the
 * run manager and the run store, so neither imports the other.
 * @module
 */
import type { CallbackOutcome } from "./callback.ts";

/** A run's lifecycle. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";

/** The statuses a run ends in. */
export type FinalStatus = Exclude<RunStatus, "queued" | "running">;

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
}
