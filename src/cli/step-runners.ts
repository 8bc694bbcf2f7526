/**
 * The runners for step types beyond shell/atmos/sleep, loaded only when a
 * workflow uses them so that simple runs start fast.
 * @internal
 * @module
 */
import type { EngineContext, StepRunner } from "../engine/run-workflow.ts";
import type { Step } from "../workflow/types.ts";

/** What a run needs from the optional runtimes. */
export interface StepRuntime {
  runners: Partial<Record<Step["type"], StepRunner>>;
  beforeStep?: (step: Step) => Promise<void>;
  teardown(): Promise<void>;
}

const CONTAINER_TYPES = new Set<Step["type"]>(["container", "wait", "wait-all", "cancel"]);

/** Builds the runners `engine.run.workflow` needs. */
export async function stepRunners(engine: EngineContext): Promise<StepRuntime> {
  const types = new Set(engine.run.workflow.steps.map((s) => s.type));
  const runtime: StepRuntime = { runners: {}, teardown: async () => {} };
  if (types.has("parallel") || types.has("matrix")) {
    const { runGroupStep } = await import("../engine/run-group.ts");
    runtime.runners.parallel = runtime.runners.matrix = runGroupStep;
  }
  if ([...types].some((t) => CONTAINER_TYPES.has(t))) {
    const { ServiceManager, pruneOrphans } = await import("../engine/services.ts");
    const services = new ServiceManager(engine);
    // Containers left by a muster that was killed (-9) go before we start ours.
    // An engine that does not answer is reported by the first container step.
    await services.docker().then(pruneOrphans).catch(() => {});
    runtime.runners.container = (step) => services.run(step);
    runtime.runners.wait = runtime.runners["wait-all"] = (step) => services.wait(step);
    runtime.runners.cancel = (step) => services.cancel(step);
    runtime.beforeStep = (step) => services.gate(step);
    runtime.teardown = () => services.teardown();
  }
  return runtime;
}
