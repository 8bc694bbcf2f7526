/**
 * What a dispatched run's own muster reported about it: the `run.end` and
 * the failing `step.end` of the NDJSON events it wrote with `--events`
 * (`schemas/events.v1.json`), read by the runner once the run is over.
 * The file lies in the run's dir, where the run may write: it is opened
 * without following a link, refused unless it is a regular file with one
 * link, read in bounded lines and trusted no more than the run's own
 * output (it says how the run went, nothing else is taken from it).
 * @module
 */
import { closeSync, read } from "node:fs";
import { openWrittenByOther } from "../files/owned-path.ts";
import { formatDuration } from "../workflow/duration.ts";

/** The file name of the events a run writes, in its run dir. */
export const EVENTS_FILE = "events.ndjson";

/** The `run.end` event, as the runner uses it. */
export interface ReportedEnd {
  workflow: string;
  status: "succeeded" | "failed" | "interrupted";
  exitCode: number;
  durationMs: number;
  failedStep?: string;
  signal?: string;
}

/** A failed `step.end`: where it is and its own reason, if it gave one. */
export interface ReportedFailure {
  path: string[];
  exitCode: number;
  error?: string;
}

/** How the run ended and why, by its events. */
export interface RunReport {
  /** Undefined when no run started (the child failed before: a workflow not found, an invalid file). */
  end?: ReportedEnd;
  /** The failed step that failed the run (`end.failedStep`), its first failed child with a reason for a group. */
  failure?: ReportedFailure;
}

/** Lines longer than this are step output, never a `run.end` or `step.end` the runner needs: skipped unread. */
export const MAX_EVENT_LINE = 256 * 1024;
/** A step's reason is cut to this many characters in a run's `error`. */
export const MAX_STEP_ERROR = 2000;

const isString = (value: unknown): value is string => typeof value === "string";
const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

/**
 * Collects the events the runner needs from lines of the stream, in order.
 *
 * @example
 * ```ts
 * const collector = new ReportCollector();
 * collector.line('{"v":1,"type":"run.end","workflow":"w","status":"succeeded","exit_code":0,"duration_ms":5}');
 * collector.report().end?.status; // "succeeded"
 * ```
 */
export class ReportCollector {
  #end?: ReportedEnd;
  /** Per top-level step: its first failed `step.end` that gave a reason, else its first failed one. */
  #failures = new Map<string, ReportedFailure>();

  /** Takes one line (without its newline); anything but a well-formed v1 `step.end` or `run.end` is ignored. */
  line(text: string): void {
    if (!text.includes('"run.end"') && !text.includes('"step.end"')) return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof event !== "object" || event === null || event.v !== 1) return;
    if (event.type === "run.end") this.#runEnd(event);
    else if (event.type === "step.end") this.#stepEnd(event);
  }

  #runEnd(event: Record<string, unknown>): void {
    const { workflow, status, exit_code, duration_ms, failed_step, signal } = event;
    if (!isString(workflow) || !isCount(exit_code) || typeof duration_ms !== "number") return;
    if (status !== "succeeded" && status !== "failed" && status !== "interrupted") return;
    this.#end = {
      workflow, status, exitCode: exit_code, durationMs: duration_ms,
      ...(isString(failed_step) ? { failedStep: failed_step } : {}),
      ...(isString(signal) ? { signal } : {}),
    };
  }

  #stepEnd(event: Record<string, unknown>): void {
    const { path, status, exit_code, error } = event;
    if (status !== "failed" || !isCount(exit_code) || !Array.isArray(path) || path.length === 0 || !path.every(isString)) return;
    const top = path[0] as string;
    const known = this.#failures.get(top);
    if (known?.error !== undefined) return;
    // A group's own end comes after its children's: a child's reason, when one gave it, says more than the group's count.
    if (known && !isString(error)) return;
    this.#failures.set(top, { path: path as string[], exitCode: exit_code, ...(isString(error) ? { error: error.slice(0, MAX_STEP_ERROR) } : {}) });
  }

  report(): RunReport {
    const failedStep = this.#end?.failedStep;
    const failure = failedStep === undefined ? undefined : this.#failures.get(failedStep);
    return { ...(this.#end ? { end: this.#end } : {}), ...(failure ? { failure } : {}) };
  }
}

/**
 * Reads the events file at `path` (see the module comment); undefined when
 * it is missing, not a regular file with one link, or cannot be read.
 *
 * @example
 * ```ts
 * const report = await readRunReport(join(dirs.root, EVENTS_FILE));
 * ```
 */
export async function readRunReport(path: string): Promise<RunReport | undefined> {
  // A link the run put there is not followed; a FIFO does not hang the runner.
  const opened = openWrittenByOther(path);
  if (!("fd" in opened)) return undefined;
  const { fd } = opened;
  try {
    const collector = new ReportCollector();
    await readLines(fd, (line) => collector.line(line));
    return collector.report();
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const readChunk = (fd: number, buffer: Uint8Array): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, null, (error, n) => (error ? reject(error) : resolve(n))));

/** Calls `take` with each line of `fd` up to {@linkcode MAX_EVENT_LINE} bytes; longer ones are dropped, never held whole. */
async function readLines(fd: number, take: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let overlong = false;
  const flush = (last: Uint8Array) => {
    if (!overlong) {
      const whole = new Uint8Array(pendingBytes + last.length);
      let at = 0;
      for (const piece of [...pending, last]) {
        whole.set(piece, at);
        at += piece.length;
      }
      take(decoder.decode(whole));
    }
    pending = [];
    pendingBytes = 0;
    overlong = false;
  };
  for (let n = await readChunk(fd, buffer); n > 0; n = await readChunk(fd, buffer)) {
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buffer[i] !== 0x0a) continue;
      flush(buffer.subarray(start, i));
      start = i + 1;
    }
    if (start < n && !overlong) {
      pendingBytes += n - start;
      if (pendingBytes > MAX_EVENT_LINE) {
        overlong = true;
        pending = [];
      } else pending.push(buffer.slice(start, n));
    }
  }
  if (pendingBytes > 0 || overlong) flush(new Uint8Array(0));
}

