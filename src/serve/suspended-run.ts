/**
 * A dispatched run's journal, as the runner moves it between runs: each
 * run gets a private journal dir of its own (`MUSTER_JOURNAL_DIR`, in its
 * run dir); a run that suspended at a prompt left its record there, which
 * the runner reads into a {@linkcode Suspension} (kept in the run store),
 * and puts back, with its paths moved to the new checkout, into the journal
 * dir of the run that resumes it.
 *
 * The record was written by the run: it is read without following a link,
 * bounded, and trusted as much as the run's own output (it is only handed
 * back to the same run's workflow); its question, which the runner shows
 * and checks answers by, is taken only as muster writes it
 * (waiting-for-check.ts).
 * @module
 */
import { closeSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { openWrittenByOther } from "../files/owned-path.ts";
import { join } from "node:path";
import { foldLines } from "../journal/record-lines.ts";
import { RUN_ID } from "../journal/run-record.ts";
import type { Suspension } from "./run-record.ts";
import { knownWaitingFor, waitingForProblem } from "./waiting-for-check.ts";

/** The name of a run's journal dir in its run dir. */
export const JOURNAL_DIR = "journal";
/** A record larger than this is not kept (a suspended run's results are far smaller). */
export const MAX_SUSPENDED_RECORD = 8 * 1024 * 1024;

/** Creates the run's journal dir (0700) in `root`; returns its path. */
export function makeJournalDir(root: string): string {
  const dir = join(root, JOURNAL_DIR);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/**
 * The suspension the run left in `dir` (its one record, waiting at a
 * prompt), seen at `checkout`; a string saying why there is none.
 *
 * @example
 * ```ts
 * const found = readSuspension(join(root, "journal"), "/tmp/muster-run-x/repo");
 * if (typeof found !== "string") found.waitingFor.step; // "approve"
 * ```
 */
export function readSuspension(dir: string, checkout: string): Suspension | string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".jsonl"));
  } catch (error) {
    return `its journal cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (names.length !== 1) return `its journal holds ${names.length} records, expected 1`;
  const opened = openWrittenByOther(join(dir, names[0]!));
  if (!("fd" in opened)) return `its journal record ${opened.problem}`;
  const { fd } = opened;
  let text: string;
  try {
    if (opened.size > MAX_SUSPENDED_RECORD) return `its journal record is larger than ${MAX_SUSPENDED_RECORD} bytes`;
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  const record = foldLines(text);
  if (!record || !RUN_ID.test(record.id) || `${record.id}.jsonl` !== names[0]) return "its journal record is not one this runner can read";
  if (record.status !== "waiting" || !record.waitingFor) return `its journal record says ${record.status}, not waiting`;
  // The question is the run's own writing: only what muster writes there is taken (the runner shows it and checks answers by it).
  const problem = waitingForProblem(record.waitingFor);
  if (problem) return `the question in its journal record is not one muster writes (${problem})`;
  return { waitingFor: knownWaitingFor(record.waitingFor), journal: text, journalId: record.id, checkout };
}

/**
 * Writes the record of `suspension` into the journal dir `dir` (0600), its
 * project and workflow file moved from the checkout it ran in to
 * `checkout`, where the resumed run sees its new one.
 */
export function restoreJournal(dir: string, suspension: Suspension, checkout: string): void {
  const moved = (path: unknown) => (typeof path === "string" && (path === suspension.checkout || path.startsWith(`${suspension.checkout}/`)) ? checkout + path.slice(suspension.checkout.length) : path);
  const lines = suspension.journal.split("\n").map((raw) => {
    if (!raw.startsWith('{"t":"start"')) return raw;
    try {
      const line = JSON.parse(raw) as Record<string, unknown>;
      return JSON.stringify({ ...line, project: moved(line.project), file: moved(line.file) });
    } catch {
      return raw;
    }
  });
  if (!RUN_ID.test(suspension.journalId)) throw new Error(`not a run id: ${JSON.stringify(suspension.journalId)}`);
  writeFileSync(join(dir, `${suspension.journalId}.jsonl`), lines.join("\n"), { mode: 0o600, flag: "wx" });
}
