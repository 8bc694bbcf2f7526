/**
 * The `yaml` library (the positioned parser), loaded only when a run needs
 * it: a file the fast path cannot take, a problem to report with its line
 * and column, or a run without a fast parser (Deno). Loading it costs a
 * run 8-11 ms (measured on the compiled binary), which a valid file read by
 * `Bun.YAML` no longer pays.
 * @module
 */
import type * as Yaml from "yaml";
import { platform } from "../platform/index.ts";

let library: typeof Yaml | undefined;

/**
 * Loads the library (once).
 *
 * @example
 * ```ts
 * await loadYamlLibrary();
 * yamlLibrary().parseDocument("a: 1");
 * ```
 */
export async function loadYamlLibrary(): Promise<typeof Yaml> {
  library ??= await import("yaml");
  return library;
}

/**
 * The library, for synchronous code: loaded before (`loadYamlLibrary`), or
 * now where the runtime can load synchronously (Bun).
 */
export function yamlLibrary(): typeof Yaml {
  if (library) return library;
  if (!platform.loadYamlSync) throw new Error("internal error: the yaml library was not loaded before a position was asked for (call loadYamlLibrary first)");
  const loaded = platform.loadYamlSync() as typeof Yaml;
  library = loaded;
  return loaded;
}
