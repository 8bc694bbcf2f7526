/**
 * Running a planned workflow: top-level steps in order, honouring `when`,
 * `--from-step`, the readiness gate and cancellation. The engine writes to
 * no terminal: it emits run events to the observer it is handed, and the
 * streams it is handed are used only by steps that inherit them.
 * @module
 */
import { EngineError, exitCodeOf, messageOf, MusterError } from "../errors.ts";
import { EXIT_FAILURE } from "../exit-codes.ts";
import type { StepBase } from "../workflow/types.ts";
import type { PlannedStep, StepContext } from "../steps/kind.ts";
import { attachesTerminal, waitsForServices } from "../steps/behaviours.ts";
import { celMentions, celParts, type Condition, type ConditionContext, ConditionEvaluationError, conditionText, forgives, loadCel, shouldRun } from "../workflow/condition.ts";
import { celVariables, type FreshnessVariables } from "../workflow/cel-variables.ts";
import { changesEnv, type Plan, planForRun, StepTemplateError } from "../load/plan.ts";
import type { RunContext } from "../workflow/run-context.ts";
import { IdentityCache } from "../engine/identity.ts";
import { RunState } from "../workflow/run-state.ts";
import { resultReaders } from "../load/template-check.ts";
import { ResultKeeper } from "./result-keeper.ts";
import { Cancellation } from "../engine/cancellation.ts";
import { notRun, type RunEvent, type RunObserver, type StepResult } from "../engine/events.ts";
import type { ChunkSink } from "../engine/run-process.ts";
import { runPlannedStep } from "./run-step.ts";
import type { Semaphore } from "../engine/semaphore.ts";
import type { RunContainers } from "../steps/container/registry.ts";
import { lazy } from "../util/lazy.ts";
import { effectiveOutput } from "../steps/output-mode.ts";
import { freshnessIdentity, freshReason, implicitRuns, mentionsFreshness, needsOf } from "./freshness-gate.ts";
import type { FreshnessFacts } from "./freshness.ts";
import { platform } from "../platform/index.ts";

// The container machinery (Engine API client, services), loaded once, by a run that needs an engine.
const containerRegistryModule = lazy(() => import("../steps/container/registry.ts"));
// Hashing and state of `inputs`/`artifacts`/`preconditions`, loaded by a run that has a step with them.
const freshnessModule = lazy(() => import("./freshness.ts"));
import type { StoredResult } from "../workflow/run-state.ts";

/**
 * What a top-level step left for the steps after it: the `.steps` entries
 * it stored (its own, and a group's children's) and the variables its
 * `type: env` steps set. The run journal keeps it; `--resume` restores it.
 */
