/**
 * The plan of a step: its templates rendered, its defaults applied (stack,
 * environment, working directory handed down from the workflow and groups)
 * and its group children expanded.
 *
 * Templates are rendered immediately before each step runs, against the
 * run's state (`.steps`, `.env` as `type: env` steps left it): that is
 * {@linkcode planForRun}. Before the run, {@linkcode buildPlan} plans every
 * step against the initial state, for `describe`, `--dry-run` and the
 * checks that must pass before anything starts (a missing `--var` never
 * surfaces halfway through a deployment); templates that read what only the
 * run can know are kept as written there.
 * @module
 */
import { PlanError, TemplateError, type Diagnostic } from "../errors.ts";
import { kindOfStep } from "../steps/index.ts";
import type { AnyKind, ChildToPlan, PlannedStep, PlanScope, TemplateField } from "../steps/kind.ts";
import { renderCode, type RenderedCode, TRUSTED_ROOTS } from "../shell/render-code.ts";
import { compileTemplate, MissingKeyError, renderTemplate, renderTemplateParts, type TemplateData } from "../template/index.ts";
import { RunState } from "../workflow/run-state.ts";
import type { Inherited, StepBase, Workflow } from "../workflow/types.ts";

import type { RunContext } from "../workflow/run-context.ts";

/** A workflow, planned. */
export interface Plan {
  workflow: Workflow;
  steps: PlannedStep[];
  /** Every template or command that could not be resolved, positioned; the run must not start while there are any. */
  errors: Diagnostic[];
}

/** Roots whose values only the run knows: templates reading them are rendered only when their step runs. */
const RESULT_ROOTS = new Set(["steps"]);
/** With `type: env` steps, `.env` changes during the run too. */
const RESULT_AND_ENV_ROOTS = new Set(["steps", "env", "Env"]);

/**
 * Whether the workflow has `type: env` steps: then `.env` and the
 * environment of processes change during the run, and every step is
 * planned again just before it runs.
 */
export function changesEnv(workflow: Workflow): boolean {
  return workflow.steps.some((s) => s.type === "env");
}

/** Plans `ctx.workflow` against the initial state; problems are collected in `errors`, never thrown. */
export function buildPlan(ctx: RunContext): Plan {
  const errors: Diagnostic[] = [];
  const state = new RunState(ctx.env, ctx.vars, ctx.workflow.name);
  const inherited: Inherited = { stack: ctx.workflow.stack, env: ctx.workflow.env, workingDirectory: ctx.workflow.workingDirectory };
  const runTimeRoots = changesEnv(ctx.workflow) ? RESULT_AND_ENV_ROOTS : RESULT_ROOTS;
  const planner = new Planner(ctx, state, errors, (text) => readsRoots(text, runTimeRoots));
  const steps = ctx.workflow.steps.map((step) => planner.plan({ name: step.name, step, needs: [] }, inherited, `step "${step.name}"`));
  return { workflow: ctx.workflow, steps, errors };
}

/**
 * Plans `planned` again against `state`, just before it runs.
 *
 * @throws {StepTemplateError} naming the field, the template and its position when a template cannot be rendered.
 */
export function planForRun(ctx: RunContext, state: RunState, planned: PlannedStep): PlannedStep {
  const errors: Diagnostic[] = [];
  const live = new Planner(ctx, state, errors, () => false).plan(planned.origin.child, planned.origin.inherited, planned.origin.where, planned.kind);
  if (errors.length > 0) throw new StepTemplateError(errors);
  return live;
}

/** A step whose templates failed to render when it was about to run. */
export class StepTemplateError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n"));
  }
}

/** Whether a template reads one of `roots` (a template that does not parse reads nothing here: validate reports it). */
function readsRoots(text: string, roots: ReadonlySet<string>): boolean {
  if (!text.includes("{{")) return false;
  try {
    return compileTemplate(text).references.some((r) => roots.has(r.path[0]!));
  } catch {
    return false;
  }
}

class Planner {
  constructor(
    readonly ctx: RunContext,
    readonly state: RunState,
    readonly errors: Diagnostic[],
    /** Templates kept as written (before the run, those that need it). */
    readonly defer: (text: string) => boolean,
  ) {}

  plan(child: ChildToPlan, inherited: Inherited, where: string, kind?: AnyKind): PlannedStep {
    return this.#plan(child, inherited, where, kind).planned;
  }

