/**
 * Cancellation in two stages, as users expect from Ctrl-C: the first request
 * asks running steps to stop (a signal, then a kill after the grace period);
 * a second one kills at once. Scopes nest: a group can cancel its own children
 * without canceling the workflow.
 * @module
 */

/** The signal a cancellation delivers to a running step first. */
export type CancelSignalName = "SIGINT" | "SIGTERM";

/** A cancellation scope. */
export class Cancellation {
  #graceful = new AbortController();
  #force = new AbortController();
  #signal: CancelSignalName = "SIGTERM";
  #reason = "";

  /**
   * Creates a scope; with a `parent`, the scope is canceled when the parent is.
   *
   * @example
   * ```ts
   * const run = new Cancellation();
   * const group = new Cancellation(run);
   * run.cancel("SIGINT", "interrupted");
   * group.canceled; // true
   * ```
   */
  constructor(parent?: Cancellation) {
    if (!parent) return;
    const follow = () => this.cancel(parent.signalName, parent.reason);
    if (parent.canceled) follow();
    else parent.signal.addEventListener("abort", follow, { once: true });
    if (parent.forced) this.force();
    else parent.forceSignal.addEventListener("abort", () => this.force(), { once: true });
  }

  /** Aborts when cancellation was requested. */
  get signal(): AbortSignal {
    return this.#graceful.signal;
  }
  /** Aborts when an immediate kill was requested. */
  get forceSignal(): AbortSignal {
    return this.#force.signal;
  }
  get canceled(): boolean {
    return this.#graceful.signal.aborted;
  }
  get forced(): boolean {
    return this.#force.signal.aborted;
  }
  /** The signal to send to running steps. */
  get signalName(): CancelSignalName {
    return this.#signal;
  }
  /** Why the scope was canceled, for messages. */
  get reason(): string {
    return this.#reason;
  }

  /** Requests a graceful stop. Later calls keep the first reason. */
  cancel(signal: CancelSignalName, reason: string): void {
    if (this.canceled) return;
    this.#signal = signal;
    this.#reason = reason;
    this.#graceful.abort();
  }

  /** Requests an immediate kill (implies cancel). */
  force(): void {
    this.cancel(this.#signal, this.#reason || "forced");
    this.#force.abort();
  }
}