export interface StepLeft {
  name: string;
  result: StepResult;
  /** `.steps.NAME` entries this step added or replaced. */
  steps: Record<string, StoredResult>;
  /** Variables it set for later templates (`.env`). */
  env: Record<string, string>;
  /** Of those, the ones later processes get too (exported). */
  exported: Record<string, string>;
}

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
  /** `--resume`: what the steps before `fromStep` left in the earlier run, restored before anything runs. */
  restored?: ReadonlyArray<Pick<StepLeft, "name" | "steps" | "env" | "exported">>;
  /** Prompt steps before `fromStep` to ask again (their stored answer was masked, and none was given). */
  ask?: ReadonlySet<string>;
  /** Called as each top-level step ends (run, skipped or canceled), with what it left: the run journal. */
  onStepEnd?(left: StepLeft): void | Promise<void>;
  /** `--force`: steps with `inputs`/`artifacts`/`preconditions` count as out of date. */
  force?: boolean;
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
  const { plan, observer, cancellation, run } = engine;
  const emit = (event: RunEvent) => observer.emit(event);
  const state = new RunState(run.env, run.vars, run.workflow.name);
  // Loading a workflow file loads CEL when it has a CEL condition; a plan built otherwise (tests) loads it here.
  if (plan.steps.some((s) => celParts(s.step.when).length + celParts(s.step.continueOn).length > 0)) await loadCel();
  let services: RunContainers | undefined;
  if ((usesEngine(plan.steps) || run.workflow.container !== undefined) && !run.dryRun) {
    const { RunContainers } = await containerRegistryModule();
    services = new RunContainers({ run, emit, cancellation, graceMs: engine.graceMs, env: () => ({ ...run.env, ...state.exported }), wantsLogs: observer.wantsServiceLogs === true });
    // Containers left by a muster that was killed (-9) go before we start ours.
    await services.pruneOrphans();
    // An engine that does not answer is found before step 1, not halfway through the run.
    try {
      await services.docker();
    } catch (error) {
      const users = plan.steps.filter((s) => usesEngine([s])).map((s) => s.name);
      const who = users.length > 0 ? `step${users.length > 1 ? "s" : ""} ${users.map((n) => `"${n}"`).join(", ")} need${users.length > 1 ? "" : "s"} it` : "its container: sandbox needs it";
      throw new EngineError(`workflow "${run.workflow.name}": ${messageOf(error)}; nothing was run (${who}: start the engine (dockerd, Docker Desktop, podman system service), or set DOCKER_HOST to one that runs)`);
    }
  }
  const servicesOf = () => {
    if (!services) throw new Error("this run has no container steps");
    return services;
  };
  // Identities are fetched under a scope of the run's (only a force stops it early: `when: always` steps may still need one), ended with the run.
  const identityScope = Cancellation.untilForced(cancellation);
  const identities = new IdentityCache({ atmosBin: run.atmosBin, env: run.env, cancellation: identityScope, stdin: engine.stdin ?? "inherit" });
  const results = new ResultKeeper(run, state, resultReaders(run.workflow));

  /** Plans a step against the run's state, just before it starts; a template that cannot be rendered fails it. */
  const planNow = async (planned: PlannedStep, path: string[]): Promise<PlannedStep | StepResult> => {
    try {
      return planForRun(run, state, planned);
    } catch (error) {
      if (!(error instanceof StepTemplateError)) throw error;
      const result: StepResult = { status: "failed", exitCode: EXIT_FAILURE, durationMs: 0, attempts: 0, timedOut: false, error: error.message };
      await emit({ type: "step.start", path, kind: planned.kind.type, detail: "", attempt: 1, group: false });
      await emit({ type: "step.end", path, result });
      return result;
    }
  };

  const contextFor = (planned: PlannedStep, path: string[], scope: Cancellation, topLevel: boolean): StepContext => {
    const capture = results.captureFor(planned);
    const sink = (stream: 1 | 2): ChunkSink =>
      capture
        ? (data) => {
          capture.append(stream, data);
          return emit({ type: "step.output", path, stream, data });
        }
        : (data) => emit({ type: "step.output", path, stream, data });
    // A step whose output a later template reads streams through muster (a tee); others keep the terminal.
    // So does one whose output mode holds, bounds or drops it (Atmos' log, viewport, none).
    const mode = effectiveOutput(planned.kind.type, planned.step.presentation?.output, run.env, attachesTerminal(planned.kind, planned.step));
    const inherit = topLevel && !observer.wantsOutput && !capture && (mode === undefined || mode === "raw");
    return {
      run,
      path,
      cancellation: scope,
      graceMs: engine.graceMs,
      stdin: topLevel ? engine.stdin ?? "inherit" : "null",
      streams: inherit ? { stdout: "inherit", stderr: "inherit" } : { stdout: sink(1), stderr: sink(2) },
      write: (stream, data) => emit({ type: "step.output", path, stream, data }),
      emit,
      services: servicesOf,
      jobs: engine.jobs,
      identities,
      capture,
      runChild: async (child, childPath, childScope) => {
        // A child that reads results is planned again when dispatched: the siblings it needs have run by then.
        const live = child.deferred ? await planNow(child, childPath) : child;
        if (!("kind" in live)) return live;
        return runPlannedStep(live, childPath, childScope, (c) => contextFor(live, childPath, c, false), results);
      },
    };
  };

  const ci = run.ci ?? false;
  const setsEnv = changesEnv(run.workflow);
  const start = engine.fromStep ? Math.max(0, plan.steps.findIndex((s) => s.name === engine.fromStep)) : 0;
  const outcomes: WorkflowResult["results"] = [];
  let failed: { step: string; code: number } | undefined;
  /** The `type: exit` step that ended the run successfully. */
  let ended: string | undefined;
  /** What the state gained since `before`: a step's leavings, for the journal. */
  const leftSince = (before: { steps: Record<string, StoredResult>; env: Record<string, string>; exported: Record<string, string> }, name: string, result: StepResult): StepLeft => ({
    name,
    result,
    steps: Object.fromEntries(Object.entries(state.steps).filter(([k, v]) => before.steps[k] !== v)),
    env: Object.fromEntries(Object.entries(state.env).filter(([k, v]) => before.env[k] !== v)),
    exported: Object.fromEntries(Object.entries(state.exported).filter(([k, v]) => before.exported[k] !== v)),
  });
  const snapshot = () => ({ steps: { ...state.steps }, env: state.env, exported: state.exported });
  const restored = new Set<string>();
  for (const left of engine.restored ?? []) {
    Object.assign(state.steps, left.steps);
    state.setEnv(left.env, false);
    state.setEnv(left.exported, true);
    restored.add(left.name);
  }
  try {
    // A prompt that --from-step skips but an --answer answers: its result is the answer, as if it had been asked.
    // Under --resume, a prompt whose answer the journal kept masked is asked again when no --answer gives it.
    for (const planned of plan.steps.slice(0, start)) {
      if (restored.has(planned.name)) continue;
      const before = snapshot();
      let result = notRun("skipped", `before --from-step "${engine.fromStep}"`);
      const asked = run.answers?.[planned.name] !== undefined || engine.ask?.has(planned.name);
      // Under --resume the journal keeps its own entry of a step not restored (one that held a masked value).
      if (!asked && engine.restored) continue;
      const live = asked && planned.deferred ? await planNow(planned, [planned.name]) : planned;
      if (asked && "kind" in live && live.kind.behaviours.interactive) {
        const outcome = await live.kind.run(live, contextFor(live, [live.name], cancellation, true));
        if (outcome.status === "succeeded") results.settle(live, outcome);
        result = { status: outcome.status, exitCode: outcome.exitCode, error: outcome.error, durationMs: 0, attempts: 1, timedOut: false };
      }
      // The journal hears of every step: a skipped one is done for a later --resume, an answered prompt's answer (a password's) gets masked.
      await engine.onStepEnd?.(leftSince(before, planned.name, result));
    }
    // Atmos judges every step's `when` once before the first step starts (its auth prescan): a CEL condition that
    // cannot be evaluated stops the run before anything ran. Conditions reading `steps` (muster's) wait for their step.
    for (const planned of plan.steps.slice(start)) {
      const { when } = planned.step;
      if (!celParts(when).some((part) => !celMentions(part.expr, "steps"))) continue;
      // As in Atmos, a condition on freshness facts waits for them (they are computed as its step comes).
      if (mentionsFreshness(when)) continue;
      const runs = conditionJudge(planned.step, { ci, cel: () => celVariables(run, planned.step, state.steps) }).runs(when, "success", true);
      if (runs && (planned.step.identity ?? run.identity) !== undefined) break;
    }
    for (const [offset, planned] of plan.steps.slice(start).entries()) {
      const path = [planned.name];
      const before = snapshot();
      const left = async (result: StepResult) => void (await engine.onStepEnd?.(leftSince(before, planned.name, result)));
      /** A step that does not start: its outcome, its end event, its journal line. */
      const notStarted = async (result: StepResult) => {
        outcomes.push({ name: planned.name, result });
        await emit({ type: "step.end", path, result });
        await left(result);
      };
      const { when, continueOn, freshness } = planned.step;
      // Computed where a condition can hold: not after an interrupt or an exit step, nor for an implicit condition after a failure.
      const judged = !cancellation.canceled && !ended && (when !== undefined || !failed);
      const facts = freshness && judged ? await freshnessFacts(planned.step, run, engine.force === true) : undefined;
      const judge = conditionJudge(planned.step, { ci, cel: () => celVariables(run, planned.step, state.steps, facts && factVariables(facts)) });
      // After an interrupt only steps whose condition holds with status "canceled" run (`always`, as
      // GitHub Actions' `if: always()`), and a second Ctrl-C stops them too; the others are not started.
      const interrupted = cancellation.canceled;
      if (interrupted && (cancellation.forced || !judge.runs(when, "canceled", false))) {
        await notStarted(notRun("canceled", `not started: ${cancellation.reason}`));
        continue;
      }
      if (ended && !interrupted && !judge.runs(when, "canceled", false)) {
        await notStarted(notRun("skipped", `the workflow ended at step "${ended}"`));
        continue;
      }
      if (!ended && !interrupted && !judge.runs(when, failed ? "failure" : "success", true)) {
        await notStarted(notRun("skipped", failed ? "an earlier step failed" : when ? `when: ${conditionText(when)}` : ""));
        continue;
      }
      // Atmos' implicit condition of a step without `when:` (freshness.EffectiveWhen).
      if (!ended && !interrupted && freshness && facts && !when && !implicitRuns(freshness, facts)) {
        await notStarted({ ...notRun("skipped", freshReason(freshness)), fresh: true });
        continue;
      }
      let result: StepResult;
      const parent = interrupted ? Cancellation.untilForced(cancellation) : cancellation;
      const gateStarted = performance.now();
      // The plan made before the run stands unless a template waited for the run, or `type: env` steps change what processes get.
      const live = planned.deferred || setsEnv ? await planNow(planned, path) : planned;
      if (!("kind" in live)) {
        result = live;
      } else if (run.dryRun && !live.kind.behaviours.dryRun) {
        // A dry run shows what would run; later steps that do run read empty results from it.
        result = notRun("skipped", `dry run: ${live.kind.describe(live)}`);
        results.settleDry(live);
        await emit({ type: "step.end", path, result });
      } else {
        try {
          // The readiness gate comes before the step's start: the step starts once services are ready.
          if (services && waitsForServices(live.kind, live.step)) await services.gate(live.name, parent);
          // `exec` hands the run over: nothing of muster's may outlive its start.
          if (services && live.kind.behaviours.teardownFirst) await services.teardown();
          // Atmos' show.count numbers a step among all top-level steps (those before --from-step included).
          const position = { index: start + offset + 1, total: plan.steps.length };
          result = await runPlannedStep(live, path, parent, (scope) => contextFor(live, path, scope, true), results, position);
        } catch (error) {
          // Only the gate throws here: a service that did not become ready fails the step it gates.
          result = { status: parent.canceled ? "canceled" : "failed", exitCode: exitCodeOf(error), durationMs: performance.now() - gateStarted, attempts: 0, timedOut: false, error: messageOf(error) };
          await emit({ type: "step.end", path, result });
        }
      }
      outcomes.push({ name: planned.name, result });
      // Recorded only after the step succeeded, as in Atmos: a failed step never counts as up to date.
      if (result.status === "succeeded" && (freshness?.inputs || freshness?.artifacts)) await recordFreshness(planned.step, run, emit);
      await left(result);
      if (result.endsRun && !ended) ended = planned.name;
      if (result.status !== "failed") continue;
      if (judge.forgives(continueOn)) {
        // `continue:` forgives the failure: the run goes on as if it had succeeded, and exits 0.
        await emit({ type: "message", level: "warn", text: `step "${planned.name}" failed (${result.error ?? `exit code ${result.exitCode}`}); continuing (continue: ${conditionText(continueOn!)})` });
        continue;
      }
      if (!failed) failed = { step: planned.name, code: result.exitCode || EXIT_FAILURE };
    }
  } finally {
    identityScope.cancel("SIGTERM", "the run ended");
    await services?.teardown({ failed: failed !== undefined });
  }
  return { exitCode: failed?.code ?? 0, failedStep: failed?.step, results: outcomes };
}