  /** `where` names the step in messages: `step "g", child "c"`. */
  #plan(child: ChildToPlan, inherited: Inherited, where: string, knownKind?: AnyKind): { planned: PlannedStep; scope: PlanScope } {
    const { ctx, state, errors } = this;
    const { step, name, matrix } = child;
    const kind = knownKind ?? kindOfStep(step);
    let deferred = false;
    const failed = (field: TemplateField, error: unknown): void => {
      if (!(error instanceof TemplateError)) throw error;
      const owner = field.owner ?? step;
      const base = field.textOffset ?? 0;
      const exact = error.offset !== undefined && field.path.length > 0 && base >= 0;
      const at = exact ? owner.sourceOf(field.path, base + error.offset!) : owner.sourceOf(field.path);
      errors.push({ ...at, message: `workflow "${ctx.workflow.name}", ${where}: field "${field.field}": ${error.message}${hintFor(error)}` });
    };
    const render = (field: TemplateField, data: TemplateData): string => {
      // A command field renders only through renderCode: its values from outside must never become code.
      if (field.code) throw new Error(`internal error: field "${field.field}" of a ${step.type} step is code, rendered as text`);
      if (this.defer(field.text)) {
        deferred = true;
        return field.text;
      }
      try {
        return renderTemplate(field.text, data, { quoteStyle: field.quoteStyle ?? "go", env: ctx.env });
      } catch (error) {
        failed(field, error);
        return field.text;
      }
    };
    // The data variables of this step's command fields so far: numbering goes on across its fields.
    const dataEnv: Record<string, string> = {};
    const renderCodeField = (field: TemplateField, data: TemplateData): RenderedCode => {
      if (this.defer(field.text)) {
        deferred = true;
        return { text: field.text, env: {}, display: field.text };
      }
      try {
        const parts = renderTemplateParts(field.text, data, { quoteStyle: "shell", env: ctx.env, trusted: TRUSTED_ROOTS });
        const rendered = renderCode(parts, field.code!, dataEnv);
        Object.assign(dataEnv, rendered.env);
        return rendered;
      } catch (error) {
        failed(field, error);
        return { text: field.text, env: {}, display: field.text };
      }
    };
    const ownStack = (step as StepBase & { stack?: string }).stack;
    const stackText = ctx.stackFlag || ownStack || inherited.stack || undefined;
    const stack = stackText === undefined
      ? undefined
      : render({ field: "stack", path: ownStack && !ctx.stackFlag ? ["stack"] : [], text: stackText }, state.templateData(name, undefined, matrix));
    const data = state.templateData(name, stack, matrix);
    const scope: PlanScope = {
      run: ctx,
      name,
      inherited,
      matrix,
      stack,
      data,
      exported: state.exported,
      render: (field, envOverlay) => render(field, envOverlay ? state.templateData(name, stack, matrix, envOverlay) : data),
      renderCode: (field, envOverlay) => renderCodeField(field, envOverlay ? state.templateData(name, stack, matrix, envOverlay) : data),
      // Children are planned again when dispatched (after the siblings they need): here their reads of results wait.
      planChildren: (children, childInherited) => {
        const planner = new Planner(ctx, state, errors, (text) => this.defer(text) || readsRoots(text, RESULT_ROOTS));
        return children.map((c) => planner.#plan(c, childInherited, `${where}, child "${c.name}"`));
      },
    };
    const planned: PlannedStep = { step, kind, name, needs: child.needs, matrix, resolved: null, origin: { child, inherited, where } };
    try {
      planned.resolved = kind.plan(step, scope);
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      errors.push({ ...step.sourceOf(["command"]), message: `workflow "${ctx.workflow.name}", ${where}: ${error.message.replace(/^step "[^"]*": /, "")}` });
      planned.unresolved = true;
    }
    if (deferred) planned.deferred = true;
    return { planned, scope };
  }
}

/** What to do about a missing key, when muster knows. */
function hintFor(error: TemplateError): string {
  if (!(error instanceof MissingKeyError)) return "";
  const known = error.known && error.known.length > 0 ? ` (known: ${error.known.slice(0, 12).join(", ")})` : "";
  if (error.root === "." && error.path[0] === "vars" && error.path.length === 2) return `; pass it with --var ${error.path[1]}=VALUE${known}`;
  if (error.root === "." && error.path[0] === "steps" && error.path.length === 2) return ` (a step's result exists once it has succeeded${known ? `; results so far: ${error.known!.join(", ")}` : ""})`;
  return known;
}
