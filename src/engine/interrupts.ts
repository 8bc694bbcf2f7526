/**
 * Who takes Ctrl-C. Normally muster: the first SIGINT cancels the run. While
 * a step that owns the terminal runs (`interactive: true`), the step does,
 * as in Atmos (`pkg/signals`, `SuspendInterruptExit`): muster passes each
 * SIGINT on to it and does not cancel the run. SIGTERM, SIGHUP and SIGQUIT
 * still stop the run.
 * @module
 */

const owners: Array<() => void> = [];

/**
 * Makes `pass` receive every SIGINT until the returned function is called
 * (claims nest: the latest one gets it).
 *
 * @example
 * ```ts
 * const release = claimInterrupts(() => platform.killGroup(child.pid, "SIGINT"));
 * try { await child.exited; } finally { release(); }
 * ```
 */
export function claimInterrupts(pass: () => void): () => void {
  owners.push(pass);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    owners.splice(owners.lastIndexOf(pass), 1);
  };
}

/** Hands a SIGINT to the step that claimed it; false when none did (muster handles it). */
export function passInterrupt(): boolean {
  const owner = owners.at(-1);
  if (!owner) return false;
  owner();
  return true;
}
