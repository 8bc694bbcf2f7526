/**
 * Turning a `parallel` or `matrix` step into the flat list of children the
 * scheduler runs, with `needs` resolved to those children's names.
 * @module
 */
import type { ChildToPlan } from "./kind.ts";
import type { GroupStep } from "./group-types.ts";
import { expandMatrix, matrixChildName } from "./matrix-expand.ts";

/**
 * Lists the children of `group` in definition order. A matrix combination's
 * children without `needs` are chained in declared order.
 *
 * @example
 * ```ts
 * expandGroup(matrixStep).map((c) => c.name); // ["test (linux, 1.22)", "test (linux, 1.23)"]
 * ```
 */
export function expandGroup(group: Pick<GroupStep, "type" | "steps" | "matrix">): ChildToPlan[] {
  if (group.type === "parallel" || !group.matrix) {
    return group.steps.map((step) => ({ name: step.name, step, needs: step.needs }));
  }
  const children: ChildToPlan[] = [];
  for (const combo of expandMatrix(group.matrix)) {
    group.steps.forEach((step, index) => {
      // As in Atmos, a combination's children run in declared order: one without `needs` waits for
      // the child declared before it. `needs` says otherwise. Combinations still run concurrently.
      const previous = index > 0 ? [matrixChildName(group.steps[index - 1]!.name, combo)] : [];
      children.push({
        name: matrixChildName(step.name, combo),
        step,
        matrix: combo,
        needs: step.needs.length > 0 ? step.needs.map((need) => matrixChildName(need, combo)) : previous,
      });
    });
  }
  return children;
}