/** A run's outcome, as the runner reports it. */
export interface RunVerdict {
  status: "succeeded" | "failed";
  exitCode: number;
  /** Why it failed, with the failing step's own reason; null when it succeeded. */
  error: string | null;
  /** `error` without the step's own reason (which may quote values of the dispatch): what the runner's log says. */
  summary: string | null;
}

/**
 * A finished run's verdict from its report and its process's exit code
 * (`code`): the events say how and why; a run that wrote no `run.end`
 * failed before starting, with `startError` (the child's own error line)
 * as its reason when it gave one.
 *
 * @example
 * ```ts
 * verdictOf("deploy", 3, { end: { workflow: "deploy", status: "failed", exitCode: 3, durationMs: 1200, failedStep: "apply" }, failure: { path: ["apply"], exitCode: 3, error: "exit 3: no quota" } });
 * // { status: "failed", exitCode: 3, error: 'workflow deploy failed at step "apply" (exit 3) after 1.2s: exit 3: no quota', summary: 'workflow deploy failed at step "apply" (exit 3) after 1.2s' }
 * ```
 */
export function verdictOf(workflow: string, code: number, report: RunReport | undefined, startError?: string): RunVerdict {
  const end = report?.end;
  if (!end) {
    if (code === 0) return { status: "succeeded", exitCode: code, error: null, summary: null };
    const error = startError ?? `workflow "${workflow}" exited with code ${code}`;
    return { status: "failed", exitCode: code, error, summary: error };
  }
  const took = formatDuration(end.durationMs);
  if (end.status === "succeeded") {
    if (code === 0) return { status: "succeeded", exitCode: 0, error: null, summary: null };
    // The run said it succeeded, then its process failed (a crash in teardown, a killed sandbox): the process has the last word.
    const error = `workflow ${end.workflow} succeeded in ${took}, then its process exited with code ${code}`;
    return { status: "failed", exitCode: code, error, summary: error };
  }
  if (end.status === "interrupted") {
    const error = `workflow ${end.workflow} was stopped${end.signal ? ` by ${end.signal}` : ""} after ${took} (exit ${end.exitCode})`;
    return { status: "failed", exitCode: end.exitCode, error, summary: error };
  }
  const summary = end.failedStep === undefined
    ? `workflow ${end.workflow} failed (exit ${end.exitCode}) after ${took}`
    : `workflow ${end.workflow} failed at step "${end.failedStep}" (exit ${end.exitCode}) after ${took}`;
  const failure = report?.failure;
  const where = failure && failure.path.length > 1 ? `${failure.path.slice(1).join(" / ")}: ` : "";
  const error = failure?.error === undefined ? summary : `${summary}: ${where}${failure.error}`;
  return { status: "failed", exitCode: end.exitCode, error, summary };
}

/**
 * The error a muster that stopped before its run wrote as its last
 * `muster: ...` line (`src/main.ts`: a workflow not found, an invalid
 * file); undefined when there is none. Only asked when the events hold no
 * `run.end`: a run's reasons come from its events.
 *
 * @example
 * ```ts
 * startErrorOf('muster: workflow "nope" not found in workflows.yaml\n'); // 'workflow "nope" not found in workflows.yaml'
 * ```
 */
export function startErrorOf(output: string): string | undefined {
  const line = output.split("\n").map((l) => l.trim()).findLast((l) => l.startsWith("muster: "));
  return line?.slice("muster: ".length);
}
