/**
 * Expanding a `matrix` step into its combinations, GitHub Actions style:
 * the Cartesian product of the axes, minus `exclude`, plus `include`.
 * @module
 */
import type { MatrixSpec } from "./group-types.ts";
import type { MatrixCombination, MatrixValue } from "../workflow/types.ts";

const matches = (combo: MatrixCombination, partial: MatrixCombination) =>
  Object.entries(partial).every(([key, value]) => combo[key] === value);

/**
 * The combinations of `spec`, in axis order (the first axis varies slowest).
 *
 * @example
 * ```ts
 * expandMatrix({ axes: [{ name: "os", values: ["linux", "darwin"] }, { name: "go", values: ["1.22"] }], include: [], exclude: [] });
 * // [{ os: "linux", go: "1.22" }, { os: "darwin", go: "1.22" }]
 * ```
 */
export function expandMatrix(spec: MatrixSpec): MatrixCombination[] {
  let combos: MatrixCombination[] = spec.axes.length > 0 ? [{}] : [];
  for (const axis of spec.axes) {
    const next: MatrixCombination[] = [];
    for (const combo of combos) for (const value of axis.values) next.push({ ...combo, [axis.name]: value });
    combos = next;
  }
  combos = combos.filter((combo) => !spec.exclude.some((ex) => matches(combo, ex)));
  const axisNames = new Set(spec.axes.map((a) => a.name));
  for (const entry of spec.include) {
    // An include entry extends the combinations its axis values match without
    // overwriting them; otherwise it is a combination of its own.
    const onAxes = Object.fromEntries(Object.entries(entry).filter(([k]) => axisNames.has(k)));
    const extra = Object.fromEntries(Object.entries(entry).filter(([k]) => !axisNames.has(k)));
    const targets = Object.keys(onAxes).length > 0 ? combos.filter((c) => matches(c, onAxes)) : [];
    if (targets.length > 0 && Object.keys(extra).length > 0) for (const t of targets) Object.assign(t, extra);
    else if (targets.length === 0) combos.push({ ...entry });
  }
  return combos;
}

/**
 * The readable name of a matrix child: `test (linux, 1.22)`.
 *
 * @example
 * ```ts
 * matrixChildName("test", { os: "linux", go: "1.22" }); // "test (linux, 1.22)"
 * ```
 */
export function matrixChildName(child: string, combo: MatrixCombination): string {
  const values = Object.values(combo).map((v: MatrixValue) => String(v));
  return values.length > 0 ? `${child} (${values.join(", ")})` : child;
}
