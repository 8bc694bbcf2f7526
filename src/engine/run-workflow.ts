/**
 * Running a planned workflow: top-level steps in order, honouring `when`,
 * `--from-step`, the readiness gate and cancellation. The engine writes to
 * no terminal: it emits run events to the observer it is handed, and the
 * streams it is handed are used only by steps that inherit them.
 * @module
 */
import { exitCodeOf, messageOf } from "../errors.ts";
import { EXIT_FAILURE } from "../exit-codes.ts";
import type { PlannedStep, StepContext } from "../steps/kind.ts";
import type { Plan, RunContext } from "../workflow/plan.ts";
import { Cancellation } from "./cancellation.ts";
import { notRun, type RunEvent, type RunObserver, type StepResult } from "./events.ts";
import type { ChunkSink } from "./run-process.ts";
import { runPlannedStep } from "./run-step.ts";
import type { Semaphore } from "./semaphore.ts";
import type { ServiceManager } from "./services.ts";

/** Everything the engine is handed. */
export interface EngineContext {
  run: RunContext;
  plan: Plan;
  observer: RunObserver;
  cancellation: Cancellation;
  /** How long an interrupted or canceled step may take to exit before it is killed. */
  graceMs: number;
  /** Caps concurrently running children across the whole run (`--jobs`). */
  jobs?: Semaphore;
  /** Start at this top-level step. */
  fromStep?: string;
  /** Whether top-level steps get the terminal's stdin (false in tests and under `serve`). */
  stdin?: "inherit" | "null";
}

/** How a workflow ended. */
export interface WorkflowResult {
  exitCode: number;
  /** The first step that failed, for the resume hint. */
  failedStep?: string;
  /** Every top-level step's result, in order (group children inside their group's). */
  results: Array<{ name: string; result: StepResult }>;
}

/**
 * Runs `engine.plan`.
 *
 * @example
 * ```ts
 * const result = await runWorkflow({ run, plan, observer, cancellation, graceMs: 5000 });
 * result.exitCode; // 0
 * ```
 */
export async function runWorkflow(engine: EngineContext): Promise<WorkflowResult> {
  const { plan, observer, cancellation } = engine;
  const emit = (event: RunEvent) => observer.emit(event);
  let services: ServiceManager | undefined;
  if (usesEngine(plan.steps)) {
    const { ServiceManager } = await import("./services.ts");
    services = new ServiceManager({ run: engine.run, emit, cancellation, graceMs: engine.graceMs });
    // Containers left by a muster that was killed (-9) go before we start ours.
    await services.pruneOrphans();
  }
  const servicesOf = () => {
    if (!services) throw new Error("this run has no container steps");
    return services;
  };

  const contextFor = (path: string[], scope: Cancellation, topLevel: boolean): StepContext => {
    const sink = (stream: 1 | 2): ChunkSink => (data) => emit({ type: "step.output", path, stream, data });
    const inherit = topLevel && !observer.wantsOutput;
    return {
      run: engine.run,
      path,
      cancellation: scope,
      graceMs: engine.graceMs,
      stdin: topLevel ? engine.stdin ?? "inherit" : "null",
      streams: inherit ? { stdout: "inherit", stderr: "inherit" } : { stdout: sink(1), stderr: sink(2) },
      write: (stream, data) => emit({ type: "step.output", path, stream, data }),
      emit,
      services: servicesOf,
      jobs: engine.jobs,
      runChild: (child, childPath, childScope) => runPlannedStep(child, childPath, childScope, (c) => contextFor(childPath, c, false)),
    };
  };

  const start = engine.fromStep ? Math.max(0, plan.steps.findIndex((s) => s.name === engine.fromStep)) : 0;
  const results: WorkflowResult["results"] = [];
  let failed: { step: string; code: number } | undefined;
  try {
    for (const planned of plan.steps.slice(start)) {
      const path = [planned.name];
      const when = planned.step.when;
      // After an interrupt only `when: always` steps run (as GitHub Actions' `if: always()`), and a
      // second Ctrl-C stops them too; the others are reported as not started.
      const interrupted = cancellation.canceled;
      if (interrupted && (when !== "always" || cancellation.forced)) {
        const result = notRun("canceled", `not started: ${cancellation.reason}`);
        results.push({ name: planned.name, result });
        await emit({ type: "step.end", path, result });
        continue;
      }
      if (!interrupted && !(when === "always" || (when === "failure") === (failed !== undefined))) {
        const result = notRun("skipped", failed ? "an earlier step failed" : "when: failure, nothing failed");
        results.push({ name: planned.name, result });
        await emit({ type: "step.end", path, result });
        continue;
      }
      let result: StepResult;
      const parent = interrupted ? Cancellation.untilForced(cancellation) : cancellation;
      const gateStarted = performance.now();
      try {
        // The readiness gate comes before the step's start: the step starts once services are ready.
        if (services && (planned.kind.gates?.(planned.step) ?? planned.kind.behaviours.gated)) await services.gate(planned.name, parent);
        result = await runPlannedStep(planned, path, parent, (scope) => contextFor(path, scope, true));
      } catch (error) {
        // Only the gate throws here: a service that did not become ready fails the step it gates.
        result = { status: parent.canceled ? "canceled" : "failed", exitCode: exitCodeOf(error), durationMs: performance.now() - gateStarted, attempts: 0, timedOut: false, error: messageOf(error) };
        await emit({ type: "step.end", path, result });
      }
      results.push({ name: planned.name, result });
      if (result.status === "failed" && !failed) failed = { step: planned.name, code: result.exitCode || EXIT_FAILURE };
    }
  } finally {
    await services?.teardown();
  }
  return { exitCode: failed?.code ?? 0, failedStep: failed?.step, results };
}

function usesEngine(steps: PlannedStep[]): boolean {
  return steps.some((s) => s.kind.behaviours.usesEngine);
}
