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

/** Builds the runners `engine.run.workflow` needs. */
export async function stepRunners(engine: EngineContext): Promise<StepRuntime> {
  const types = new Set(engine.run.workflow.steps.map((s) => s.type));
  const runners: StepRuntime["runners"] = {};
  if (types.has("parallel") || types.has("matrix")) {
    const { runGroupStep } = await import("../engine/run-group.ts");
    runners.parallel = runners.matrix = runGroupStep;
  }
  return { runners, teardown: async () => {} };
}
