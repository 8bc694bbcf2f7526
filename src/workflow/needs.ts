/**
 * Cycles in `needs`.
 * @module
 */

/**
 * Finds a cycle in `needs`, returned as names with the first repeated at the end.
 *
 * @example
 * ```ts
 * findCycle([{ name: "a", needs: ["b"] }, { name: "b", needs: ["a"] }]); // ["a", "b", "a"]
 * ```
 */
export function findCycle(steps: ReadonlyArray<{ name: string; needs: string[] }>): string[] | undefined {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const need of byName.get(name)?.needs ?? []) {
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const step of steps) {
    const cycle = visit(step.name);
    if (cycle) return cycle;
  }
  return undefined;
}
