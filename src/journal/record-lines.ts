/**
 * A run record as the lines of its file (JSON Lines), appended as the run
 * goes, so that recording a step costs one short write however long the
 * run: a `start` line (the run's inputs; again at each `--resume`, with the
 * steps it keeps), a `step` line per top-level step that ended, an `end`
 * line. Reading folds them; a last line cut short (a muster killed while
 * writing it) is ignored.
 * @module
 */
import type { RunRecord, StepEntry, WaitingFor } from "./run-record.ts";

/** One line of a run's file. */
export type RecordLine =
  | ({ t: "start"; keep?: string[] } & Omit<RunRecord, "steps">)
  | ({ t: "step" } & StepEntry)
  | { t: "end"; status: RunRecord["status"]; exitCode: number; failedStep?: string; endedAt: string }
  /** Reserved for a run suspended at a prompt (approval gates under `serve`). */
  | { t: "waiting"; waitingFor: WaitingFor; at: string };

/** The line of `line`, newline-terminated. */
export const lineOf = (line: RecordLine): string => `${JSON.stringify(line)}\n`;

/**
 * The record the lines of `text` fold to, or undefined without a start line.
 *
 * @example
 * ```ts
 * foldLines(`${lineOf(start)}${lineOf(step)}`)!.steps.length; // 1
 * ```
 */
export function foldLines(text: string): RunRecord | undefined {
  let record: RunRecord | undefined;
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    let line: RecordLine;
    try {
      line = JSON.parse(raw) as RecordLine;
    } catch {
      continue; // cut short by a kill mid-write
    }
    if (line.t === "start") {
      const { t: _, keep, ...header } = line;
      const kept = record && keep ? record.steps.filter((s) => keep.includes(s.name)) : [];
      record = { ...header, steps: kept };
      delete record.waitingFor;
    } else if (!record) {
      continue;
    } else if (line.t === "step") {
      const { t: _, ...entry } = line;
      record.steps = [...record.steps.filter((s) => s.name !== entry.name), entry];
      record.updatedAt = entry.endedAt;
    } else if (line.t === "end") {
      record.status = line.status;
      record.exitCode = line.exitCode;
      record.endedAt = line.endedAt;
      record.updatedAt = line.endedAt;
      if (line.failedStep) record.failedStep = line.failedStep;
      else delete record.failedStep;
      delete record.waitingFor;
    } else if (line.t === "waiting") {
      record.status = "waiting";
      record.waitingFor = line.waitingFor;
      record.updatedAt = line.at;
    }
  }
  return record;
}

/** The lines that fold to `record` (a whole file). */
export function linesOf(record: RunRecord): string {
  const { steps, ...header } = record;
  const start: RecordLine = { t: "start", ...header, status: "running" };
  delete (start as Partial<RunRecord>).exitCode;
  delete (start as Partial<RunRecord>).endedAt;
  delete (start as Partial<RunRecord>).waitingFor;
  let text = lineOf(start) + steps.map((s) => lineOf({ t: "step", ...s })).join("");
  if (record.status === "waiting" && record.waitingFor) text += lineOf({ t: "waiting", waitingFor: record.waitingFor, at: record.updatedAt });
  else if (record.status !== "running") text += lineOf({ t: "end", status: record.status, exitCode: record.exitCode ?? 0, ...(record.failedStep ? { failedStep: record.failedStep } : {}), endedAt: record.endedAt ?? record.updatedAt });
  return text;
}
