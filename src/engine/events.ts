/**
 * What a run tells the world: the engine emits these events and never
 * writes to a terminal itself. Renderers (text, `--log-dir`, and later JSON
 * or JUnit) are observers that consume them.
 * @module
 */
import { EXIT_OK } from "../exit-codes.ts";

/** How a step ended. */
export type StepStatus = "succeeded" | "failed" | "skipped" | "canceled";

/** The result of a step. */
export interface StepResult {
  status: StepStatus;
  /** 0 on success; the failing exit code otherwise (124 timeout, 127 not found). */
  exitCode: number;
  durationMs: number;
  attempts: number;
  timedOut: boolean;
  /** Why it failed, was skipped or canceled, when the exit code alone does not say. */
  error?: string;
  /** A group's children, in definition order. */
  children?: Array<{ name: string; result: StepResult }>;
  /** The step ended the workflow successfully (`type: exit` with code 0). */
  endsRun?: boolean;
  /** Skipped because its `inputs`/`artifacts`/`preconditions` say it is up to date (`error` says which). */
  fresh?: boolean;
}

/** A step's place in the run: `["deploy"]`, or `["checks", "lint"]` for a group's child. */
export type StepPath = readonly string[];

/** Counts of each status, for a group's summary. */
export type StatusCounts = Record<StepStatus, number>;

/** A service's life, as its events report it. */
/** `died`: it stopped serving (exited, became unhealthy) after it was ready. */
export type ServiceState = "pulling" | "starting" | "waiting" | "ready" | "failed" | "died" | "removing" | "removed";

/** A child of a group as output renderers see it. */
export interface GroupChildInfo {
  name: string;
  /** Position in declaration order. */
  index: number;
  /** The rendered `output.prefix`. */
  prefix: string;
}

/** Everything a run emits. */
export type RunEvent =
  | { type: "run.start"; workflow: string; file: string }
  | {
    type: "step.start";
    path: StepPath;
    kind: string;
    detail: string;
    attempt: number;
    /** The step's processes write to muster's own terminal directly (nothing else may draw there meanwhile). */
    ownsTerminal?: boolean;
    /** The step is a group: its children's events follow. */
    group?: boolean;
    /** What the step prints is its whole report: renderers show no start or end line unless it fails. */
    quiet?: boolean;
    /** Atmos' `show.count`: the step's place among the workflow's top-level steps, shown as `[index/total]`. */
    count?: { index: number; total: number };
    /** Atmos' output mode of the step when not `raw` (src/steps/output-mode.ts): renderers hold, bound or drop its output. */
    output?: "log" | "viewport" | "none";
    /** `viewport`: the live region's size. */
    viewport?: { height?: number; width?: number };
  }
  | { type: "step.output"; path: StepPath; stream: 1 | 2; data: Uint8Array }
  | { type: "step.retry"; path: StepPath; attempt: number; maxAttempts: number; delayMs: number; reason: string }
  | { type: "step.end"; path: StepPath; result: StepResult }
  | {
    type: "group.start";
    path: StepPath;
    mode: "grouped" | "prefixed" | "none";
    order: "completion" | "definition";
    children: GroupChildInfo[];
  }
  | { type: "group.end"; path: StepPath; counts: StatusCounts; showSummary: boolean }
  | {
    type: "service";
    name: string;
    state: ServiceState;
    detail?: string;
    id?: string;
    /** What the container is, when not a background service: the workflow's sandbox, or a foreground container removed at teardown. */
    what?: "sandbox" | "container";
  }
  /** A service's whole log (stdout and stderr in the container's order), fetched as it is torn down (`--log-dir` keeps it). */
  | { type: "service.logs"; name: string; id: string; data: Uint8Array }
  | {
    type: "pull.progress";
    image: string;
    id?: string;
    status?: string;
    progress?: string;
    done?: boolean;
    /** What the engine is doing with the image: pulling (the default), building or pushing. */
    verb?: "pulling" | "building" | "pushing";
  }
  | { type: "message"; level: "info" | "warn" | "error"; text: string }
  | {
    type: "run.end";
    workflow: string;
    status: "succeeded" | "failed" | "interrupted";
    exitCode: number;
    durationMs: number;
    failedStep?: string;
    signal?: "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";
    /** The command that resumes the run at the failed step. */
    resume?: string;
  };

/**
 * Consumes run events. `emit` may return a promise: the engine awaits it for
 * output events, which gives renderers back-pressure.
 */
export interface RunObserver {
  emit(event: RunEvent): void | Promise<void>;
  /** Whether the observer needs the bytes of top-level steps (otherwise they inherit the terminal). */
  readonly wantsOutput?: boolean;
  /** Whether the observer uses `service.logs` (each service's whole log, downloaded at teardown): without one, nothing is downloaded. */
  readonly wantsServiceLogs?: boolean;
  /** Flushes and releases what the observer holds. */
  close?(): Promise<void>;
}

/**
 * Sends every event to each observer in order.
 *
 * @example
 * ```ts
 * const observer = fanOut([textRenderer, logDirRenderer]);
 * await observer.emit({ type: "message", level: "info", text: "hello" });
 * ```
 */
export function fanOut(observers: ReadonlyArray<RunObserver>): RunObserver {
  if (observers.length === 1) return observers[0]!;
  return {
    wantsOutput: observers.some((o) => o.wantsOutput),
    wantsServiceLogs: observers.some((o) => o.wantsServiceLogs),
    emit(event) {
      let pending: Promise<void>[] | undefined;
      for (const observer of observers) {
        const done = observer.emit(event);
        if (done) (pending ??= []).push(done);
      }
      if (pending) return Promise.all(pending).then(() => undefined);
    },
    async close() {
      for (const observer of observers) await observer.close?.();
    },
  };
}

/** A result for a step that did not run. */
export function notRun(status: "skipped" | "canceled", error?: string): StepResult {
  return { status, exitCode: EXIT_OK, durationMs: 0, attempts: 0, timedOut: false, error };
}
