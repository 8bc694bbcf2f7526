/**
 * Waiting that stops early when a signal aborts.
 * @module
 */

/**
 * Resolves `true` after `ms`, or `false` as soon as `signal` aborts.
 *
 * @example
 * ```ts
 * const finished = await abortableSleep(1000, AbortSignal.timeout(10)); // false
 * ```
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
