/**
 * What `parallel` and `matrix` share: the group fields (children,
 * `max_concurrency`, `fail`, `output`), building and checking the children,
 * planning them with the defaults the group hands down, and the plan view.
 * The runner (the ready queue and failure modes) is `group-run.ts`, beside it.
 * @module
 */
import * as v from "valibot";
import { findCycle } from "../workflow/needs.ts";
import { expect, fail, outputMode, outputSettings, wholeNumber } from "../workflow/schema.ts";
import type { MatrixCombination, StepBase } from "../workflow/types.ts";
import type { BuildContext, ChildToPlan, PlannedStep, PlanScope, StepContext, StepKind } from "./kind.ts";
import { GROUP } from "./behaviours.ts";
import type { FieldsOf } from "./define-kind.ts";
import { lazy } from "../util/lazy.ts";
import { runFieldsOf, type RunFieldsStep } from "./process.ts";
import { runFields } from "./schema.ts";

export type { FailMode, GroupPlan, GroupStep, MatrixSpec, OutputMode, OutputOrder, OutputSettings } from "./group-types.ts";
import type { GroupPlan, GroupStep } from "./group-types.ts";

/** The fields of a group. */
export const groupFields = {
  ...runFields,
  steps: v.array(v.unknown(), expect("a list of child steps")),
  max_concurrency: v.optional(wholeNumber(0), 0),
  fail: v.optional(fail, {}),
  // A mode string or a map: checked in buildGroup against outputMode/outputSettings.
  output: v.optional(v.unknown()),
};

/** A group is not retried as a whole: its children are, one by one. */
export function refuseGroupRetry(raw: Record<string, unknown>): { key: string; text: string } | undefined {
  if (!("retry" in raw)) return undefined;
  return { key: "retry", text: `"retry" is not supported on ${String(raw.type)} steps (expected it on the children, which are retried one by one)` };
}

/** Builds the common part of a group; undefined (with problems reported) when invalid. */
export function buildGroup(type: GroupStep["type"], fields: FieldsOf<typeof groupFields>, base: StepBase, ctx: BuildContext): GroupStep | undefined {
  const raw = fields.steps;
  let ok = true;
  if (raw.length === 0) {
    ctx.report(["steps"], `"steps" is empty (expected at least one child step)`);
    ok = false;
  }
  const children = ctx.children(raw);
  if (!children) ok = false;
  if (ok && children) ok = checkUniqueChildren(children, ctx) && checkNeeds(children, ctx);
  if (!ok || !children) return undefined;
  let output: v.InferOutput<typeof outputSettings> | undefined;
  if (typeof fields.output === "string") {
    const mode = ctx.check(outputMode, fields.output, ["output"]);
    output = mode === undefined ? undefined : v.parse(outputSettings, { mode });
  } else {
    output = ctx.check(outputSettings, fields.output ?? {}, ["output"]);
  }
  if (!output) return undefined;
  return {
    ...base,
    type,
    ...runFieldsOf(fields),
    maxConcurrency: fields.max_concurrency,
    fail: { mode: fields.fail.mode, maxFailures: fields.fail.max_failures },
    output: { mode: output.mode, order: output.order, showSummary: output.show_summary, prefix: output.prefix },
    steps: children,
  };
}

function checkUniqueChildren(children: StepBase[], ctx: BuildContext): boolean {
  const seen = new Map<string, StepBase>();
  let ok = true;
  children.forEach((child, index) => {
    const first = seen.get(child.name);
    if (first) {
      ctx.report(["steps", index], `duplicate child step name "${child.name}", first used at line ${first.source.line} (expected unique names)`);
      ok = false;
    } else seen.set(child.name, child);
  });
  return ok;
}

