/**
 * Every function a template may call: Go's predefined ones, then Sprig's.
 * @module
 */
import { BUILTINS } from "./builtins.ts";
import type { TemplateFunction } from "./function-types.ts";
import { SPRIG } from "./sprig.ts";

/** The functions by name. */
export const FUNCTIONS: Record<string, TemplateFunction> = { ...SPRIG, ...BUILTINS };

/** Whether `name` is a function templates may call. */
export const isFunction = (name: string): boolean => Object.hasOwn(FUNCTIONS, name);

/**
 * The known function nearest to `name`, when one is close enough to be a typo.
 *
 * @example
 * ```ts
 * suggestFunction("uper"); // "upper"
 * ```
 */
export function suggestFunction(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of Object.keys(FUNCTIONS)) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(name.length / 3)) ? best.name : undefined;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