/**
 * Judges a step's `when:`/`continue:`. A CEL condition that cannot be
 * evaluated (a missing `env` key) stops the workflow, as in Atmos; after an
 * interrupt or an `exit` step (`strict` false) it only keeps the step from running.
 */
function conditionJudge(step: StepBase, ctx: Omit<ConditionContext, "status">) {
  const stop = (field: "when" | "continue", error: unknown): never => {
    if (!(error instanceof ConditionEvaluationError)) throw error;
    const at = step.sourceOf([field]);
    throw new MusterError(`${at.file}:${at.line}:${at.col}: step "${step.name}": field "${field}": ${error.message}; the workflow stops`);
  };
  return {
    runs(when: Condition | undefined, status: ConditionContext["status"], strict: boolean): boolean {
      try {
        return shouldRun(when, { ...ctx, status });
      } catch (error) {
        if (!strict && error instanceof ConditionEvaluationError) return false;
        return stop("when", error);
      }
    },
    forgives(continueOn: Condition | undefined): boolean {
      try {
        return forgives(continueOn, ctx);
      } catch (error) {
        return stop("continue", error);
      }
    },
  };
}

/** Whether a step (or a group's child) talks to the engine: a container step, or a step with a sandbox. */
function usesEngine(steps: PlannedStep[]): boolean {
  const inSandbox = (step: StepBase): boolean =>
    Boolean((step as { container?: unknown }).container) || ((step as { steps?: StepBase[] }).steps ?? []).some(inSandbox);
  return steps.some((s) => s.kind.behaviours.usesEngine || inSandbox(s.step));
}

