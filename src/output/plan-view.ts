/**
 * The human and JSON views of a resolved workflow, for `describe` and `--dry-run`.
 * @module
 */
import { formatDuration } from "../workflow/duration.ts";
import { expandGroup } from "../workflow/expand.ts";
import { PlanError, resolveStep, stackFor, type RunContext } from "../workflow/plan.ts";
import { shellQuote } from "../workflow/shell-words.ts";
import type { ContainerStep, Step } from "../workflow/types.ts";

/** A step as `describe --json` shows it. */
export interface StepView {
  name: string;
  type: Step["type"];
  when?: string;
  stack?: string;
  command?: string;
  argv?: string[];
  cwd?: string;
  env?: Record<string, string>;
  error?: string;
  children?: StepView[];
  needs?: string[];
  container?: ContainerStep["container"] & { background: boolean };
  targets?: string[];
  settings?: Record<string, unknown>;
}

function leafView(step: Step, ctx: RunContext, display = step.name, matrix?: Record<string, string | number | boolean>): StepView {
  if (step.type !== "shell" && step.type !== "atmos" && step.type !== "sleep") return { name: display, type: step.type };
  try {
    const r = resolveStep(step, ctx, matrix, display);
    return { name: display, type: step.type, stack: r.stack, command: r.command, argv: r.argv, cwd: r.cwd, env: r.envOverrides };
  } catch (error) {
    if (error instanceof PlanError) return { name: display, type: step.type, error: error.message };
    throw error;
  }
}

/**
 * Resolves every step for display. Template errors are shown, not thrown,
 * so that `describe` works before all `--var`s are known.
 */
export function planView(ctx: RunContext): StepView[] {
  return ctx.workflow.steps.map((step): StepView => {
    const when = step.when === "success" ? undefined : step.when;
    switch (step.type) {
      case "parallel":
      case "matrix":
        return {
          name: step.name,
          type: step.type,
          when,
          settings: { max_concurrency: step.maxConcurrency, fail: step.fail, output: step.output },
          children: expandGroup(step).map((child) => ({
            ...leafView(child.step, ctx, child.name, child.matrix),
            needs: child.needs.length > 0 ? child.needs : undefined,
          })),
        };
      case "container":
        return { name: step.name, type: step.type, when, stack: stackFor(step, ctx), container: { ...step.container, background: step.background } };
      case "wait":
      case "cancel":
        return { name: step.name, type: step.type, when, targets: step.targets };
      case "wait-all":
        return { name: step.name, type: step.type, when };
      default:
        return { ...leafView(step, ctx), when };
    }
  });
}

function leafLines(view: StepView, indent: string): string[] {
  const head = `${view.name} (${view.type}${view.stack ? `, stack ${view.stack}` : ""}${view.when ? `, when ${view.when}` : ""})`;
  const lines = [`${indent}${head}`];
  if (view.needs) lines.push(`${indent}  needs: ${view.needs.join(", ")}`);
  if (view.error) lines.push(`${indent}  cannot resolve: ${view.error}`);
  else if (view.argv) lines.push(`${indent}  $ ${view.argv.map(shellQuote).join(" ")}`);
  return lines;
}

/** Renders the plan as indented text. */
export function renderPlanText(workflowName: string, file: string, views: StepView[]): string {
  const lines = [`workflow ${workflowName} (${file})`];
  views.forEach((view, i) => {
    const n = `${i + 1}.`;
    if (view.children) {
      const s = view.settings as { max_concurrency: number; fail: { mode: string }; output: { mode: string } };
      lines.push(`  ${n} ${view.name} (${view.type}, max_concurrency ${s.max_concurrency || "unbounded"}, fail ${s.fail.mode}, output ${s.output.mode}, ${view.children.length} children)`);
      for (const child of view.children) lines.push(...leafLines(child, "       "));
    } else if (view.container) {
      const c = view.container;
      lines.push(`  ${n} ${view.name} (container${c.background ? ", background" : ""})`);
      lines.push(`       image ${c.image} (pull ${c.pull})${c.command ? ` command ${c.command.map(shellQuote).join(" ")}` : ""}`);
      for (const p of c.ports) lines.push(`       port ${p.hostIp}:${p.host ?? "(random)"} -> ${p.container}/${p.protocol}`);
      if (c.healthcheck) {
        const h = c.healthcheck;
        lines.push(`       healthcheck ${h.test.join(" ")}${h.intervalMs !== undefined ? ` every ${formatDuration(h.intervalMs)}` : ""}${h.retries !== undefined ? `, ${h.retries} retries` : ""}`);
      }
    } else if (view.targets) {
      lines.push(`  ${n} ${view.name} (${view.type} ${view.targets.join(", ")})`);
    } else {
      const [first, ...rest] = leafLines(view, "");
      lines.push(`  ${n} ${first}`, ...rest.map((l) => `       ${l.trimStart()}`));
    }
  });
  return `${lines.join("\n")}\n`;
}

/** Every step that cannot be resolved, as messages; empty when the plan is complete. */
export function planErrors(views: StepView[]): string[] {
  return views.flatMap((view) => [view, ...(view.children ?? [])]).flatMap((view) => (view.error ? [view.error] : []));
}
