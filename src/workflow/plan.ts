/**
 * The plan of a run: every step of a workflow with its templates rendered,
 * its defaults applied (stack, environment, working directory handed down
 * from the workflow and groups) and its group children expanded. The engine
 * runs a plan; `describe` and `--dry-run` show one; `workflow` refuses to
 * start (exit 2) while the plan has errors, so that a missing `--var` never
 * surfaces halfway through a deployment.
 * @module
 */
import { PlanError, TemplateError, type Diagnostic } from "../errors.ts";
import { kindOfStep } from "../steps/index.ts";
import type { ChildToPlan, PlannedStep, PlanScope, TemplateField } from "../steps/kind.ts";
import { renderTemplate, type TemplateData } from "./template.ts";
import type { Inherited, MatrixCombination, StepBase, Workflow } from "./types.ts";

/** What a run knows before any step starts. */
export interface RunContext {
  workflow: Workflow;
  /** `-s/--stack` (or ATMOS_STACK); wins over workflow, group and step stacks. */
  stackFlag?: string;
  vars: Record<string, string>;
  /** muster's own environment. */
  env: Record<string, string>;
  /** Relative working directories are resolved against this. */
  baseDir: string;
  /** The atmos executable. */
  atmosBin: string;
  /** Shell used for shell steps. */
  shell: string[];
  /** The workflow file (absolute): container volume sources are relative to its folder. */
  workflowFile?: string;
}

/** A workflow, planned. */
export interface Plan {
  workflow: Workflow;
  steps: PlannedStep[];
  /** Every template or command that could not be resolved, positioned; the run must not start while there are any. */
  errors: Diagnostic[];
}

/**
 * The data templates of a step see.
 *
 * @example
 * ```ts
 * templateData("greet", ctx, "dev").stack; // "dev"
 * ```
 */
export function templateData(name: string, ctx: RunContext, stack: string | undefined, matrix?: MatrixCombination): TemplateData {
  return {
    vars: ctx.vars,
    env: ctx.env,
    stack: stack ?? "",
    workflow: { name: ctx.workflow.name },
    step: { name },
    ...(matrix ? { matrix } : {}),
  };
}

/** Plans `ctx.workflow`; problems are collected in `errors`, never thrown. */
export function buildPlan(ctx: RunContext): Plan {
  const errors: Diagnostic[] = [];
  const inherited: Inherited = { stack: ctx.workflow.stack, env: ctx.workflow.env, workingDirectory: ctx.workflow.workingDirectory };
  const steps = ctx.workflow.steps.map((step) => planStep(ctx, errors, { name: step.name, step, needs: [] }, inherited, `step "${step.name}"`).planned);
  return { workflow: ctx.workflow, steps, errors };
}

/** `where` names the step in messages: `step "g", child "c"`. */
function planStep(ctx: RunContext, errors: Diagnostic[], child: ChildToPlan, inherited: Inherited, where: string): { planned: PlannedStep; scope: PlanScope } {
  const { step, name, matrix } = child;
  const kind = kindOfStep(step);
  const render = (field: TemplateField, data: TemplateData): string => {
    try {
      return renderTemplate(field.text, data);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const at = (field.owner ?? step).sourceOf(field.path);
      errors.push({ ...at, message: `workflow "${ctx.workflow.name}", ${where}: field "${field.field}": ${error.message}` });
      return field.text;
    }
  };
  const ownStack = (step as StepBase & { stack?: string }).stack;
  const stackText = ctx.stackFlag || ownStack || inherited.stack || undefined;
  const stack = stackText === undefined
    ? undefined
    : render({ field: "stack", path: ownStack && !ctx.stackFlag ? ["stack"] : [], text: stackText }, templateData(name, ctx, undefined, matrix));
  const data = templateData(name, ctx, stack, matrix);
  const scope: PlanScope = {
    run: ctx,
    name,
    inherited,
    matrix,
    stack,
    data,
    render: (field) => render(field, data),
    planChildren: (children, childInherited) => children.map((c) => planStep(ctx, errors, c, childInherited, `${where}, child "${c.name}"`)),
  };
  const planned: PlannedStep = { step, kind, name, needs: child.needs, matrix, resolved: null };
  try {
    planned.resolved = kind.plan(step, scope);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    errors.push({ ...step.sourceOf(["command"]), message: `workflow "${ctx.workflow.name}", ${where}: ${error.message.replace(/^step "[^"]*": /, "")}` });
    planned.unresolved = true;
  }
  return { planned, scope };
}
