/**
 * `type: matrix`: the children run once per combination of the matrix axes
 * (minus `exclude`, plus `include`), concurrently.
 * @module
 */
import * as v from "valibot";
import { expandGroup } from "./group-expand.ts";
import { mapOf, matrixAxis, matrixCombinations } from "../workflow/schema.ts";
import type { BuildContext, StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { buildGroup, type GroupPlan, groupFields, groupKindParts, type GroupStep, type MatrixSpec, planGroup } from "./group.ts";

function buildMatrix(raw: Record<string, unknown>, ctx: BuildContext): MatrixSpec | undefined {
  let ok = true;
  const spec: MatrixSpec = { axes: [], include: [], exclude: [] };
  for (const [axis, values] of Object.entries(raw)) {
    if (axis === "include" || axis === "exclude") {
      const combos = ctx.check(matrixCombinations, values, ["matrix", axis]);
      if (combos) spec[axis] = combos;
      else ok = false;
      continue;
    }
    if (axis.trim() === "") {
      ctx.report(["matrix", axis], `a matrix axis has an empty name (expected a name such as "os")`, "key");
      ok = false;
      continue;
    }
    if (Array.isArray(values) && values.length === 0) {
      ctx.report(["matrix", axis], `matrix axis "${axis}" is empty (expected at least one value)`);
      ok = false;
      continue;
    }
    const parsed = ctx.check(matrixAxis, values, ["matrix", axis]);
    if (parsed) spec.axes.push({ name: axis, values: parsed });
    else ok = false;
  }
  if (ok && spec.axes.length === 0 && spec.include.length === 0) {
    ctx.report(["matrix"], `the matrix has no axes (expected at least one axis such as "os: [linux, darwin]")`);
    ok = false;
  }
  return ok ? spec : undefined;
}

/** The matrix step kind. */
export const matrix: StepKind<GroupStep, GroupPlan> = defineKind({
  ...groupKindParts,
  type: "matrix",
  summary: "Run child steps once per combination of the matrix axes, concurrently",
  fields: () => ({ ...groupFields, matrix: mapOf(v.string(), v.unknown(), "a map of axis names to lists of values") }),
  build(fields, base, ctx) {
    const spec = buildMatrix(fields.matrix, ctx);
    const group = buildGroup("matrix", fields, base, ctx);
    return spec && group ? { ...group, matrix: spec } : undefined;
  },
  plan: (step, scope) => planGroup(step, scope, expandGroup(step)),
});