/** A top-level step's freshness facts (loading the module); `force` makes them say "out of date". A fact that cannot be computed stops the run, as in Atmos. */
async function freshnessFacts(step: StepBase, run: RunContext, force: boolean): Promise<FreshnessFacts> {
  const declared = step.freshness!;
  const { computeFacts } = await freshnessModule();
  let facts: FreshnessFacts;
  try {
    facts = await computeFacts(declared, needsOf(step.when, declared), freshnessIdentity(run, step, platform.cwd()));
  } catch (error) {
    const field = declared.inputs ? "inputs" : declared.artifacts ? "artifacts" : "preconditions";
    const at = step.sourceOf([field]);
    throw new MusterError(`${at.file}:${at.line}:${at.col}: step "${step.name}": field "${field}": ${messageOf(error)}; the workflow stops`);
  }
  return force ? { ...facts, checksumChanged: true, timestampChanged: true, preconditionsSuccess: false } : facts;
}

/** Records a succeeded step's sources hash; a failure to write it is a warning, not the step's failure (as in Atmos). */
async function recordFreshness(step: StepBase, run: RunContext, emit: (event: RunEvent) => void | Promise<void>): Promise<void> {
  if (run.dryRun) return;
  const { recordSuccess } = await freshnessModule();
  try {
    await recordSuccess(step.freshness!, freshnessIdentity(run, step, platform.cwd()));
  } catch (error) {
    await emit({ type: "message", level: "warn", text: `step "${step.name}": its freshness state was not recorded (${messageOf(error)}); it runs again next time` });
  }
}

/** The facts as CEL's variables. */
function factVariables(facts: FreshnessFacts): FreshnessVariables {
  return { checksum: { changed: facts.checksumChanged }, timestamp: { changed: facts.timestampChanged }, preconditions: { success: facts.preconditionsSuccess }, sources: facts.sources, artifacts: facts.artifacts };
}
