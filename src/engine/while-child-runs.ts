/**
 * Work a run needs done soon but not before its first process starts (the
 * journal's record): queued here, it runs right after the next child is
 * spawned, while that child runs on another core, so a short step does
 * not wait for it. Whoever queues work also makes sure it runs when no
 * child comes (a timer, or at the latest when the work's result is needed).
 * @module
 */

const queued: Array<() => void> = [];

/**
 * Queues `work` to run right after the next child process is spawned.
 *
 * @example
 * ```ts
 * whileChildRuns(() => journal.begin());
 * setTimeout(() => journal.begin(), 0); // and when no child comes (begin runs once)
 * ```
 */
export function whileChildRuns(work: () => void): void {
  queued.push(work);
}

/**
 * Runs the queued work (called by runProcess once its child is spawned).
 * Work that throws does not stop the rest: each owner reports its own
 * failures, this only keeps one from hiding another's.
 */
export function childSpawned(): void {
  while (queued.length > 0) {
    const work = queued.shift()!;
    try {
      work();
    } catch {
      // the owner's own error handling has spoken (or the work was best-effort)
    }
  }
}