function checkNeeds(children: StepBase[], ctx: BuildContext): boolean {
  const names = new Set(children.map((c) => c.name));
  let ok = true;
  children.forEach((child, index) => {
    child.needs.forEach((need, n) => {
      const where = ["steps", index, "needs", n];
      if (!names.has(need)) {
        const others = [...names].filter((x) => x !== child.name).join(", ") || "no other children";
        ctx.report(where, `"needs" names unknown sibling "${need}" (expected one of: ${others})`, "value", `${ctx.where}, child "${child.name}"`);
        ok = false;
      } else if (need === child.name) {
        ctx.report(where, `a step cannot need itself (expected the names of other children)`, "value", `${ctx.where}, child "${child.name}"`);
        ok = false;
      }
    });
  });
  if (!ok) return false;
  const cycle = findCycle(children);
  if (cycle) {
    const index = children.findIndex((c) => c.name === cycle[0]);
    ctx.report(["steps", index, "needs"], `"needs" forms a cycle: ${cycle.join(" -> ")} (expected an order without cycles)`);
    return false;
  }
  return true;
}

/** Plans a group's expanded children and renders each one's output prefix. */
export function planGroup(step: GroupStep, scope: PlanScope, children: ChildToPlan[]): GroupPlan {
  const inherited = {
    stack: step.stack ?? scope.inherited.stack,
    env: { ...scope.inherited.env, ...step.env },
    workingDirectory: step.workingDirectory ?? scope.inherited.workingDirectory,
  };
  const planned = scope.planChildren(children, inherited);
  const prefixes = planned.map(({ scope: child }) => child.render({ field: "output.prefix", path: ["output", "prefix"], text: step.output.prefix, owner: step }));
  return { children: planned.map((p) => p.planned), prefixes };
}

/** The start-line detail of a group. */
export function describeGroup(planned: PlannedStep<GroupStep, GroupPlan>): string {
  const step = planned.step;
  const count = planned.resolved.children.length;
  const limit = step.maxConcurrency ? `, at most ${step.maxConcurrency} at once` : "";
  return `${step.type}: ${count} ${count === 1 ? "child" : "children"}${limit}, ${step.fail.mode}, ${step.output.mode}`;
}

/** The `describe --json` view of a group. */
export function viewGroup(planned: PlannedStep<GroupStep, GroupPlan>) {
  const step = planned.step;
  return {
    name: planned.name,
    type: step.type,
    settings: { max_concurrency: step.maxConcurrency, fail: step.fail, output: step.output, timeout_ms: step.timeoutMs },
    children: planned.resolved.children.map((child, i) => ({
      ...(child.unresolved ? { name: child.name, type: child.kind.type, unresolved: true } : child.kind.view(child)),
      prefix: planned.resolved.prefixes[i],
      ...(child.needs.length > 0 ? { needs: child.needs } : {}),
      ...(child.step.timeoutMs !== undefined ? { timeout_ms: child.step.timeoutMs } : {}),
      ...(child.step.retry ? { retry: child.step.retry } : {}),
    })),
  };
}

/** The describe/dry-run text of a group. */
export function viewGroupText(planned: PlannedStep<GroupStep, GroupPlan>): { head: string; lines: string[] } {
  const step = planned.step;
  const children = planned.resolved.children;
  const head = `${step.type}, max_concurrency ${step.maxConcurrency || "unbounded"}, fail ${step.fail.mode}, output ${step.output.mode}, ${children.length} children`;
  const lines = children.flatMap((child) => {
    const text = child.unresolved ? { head: child.kind.type, lines: ["(cannot resolve: see below)"] } : child.kind.viewText(child);
    return [`${child.name} (${text.head})`, ...text.lines.map((l) => `  ${l}`)];
  });
  return { head, lines };
}

/** The runner (the ready queue and failure modes), loaded on the first group that runs. */
const groupRunner = lazy(() => import("./group-run.ts"));

/** What `parallel` and `matrix` have in common as kinds: all but their type, summary, fields and build. */
export const groupKindParts = {
  behaviours: GROUP,
  refuse: refuseGroupRetry,
  templates: (step: GroupStep) => [{ field: "output.prefix", path: ["output", "prefix"], text: step.output.prefix }],
  describe: describeGroup,
  view: viewGroup,
  viewText: viewGroupText,
  run: async (planned: PlannedStep<GroupStep, GroupPlan>, ctx: StepContext) => (await groupRunner()).runGroupStep(planned, ctx),
} satisfies Partial<StepKind<GroupStep, GroupPlan>>;
