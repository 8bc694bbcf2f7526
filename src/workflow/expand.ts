/**
 * Turning a `parallel` or `matrix` step into the flat list of children the
 * scheduler runs, with `needs` resolved to those children's names.
 * @module
 */
import { expandMatrix, matrixChildName } from "./matrix.ts";
import type { ControlStep, LeafStep, MatrixCombination } from "./types.ts";

/** One schedulable child of a control step. */
export interface GroupChild {
  /** Unique within the group; a matrix child's name carries its values. */
  name: string;
  step: LeafStep;
  matrix?: MatrixCombination;
  /** Names of children (in this list) that must succeed first. */
  needs: string[];
}

/**
 * Lists the children of `control` in definition order.
 *
 * @example
 * ```ts
 * expandGroup(matrixStep).map((c) => c.name); // ["test (linux, 1.22)", "test (darwin, 1.22)"]
 * ```
 */
export function expandGroup(control: ControlStep): GroupChild[] {
  if (control.type === "parallel" || !control.matrix) {
    return control.steps.map((step) => ({ name: step.name, step, needs: step.needs }));
  }
  const children: GroupChild[] = [];
  for (const combo of expandMatrix(control.matrix)) {
    for (const step of control.steps) {
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
