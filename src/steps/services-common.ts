/**
 * What `wait`, `wait-all` and `cancel` share: naming background services.
 * @module
 */
import type { StepBase } from "../workflow/types.ts";
import type { PlannedStep } from "./kind.ts";

/** A `wait` or `cancel` step: the services it names. */
export interface ServiceTargetStep extends StepBase {
  type: "wait" | "cancel";
  targets: string[];
}

/** The describe/dry-run text of a step that names services. */
export function targetsViewText(planned: PlannedStep<ServiceTargetStep, unknown>): { head: string; lines: string[] } {
  const timeout = planned.step.timeoutMs !== undefined ? `, timeout ${planned.step.timeoutMs}ms` : "";
  return { head: `${planned.step.type} ${planned.step.targets.join(", ")}${timeout}`, lines: [] };
}
