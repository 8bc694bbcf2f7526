/**
 * Running a workflow's top-level steps in order, honouring `when`,
 * `--from-step` and cancellation, and delegating each step to its runner.
 * @module
 */
import { openLogFile, teeToLog } from "../output/log-files.ts";
import type { Reporter } from "../output/reporter.ts";
import { stderr, stdout, type OutputStream } from "../output/terminal.ts";
import type { ChunkSink } from "./run-process.ts";
import { formatDuration } from "../workflow/duration.ts";
import { expandGroup } from "../workflow/expand.ts";
import { PlanError, resolveStep, type RunContext } from "../workflow/plan.ts";
import { shellQuote } from "../workflow/shell-words.ts";
import type { Step } from "../workflow/types.ts";
import type { Cancellation } from "./cancellation.ts";
import type { Semaphore } from "./semaphore.ts";
import { runStep, type StepResult } from "./run-step.ts";

/** Everything a step runner needs besides the step itself. */
export interface EngineContext {
  run: RunContext;
  reporter: Reporter;
  cancellation: Cancellation;
  graceMs: number;
  /** Caps concurrently running children across the whole run (`--jobs`). */
  jobsSemaphore?: Semaphore;
  /** When set, each step's full output is also written to a file here. */
  logDir?: string;
}

/** Runs one top-level step of a type other than shell/atmos/sleep. */
export type StepRunner = (step: Step, engine: EngineContext) => Promise<StepResult>;

/** How a workflow ended. */
export interface WorkflowResult {
  exitCode: number;
  /** The first step that failed, for the resume hint. */
  failedStep?: string;
  results: Map<string, StepResult>;
}

/** Options for {@linkcode runWorkflow}. */
export interface RunWorkflowOptions {
  fromStep?: string;
  /** Runners for step types beyond the leaf ones (control steps, containers). */
  runners?: Partial<Record<Step["type"], StepRunner>>;
  /** Called before every step that is not a service-control step (the readiness gate). */
  beforeStep?: (step: Step) => Promise<void>;
}

function describeStep(step: Step, engine: EngineContext): string {
  switch (step.type) {
    case "shell":
    case "atmos":
      try {
        const resolved = resolveStep(step, engine.run);
        return step.type === "shell" ? `$ ${resolved.command}` : `$ ${resolved.argv!.map(shellQuote).join(" ")}`;
      } catch {
        return `$ ${step.command}`;
      }
    case "sleep":
      return `sleep ${formatDuration(step.durationMs)}`;
    case "wait":
    case "cancel":
      return `${step.type} ${step.targets.join(", ")}`;
    case "container":
      return `container ${step.container.image}${step.background ? " (background)" : ""}`;
    case "parallel":
    case "matrix": {
      const count = expandGroup(step).length;
      const limit = step.maxConcurrency ? `, at most ${step.maxConcurrency} at once` : "";
      return `${step.type}: ${count} ${count === 1 ? "child" : "children"}${limit}, ${step.fail.mode}, ${step.output.mode}`;
    }
    default:
      return step.type;
  }
}

/**
 * Runs a top-level shell/atmos/sleep step with inherited stdio, so a terminal
 * stays a terminal; with `--log-dir` its output is piped and teed instead.
 */
export async function runTopLevelLeaf(step: Step, engine: EngineContext): Promise<StepResult> {
  if (step.type !== "shell" && step.type !== "atmos" && step.type !== "sleep") throw new Error(`not a leaf step: ${step.type}`);
  const resolved = resolveStep(step, engine.run);
  const log = engine.logDir ? await openLogFile(engine.logDir, [step.name]) : undefined;
  const tee = (stream: OutputStream): ChunkSink | "inherit" => (log ? teeToLog(log, (data) => stream.write(data)) : "inherit");
  try {
    return await runStep(resolved, step.timeoutMs, step.retry, {
      stdout: tee(stdout),
      stderr: tee(stderr),
      stdin: "inherit",
      env: engine.run.env,
      graceMs: engine.graceMs,
      cancellation: engine.cancellation,
      onRetry: (message) => engine.reporter.warn(message),
    });
  } finally {
    await log?.close();
  }
}

/**
 * Runs `engine.run.workflow`.
 *
 * @example
 * ```ts
 * const result = await runWorkflow(engine, { fromStep: "apply" });
 * process.exitCode = result.exitCode;
 * ```
 */
export async function runWorkflow(engine: EngineContext, options: RunWorkflowOptions = {}): Promise<WorkflowResult> {
  const { workflow } = engine.run;
  const { reporter } = engine;
  const start = options.fromStep ? workflow.steps.findIndex((s) => s.name === options.fromStep) : 0;
  const results = new Map<string, StepResult>();
  let failed: { step: string; code: number } | undefined;
  for (const step of workflow.steps.slice(Math.max(0, start))) {
    if (engine.cancellation.canceled) break;
    const shouldRun = step.when === "always" || (step.when === "failure") === (failed !== undefined);
    if (!shouldRun) {
      reporter.stepEnd(step.name, "skipped", 0, failed ? "(an earlier step failed)" : "(when: failure, nothing failed)");
      continue;
    }
    let result: StepResult;
    try {
      // The readiness gate comes before the step's start line: the step starts once services are ready.
      if (step.type !== "wait" && step.type !== "wait-all" && step.type !== "cancel") await options.beforeStep?.(step);
      reporter.stepStart(step.name, describeStep(step, engine));
      const runner = options.runners?.[step.type] ?? runTopLevelLeaf;
      result = await runner(step, engine);
    } catch (error) {
      if (!(error instanceof PlanError) && !(error instanceof StepFailure)) throw error;
      result = { status: "failed", exitCode: error instanceof StepFailure ? error.exitCode : 2, durationMs: 0, attempts: 0, timedOut: false, error: error.message };
      if (engine.cancellation.canceled) result.status = "canceled";
    }
    results.set(step.name, result);
    const [why = "", ...more] = (result.error ?? `exit code ${result.exitCode}`).split("\n");
    reporter.stepEnd(step.name, result.status, result.durationMs, result.status === "failed" ? `(${why})` : "");
    if (result.status === "failed") for (const line of more) reporter.line(line);
    if (result.status === "failed" && !failed) failed = { step: step.name, code: result.exitCode || 1 };
  }
  return { exitCode: failed?.code ?? 0, failedStep: failed?.step, results };
}

/** Thrown by step runners for a failure that has a message and an exit code. */
export class StepFailure extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "StepFailure";
  }
}
