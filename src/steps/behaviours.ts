/**
 * The usual sets of generic behaviours, so a kind states only how it
 * differs (`{ ...LEAF, usesStreams: true }`), and the one place that reads
 * the hooks whose answer depends on the step (with their defaults).
 * @module
 */
import type { AnyKind, Behaviours } from "./kind.ts";

/**
 * A step that does one thing itself: bounded by `timeout:`, retried by
 * `retry:`, allowed inside `parallel`/`matrix`, no terminal, no engine, no
 * streams of its own, no children.
 */
export const LEAF: Behaviours = Object.freeze({
  timeout: true,
  retry: true,
  concurrent: true,
  interactive: false,
  usesEngine: false,
  usesStreams: false,
  hasChildren: false,
});

/** A step that runs children of its own (`parallel`, `matrix`): bounded as a whole, never retried, not nested. */
export const GROUP: Behaviours = Object.freeze({ ...LEAF, retry: false, concurrent: false, hasChildren: true });

/**
 * Whether `step` waits for started background services to be ready before
 * it starts: its kind's `gates` hook, yes by default.
 *
 * @example
 * ```ts
 * waitsForServices(wait, step); // false: a wait step is how you wait for them
 * ```
 */
export function waitsForServices(kind: AnyKind, step: unknown): boolean {
  return kind.gates?.(step) ?? true;
}

/**
 * Whether a step's own start and end lines are left out (its output or its
 * events report it): its kind's `quietStart` hook, no by default.
 *
 * @example
 * ```ts
 * startsQuietly(toast, step); // true: the toast line is its whole report
 * ```
 */
export function startsQuietly(kind: AnyKind, step: unknown): boolean {
  return kind.quietStart?.(step) ?? false;
}

/**
 * Whether a step attaches to muster's terminal itself (`tty`, `interactive`):
 * its kind's `attaches` hook, no by default.
 *
 * @example
 * ```ts
 * attachesTerminal(shell, { ...step, tty: true }); // true
 * ```
 */
export function attachesTerminal(kind: AnyKind, step: unknown): boolean {
  return kind.attaches?.(step) ?? false;
}

/** For hooks that answer the same for every step of a kind: `gates: never`, `quietStart: always`. */
export const always = (): boolean => true;
/** See {@linkcode always}. */
export const never = (): boolean => false;
