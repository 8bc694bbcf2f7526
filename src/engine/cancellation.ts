/**
 * Cancellation in two stages, as users expect from Ctrl-C: the first request
 * asks running steps to stop (a signal, then a kill after the grace period);
 * a second one kills at once. Scopes nest: a group can cancel its own
 * children, and a timeout its own attempt, without canceling the workflow.
 *
 * Child scopes are derived with `AbortSignal.any`, so no listener is ever
 * left on a parent, however long the run.
 * @module
 */

/** The signal a cancellation delivers to a running step first. */
import { exitCodeForStop } from "../exit-codes.ts";

export type CancelSignalName = "SIGINT" | "SIGTERM";

/** Why a scope was canceled: what `signal.reason` holds. */
export interface CancelReason {
  signal: CancelSignalName;
  reason: string;
}

const isCancelReason = (value: unknown): value is CancelReason =>
  typeof value === "object" && value !== null && "signal" in value && "reason" in value;

/** A cancellation scope. */
export class Cancellation {
  #graceful = new AbortController();
  #force = new AbortController();
  /** Aborts when cancellation was requested (here or in a parent); its `reason` is a {@linkcode CancelReason}. */
  readonly signal: AbortSignal;
  /** Aborts when an immediate kill was requested (here or in a parent). */
  readonly forceSignal: AbortSignal;

  /**
   * Creates a scope; with a `parent`, the scope is canceled when the parent
   * is, and with `also`, when that signal aborts (canceled with SIGTERM);
   * with `forcedBy`, it is forced when that signal aborts.
   *
   * @example
   * ```ts
   * const run = new Cancellation();
   * const group = new Cancellation(run);
   * run.cancel("SIGINT", "interrupted");
   * group.canceled; // true
   * group.signalName; // "SIGINT"
   * ```
   */
  constructor(parent?: Cancellation, also?: AbortSignal, forcedBy?: AbortSignal) {
    const graceful = [this.#graceful.signal];
    if (parent) graceful.push(parent.signal);
    if (also) graceful.push(also);
    this.signal = graceful.length === 1 ? this.#graceful.signal : AbortSignal.any(graceful);
    const force = [this.#force.signal];
    if (parent) force.push(parent.forceSignal);
    if (forcedBy) force.push(forcedBy);
    this.forceSignal = force.length === 1 ? this.#force.signal : AbortSignal.any(force);
  }

  /**
   * A scope that ignores `parent`'s graceful cancel and follows only its
   * force: what `when: always` steps run under after a first Ctrl-C, so that
   * a second one still stops them at once.
   *
   * @example
   * ```ts
   * const run = new Cancellation();
   * run.cancel("SIGINT", "interrupted");
   * const cleanup = Cancellation.untilForced(run);
   * cleanup.canceled; // false
   * run.force();
   * cleanup.forced; // true
   * ```
   */
  static untilForced(parent: Cancellation): Cancellation {
    return new Cancellation(undefined, parent.forceSignal, parent.forceSignal);
  }

  get canceled(): boolean {
    return this.signal.aborted;
  }
  get forced(): boolean {
    return this.forceSignal.aborted;
  }
  /** The signal to send to running steps. */
  get signalName(): CancelSignalName {
    return isCancelReason(this.signal.reason) ? this.signal.reason.signal : "SIGTERM";
  }
  /** The exit code of a step stopped here: 130 after SIGINT, 143 after SIGTERM (and after a force). */
  get exitCode(): number {
    return exitCodeForStop(this.signalName);
  }
  /** Why the scope was canceled, for messages. */
  get reason(): string {
    return isCancelReason(this.signal.reason) ? this.signal.reason.reason : this.canceled ? "canceled" : "";
  }

  /** Requests a graceful stop. Later calls keep the first reason. */
  cancel(signal: CancelSignalName, reason: string): void {
    if (this.canceled) return;
    this.#graceful.abort({ signal, reason } satisfies CancelReason);
  }

  /** Requests an immediate kill (implies cancel). */
  force(): void {
    this.cancel("SIGTERM", "forced");
    this.#force.abort();
  }
}
