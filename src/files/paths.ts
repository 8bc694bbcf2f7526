/**
 * Path containment, for the checks that keep files inside a directory
 * (`MUSTER_CONFINE`, `--restrict-host`).
 * @module
 */
import { sep } from "node:path";

/**
 * Whether `path` is `dir` or below it (both absolute and normalised; a
 * sibling that merely shares the prefix, `/repo2` for `/repo`, is not).
 *
 * @example
 * ```ts
 * isWithin("/repo", "/repo/a/b"); // true
 * isWithin("/repo", "/repo2"); // false
 * ```
 */
export function isWithin(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
