/**
 * `--format json` and `--events FILE`: the run as NDJSON, one event a line,
 * versioned (`"v": 1`) and described by `schemas/events.v1.json`. Child
 * output travels inside `step.output` events: as `text` when the chunk is
 * valid UTF-8, as `base64` otherwise (a chunk may end inside a multi-byte
 * character; readers join the pieces per step and stream).
 * @module
 */
import type { RunEvent, RunObserver, StepResult } from "../engine/events.ts";

/** The version of the event stream's shape; bumped on incompatible changes. */
export const EVENTS_VERSION = 1;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function base64(data: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
}

function result(r: StepResult): Record<string, unknown> {
  return {
    status: r.status,
    exit_code: r.exitCode,
    duration_ms: Math.round(r.durationMs),
    attempts: r.attempts,
    timed_out: r.timedOut,
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.fresh ? { fresh: true } : {}),
  };
}

/** Bytes as `text` when they are UTF-8, else as `base64`. */
function textOrBase64(data: Uint8Array): { text: string } | { base64: string } {
  try {
    return { text: strictUtf8.decode(data) };
  } catch {
    return { base64: base64(data) };
  }
}

/**
 * One event as the JSON object the stream carries.
 *
 * @example
 * ```ts
 * toJsonEvent({ type: "message", level: "warn", text: "hi" }, new Date(0));
 * // { v: 1, type: "message", time: "1970-01-01T00:00:00.000Z", level: "warn", text: "hi" }
 * ```
 */
export function toJsonEvent(event: RunEvent, time: Date): Record<string, unknown> {
  const head = { v: EVENTS_VERSION, type: event.type, time: time.toISOString() };
  switch (event.type) {
    case "step.output":
      return { ...head, path: event.path, stream: event.stream === 1 ? "stdout" : "stderr", ...textOrBase64(event.data) };
    case "step.start":
      return { ...head, path: event.path, kind: event.kind, detail: event.detail };
    case "step.retry":
      return { ...head, path: event.path, attempt: event.attempt, max_attempts: event.maxAttempts, delay_ms: event.delayMs, reason: event.reason };
    case "step.end":
      return { ...head, path: event.path, ...result(event.result) };
    case "group.start":
      return { ...head, path: event.path, mode: event.mode, order: event.order, children: event.children.map((c) => c.name) };
    case "group.end":
      return { ...head, path: event.path, counts: event.counts };
    case "service":
      return { ...head, name: event.name, state: event.state, ...(event.detail ? { detail: event.detail } : {}), ...(event.id ? { id: event.id } : {}) };
    case "service.logs":
      return { ...head, name: event.name, id: event.id, ...textOrBase64(event.data) };
    case "pull.progress":
      return { ...head, image: event.image, ...(event.verb && event.verb !== "pulling" ? { verb: event.verb } : {}), ...(event.status ? { status: event.status } : {}), ...(event.id ? { id: event.id } : {}), ...(event.done ? { done: true } : {}) };
    case "message":
      return { ...head, level: event.level, text: event.text };
    case "run.start":
      return { ...head, workflow: event.workflow, file: event.file };
    case "run.end":
      return {
        ...head,
        workflow: event.workflow,
        status: event.status,
        exit_code: event.exitCode,
        duration_ms: Math.round(event.durationMs),
        ...(event.failedStep ? { failed_step: event.failedStep } : {}),
        ...(event.signal ? { signal: event.signal } : {}),
      };
  }
}

/** Where the lines go: stdout, or a file (`openEventsFile`). */
export interface LineSink {
  write(line: string): void | Promise<void>;
  close?(): Promise<void>;
}

/** Writes every event as one JSON line to a sink. */
export class JsonRenderer implements RunObserver {
  readonly wantsOutput = true;
  readonly wantsServiceLogs = true;
  #sink: LineSink;
  #now: () => Date;

  constructor(sink: LineSink, now: () => Date = () => new Date()) {
    this.#sink = sink;
    this.#now = now;
  }

  emit(event: RunEvent): void | Promise<void> {
    return this.#sink.write(`${JSON.stringify(toJsonEvent(event, this.#now()))}\n`);
  }

  async close(): Promise<void> {
    await this.#sink.close?.();
  }
}

/** A sink that writes lines to `path` (created or truncated), in order. */
export async function openEventsFile(path: string): Promise<LineSink> {
  const { fdWriter, openOutputFile } = await import("../files/owned-path.ts");
  // Opened without following a link, in a directory nobody else may plant one in (S10).
  const out = fdWriter(openOutputFile(path));
  let failed: unknown;
  return {
    write: (line) => void out.write(line).catch((error) => (failed ??= error)),
    close: async () => {
      await out.close();
      if (failed) throw failed;
    },
  };
}
