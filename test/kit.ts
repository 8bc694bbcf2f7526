/**
 * Small builders for unit tests of kinds, the engine and renderers, so that
 * a test states what it is about rather than assembling contexts by hand:
 *
 * - {@linkcode recordingObserver}: an observer that keeps every event;
 * - {@linkcode fakeStepContext}: a whole `StepContext` whose output and
 *   events are recorded, with overrides for what a test needs;
 * - {@linkcode plannedStep}: a `PlannedStep` of any kind from its step;
 * - {@linkcode runYaml}: a workflow file's text parsed, planned and run by
 *   the real engine between a `run.start` and a `run.end` (what `muster
 *   workflow` does, without the CLI).
 */
import { Cancellation } from "../src/engine/cancellation.ts";
import type { RunEvent, RunObserver } from "../src/engine/events.ts";
import { parseWorkflowFile } from "../src/load/parse.ts";
import { buildPlan } from "../src/load/plan.ts";
import { runWorkflow, type WorkflowResult } from "../src/run/run-workflow.ts";
import type { PlannedStep, StepContext, StepKind } from "../src/steps/kind.ts";
import type { RunContext } from "../src/workflow/run-context.ts";
import type { StepBase, Workflow } from "../src/workflow/types.ts";

/** Where a test's steps say they were written. */
export const TEST_SOURCE = { file: "w.yaml", line: 1, col: 1 };

/** An observer that records every event, with the output it saw decoded per stream. */
export interface RecordingObserver extends RunObserver {
  readonly events: RunEvent[];
  /** What the steps wrote to stdout (1) or stderr (2), joined. */
  output(stream: 1 | 2): string;
}

/**
 * @example
 * ```ts
 * const observer = recordingObserver();
 * await runWorkflow({ ...engine, observer });
 * observer.events.filter((e) => e.type === "step.end");
 * ```
 */
export function recordingObserver(): RecordingObserver {
  const events: RunEvent[] = [];
  const decoder = new TextDecoder();
  return {
    events,
    wantsOutput: true,
    emit: (event) => void events.push(event),
    output: (stream) => events.map((e) => (e.type === "step.output" && e.stream === stream ? decoder.decode(e.data) : "")).join(""),
  };
}

/** A run context for a workflow named `wf` with no steps, or the given `workflow`. */
export function fakeRunContext(over: Partial<RunContext> = {}): RunContext {
  const workflow: Workflow = over.workflow ?? ({ name: "wf", env: {}, steps: [], source: TEST_SOURCE } as unknown as Workflow);
  return { workflow, vars: {}, env: {}, baseDir: "/", atmosBin: "atmos", shell: ["sh", "-c"], ...over };
}

/**
 * A step context at `path` (default `["step"]`): its events and what it
 * writes go to `observer` (a fresh {@linkcode recordingObserver}); asking
 * for services or a child throws unless `over` provides them.
 *
 * @example
 * ```ts
 * const { ctx, observer } = fakeStepContext({ path: ["ping"] });
 * await http.run!(planned, ctx);
 * observer.events.filter((e) => e.type === "step.retry");
 * ```
 */
export function fakeStepContext(over: Partial<StepContext> = {}): { ctx: StepContext; observer: RecordingObserver } {
  const observer = recordingObserver();
  const path = over.path ?? ["step"];
  const write = (stream: 1 | 2, data: Uint8Array) => observer.emit({ type: "step.output", path, stream, data });
  const ctx: StepContext = {
    run: fakeRunContext(),
    path,
    cancellation: new Cancellation(),
    graceMs: 100,
    stdin: "null",
    streams: { stdout: (data) => write(1, data), stderr: (data) => write(2, data) },
    write,
    emit: (event) => observer.emit(event),
    services: () => {
      throw new Error("this test's step context has no services (pass services in fakeStepContext's overrides)");
    },
    runChild: () => {
      throw new Error("this test's step context runs no children (pass runChild in fakeStepContext's overrides)");
    },
    ...over,
  };
  return { ctx, observer };
}

/**
 * A planned step of `kind` from its built step (`name`, `type`, `source`
 * and `needs` filled in when missing) and what the kind resolved.
 *
 * @example
 * ```ts
 * const planned = plannedStep(probe, { name: "a", script: ["ok"] }, null);
 * ```
 */
export function plannedStep<S extends StepBase, R>(kind: StepKind<S, R>, step: Partial<S> & Omit<S, keyof StepBase> & { name: string }, resolved: R, over: Partial<PlannedStep<S, R>> = {}): PlannedStep<S, R> {
  const full = { type: kind.type, source: TEST_SOURCE, sourceOf: () => TEST_SOURCE, needs: [], outputs: {}, ...step } as unknown as S;
  const needs = (full as { needs?: string[] }).needs ?? [];
  return {
    step: full,
    kind,
    name: step.name,
    needs,
    resolved,
    origin: { child: { name: step.name, step: full, needs } as PlannedStep["origin"]["child"], inherited: { env: {} } as PlannedStep["origin"]["inherited"], where: `step "${step.name}"` },
    ...over,
  };
}

/**
 * Parses `yaml` (a workflow file), plans its workflow `name` (default the
 * only one) and runs it with the real engine; throws on a diagnostic.
 *
 * @example
 * ```ts
 * const { result, observer } = await runYaml(`workflows:\n  wf:\n    steps:\n      - { type: exit, code: 3 }\n`);
 * result.exitCode; // 3
 * ```
 */
export async function runYaml(yaml: string, options: { name?: string; vars?: Record<string, string>; cancellation?: Cancellation } = {}): Promise<{ result: WorkflowResult; observer: RecordingObserver }> {
  const { workflowFile, diagnostics } = parseWorkflowFile("w.yaml", yaml);
  if (!workflowFile || diagnostics.length > 0) throw new Error(`the test's workflow file is invalid: ${diagnostics.map((d) => d.message).join("; ")}`);
  const name = options.name ?? [...workflowFile.workflows.keys()][0]!;
  const workflow = workflowFile.workflows.get(name);
  if (!workflow) throw new Error(`the test's workflow file has no workflow "${name}"`);
  const run = fakeRunContext({ workflow, vars: options.vars ?? {}, env: { PATH: "/usr/bin:/bin" } });
  const plan = buildPlan(run);
  if (plan.errors.length > 0) throw new Error(`the test's workflow does not plan: ${plan.errors.map((e) => String((e as { message?: string }).message ?? e)).join("; ")}`);
  const observer = recordingObserver();
  // Bracketed by run.start and run.end as `muster workflow` does (src/cli/workflow.ts), so renderers get a whole run.
  await observer.emit({ type: "run.start", workflow: workflow.name, file: "w.yaml" });
  const started = performance.now();
  const result = await runWorkflow({ run, plan, observer, cancellation: options.cancellation ?? new Cancellation(), graceMs: 100 });
  const durationMs = performance.now() - started;
  await observer.emit(result.exitCode === 0
    ? { type: "run.end", workflow: workflow.name, status: "succeeded", exitCode: 0, durationMs }
    : { type: "run.end", workflow: workflow.name, status: "failed", exitCode: result.exitCode, failedStep: result.failedStep, durationMs });
  return { result, observer };
}
