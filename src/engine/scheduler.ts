/**
 * The dependency-aware ready queue behind `parallel` and `matrix`: children
 * start when every `needs` entry succeeded, up to a concurrency limit, and
 * the failure mode decides what happens to the rest after a failure.
 * Work is O(children + needs): each completion touches only its dependents.
 * @module
 */
import { Semaphore } from "./semaphore.ts";

/** A schedulable unit. */
export interface Task {
  name: string;
  /** Names of tasks that must succeed first. */
  needs: readonly string[];
}

/** How a task ended. */
export type TaskStatus = "succeeded" | "failed" | "skipped" | "canceled";

/** What to do once failures reach the threshold. */
export type FailurePolicy =
  /** Stop starting new tasks (they are canceled); running ones finish. */
  | "stop-starting"
  /** Also cancel running tasks. */
  | "cancel-running";

/** Options for {@linkcode schedule}. */
export interface ScheduleOptions<T extends Task> {
  /** Concurrent tasks at most (Infinity: no limit). */
  limit: number;
  /** A further limit shared with other groups (`--jobs`). */
  shared?: Semaphore;
  /** Failures at which `policy` applies (Infinity: never). */
  failureThreshold: number;
  policy: FailurePolicy;
  /** Runs a task; `signal` aborts when the task must stop. */
  run(task: T, signal: AbortSignal): Promise<"succeeded" | "failed" | "canceled">;
  /** Told about every status, including skipped and canceled tasks that never ran. */
  onSettled?(task: T, status: TaskStatus, reason?: string): void;
  /** Aborts when the whole group is canceled from outside (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Runs `tasks`; resolves with each task's status once all have settled.
 *
 * @example
 * ```ts
 * const statuses = await schedule(tasks, {
 *   limit: 4, failureThreshold: Infinity, policy: "stop-starting",
 *   run: async (task) => (await exec(task)) === 0 ? "succeeded" : "failed",
 * });
 * ```
 */
export async function schedule<T extends Task>(tasks: readonly T[], options: ScheduleOptions<T>): Promise<Map<string, TaskStatus>> {
  const status = new Map<string, TaskStatus>();
  const index = new Map(tasks.map((t, i) => [t.name, i]));
  const waitingOn = tasks.map((t) => t.needs.length);
  const dependents: number[][] = tasks.map(() => []);
  tasks.forEach((t, i) => t.needs.forEach((need) => dependents[index.get(need)!]!.push(i)));

  const semaphore = new Semaphore(options.limit);
  const stopRunning = new AbortController();
  let failures = 0;
  let stopped = false;
  let pending = tasks.length;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));

  const settle = (i: number, s: TaskStatus, reason?: string) => {
    const task = tasks[i]!;
    if (status.has(task.name)) return;
    status.set(task.name, s);
    options.onSettled?.(task, s, reason);
    if (--pending === 0) done();
  };
  // Dependents of a task that did not succeed can never run: skip them,
  // transitively (or count them canceled when the group is stopping).
  const skipDependents = (i: number) => {
    const stack = [i];
    while (stack.length > 0) {
      for (const d of dependents[stack.pop()!]!) {
        const task = tasks[d]!;
        if (status.has(task.name)) continue;
        const unmet = task.needs.filter((n) => status.has(n) && status.get(n) !== "succeeded");
        settle(d, stopped ? "canceled" : "skipped", `needs ${unmet.join(", ")}`);
        stack.push(d);
      }
    }
  };
  const stop = (why: "threshold" | "canceled") => {
    if (stopped) return;
    stopped = true;
    if (why === "canceled" || options.policy === "cancel-running") stopRunning.abort();
  };
  const onCanceled = () => stop("canceled");
  options.signal?.addEventListener("abort", onCanceled, { once: true });
  if (options.signal?.aborted) stop("canceled");

  const start = async (i: number) => {
    // A task that will be canceled still queues for the semaphores before it
    // notices `stopped`: that keeps settle order FIFO and costs nothing.
    await semaphore.acquire();
    if (options.shared) await options.shared.acquire();
    let result: "succeeded" | "failed" | "canceled";
    let error: string | undefined;
    try {
      if (stopped) result = "canceled";
      else result = await options.run(tasks[i]!, stopRunning.signal);
    } catch (thrown) {
      // Never swallowed: the task fails with the error's message.
      result = "failed";
      error = thrown instanceof Error ? thrown.message : String(thrown);
    } finally {
      options.shared?.release();
      semaphore.release();
    }
    if (stopped && result === "failed" && stopRunning.signal.aborted) result = "canceled";
    settle(i, result, error ?? (result === "canceled" && !options.signal?.aborted ? "after failures" : undefined));
    if (result === "succeeded") {
      for (const d of dependents[i]!) if (--waitingOn[d]! === 0) void start(d);
    } else {
      if (result === "failed" && ++failures >= options.failureThreshold) stop("threshold");
      skipDependents(i);
    }
  };

  if (tasks.length === 0) return status;
  tasks.forEach((_, i) => {
    if (waitingOn[i] === 0) void start(i);
  });
  try {
    await finished;
  } finally {
    options.signal?.removeEventListener("abort", onCanceled);
  }
  return status;
}
