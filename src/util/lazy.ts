/**
 * One way to load a heavy module late: at the top of the file that needs it,
 * where readers and `scripts/check-imports.ts` see the dependency, instead
 * of an `await import(…)` inside a function body. The module loads on the
 * first call, once; every later call gets the same promise.
 * @module
 */

/**
 * A loader that imports on its first call and caches the module.
 *
 * @example
 * ```ts
 * const docker = lazy(() => import("../docker/client.ts"));
 * const { DockerClient } = await docker(); // imported here, the first time only
 * ```
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
