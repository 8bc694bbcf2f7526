/**
 * The human and JSON views of a plan, for `describe` and `--dry-run`. Each
 * step kind says how it looks (`view`, `viewText`); this only lays them out.
 * @module
 */
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { conditionText } from "../workflow/condition.ts";
import type { Plan } from "../load/plan.ts";
import type { PlannedStep, StepView } from "../steps/kind.ts";
import { formatDuration } from "../workflow/duration.ts";

function generic(planned: PlannedStep): string[] {
  const parts: string[] = [];
  const { step } = planned;
  if (step.when) parts.push(`when ${conditionText(step.when)}`);
  if (step.continueOn) parts.push(`continue ${conditionText(step.continueOn)}`);
  const fresh = step.freshness;
  // Freshness gates the step as `when` does: without `when` it is the step's implicit condition.
  if (fresh?.inputs) parts.push(`inputs ${fresh.inputs.sources.join(" ") || "(none)"}`);
  if (fresh?.artifacts) parts.push(`artifacts ${fresh.artifacts.paths.join(" ") || "(none)"}`);
  if (fresh?.preconditions) parts.push(`preconditions ${fresh.preconditions.tools.join(" ") || "(none)"}`);
  // Atmos' output mode, when one is written (the step's or the workflow's); a script's log is said by its own view.
  if (step.presentation?.output && step.type !== "script") parts.push(`output ${step.presentation.output}`);
  if (planned.kind.behaviours.timeout && step.timeoutMs !== undefined) parts.push(`timeout ${formatDuration(step.timeoutMs)}`);
  if (planned.kind.behaviours.retry && step.retry) {
    const r = step.retry;
    parts.push(`retry ${r.maxAttempts} attempts, ${r.backoff} from ${formatDuration(r.initialDelayMs)}`);
  }
  return parts;
}

/** A planned step as `describe --json` shows it. */
export function stepView(planned: PlannedStep): StepView {
  const view = planned.unresolved ? { name: planned.name, type: planned.kind.type, unresolved: true } : planned.kind.view(planned);
  const { step } = planned;
  return {
    ...view,
    ...(step.when ? { when: conditionText(step.when) } : {}),
    ...(step.continueOn ? { continue: conditionText(step.continueOn) } : {}),
    ...(step.freshness ?? {}),
    ...(Object.keys(step.outputs).length > 0 ? { outputs: step.outputs } : {}),
    ...(step.presentation?.output ? { output: step.presentation.output } : {}),
    ...(planned.kind.behaviours.timeout && step.timeoutMs !== undefined ? { timeout_ms: step.timeoutMs } : {}),
    ...(planned.kind.behaviours.retry && step.retry ? { retry: step.retry } : {}),
  };
}

/** The plan for `describe --json`. */
export function planJson(plan: Plan, file: string, stackFlag: string | undefined): unknown {
  return {
    workflow: plan.workflow.name,
    file,
    stack: stackFlag,
    steps: plan.steps.map(stepView),
    ...(plan.errors.length > 0 ? { errors: plan.errors.map(formatDiagnostic) } : {}),
  };
}

/** Renders the plan (from `fromStep` on) as indented text. */
export function renderPlanText(plan: Plan, file: string, fromStep?: string): string {
  const lines = [`workflow ${plan.workflow.name} (${file})`];
  const start = fromStep ? Math.max(0, plan.steps.findIndex((s) => s.name === fromStep)) : 0;
  plan.steps.slice(start).forEach((planned, i) => {
    const n = `${i + 1}.`;
    const text = planned.unresolved ? { head: planned.kind.type, lines: ["(cannot resolve: see below)"] } : planned.kind.viewText(planned);
    const head = [text.head, ...generic(planned)].join(", ");
    lines.push(`  ${n} ${planned.name} (${head})`);
    for (const line of text.lines) lines.push(`       ${line}`);
    for (const [name, template] of Object.entries(planned.step.outputs)) lines.push(`       output ${name} = ${template}`);
  });
  if (plan.errors.length > 0) {
    lines.push("cannot resolve:");
    for (const error of plan.errors) lines.push(`  ${formatDiagnostic(error)}`);
  }
  return `${lines.join("\n")}\n`;
}
