/**
 * Turning a `parallel` or `matrix` step into the flat list of children the
 * scheduler runs, with `needs` resolved to those children's names.
 * @module
 */
import type { ChildToPlan } from "../steps/kind.ts";
import type { GroupStep } from "../steps/group.ts";
import { expandMatrix, matrixChildName } from "./matrix.ts";

/**
 * Lists the children of `group` in definition order.
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
    for (const step of group.steps) {
      children.push({
        name: matrixChildName(step.name, combo),
        step,
        matrix: combo,
        needs: step.needs.map((need) => matrixChildName(need, combo)),
      });
    }
  }
  return children;
}
