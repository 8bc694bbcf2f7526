/**
 * Running one child process the way every step does: in its own process
 * group, with a timeout, graceful cancellation (signal, grace period, kill)
 * and a final sweep of the group so that no grandchild outlives its step.
 * @module
 */
import { EXIT_TIMEOUT } from "../exit-codes.ts";
import { platform, SpawnError, type StdioMode, type TerminalChild, type TerminalSize } from "../platform/index.ts";
import { orphanGuard } from "./orphan-guard.ts";
import { childSpawned } from "./while-child-runs.ts";
import type { Cancellation } from "./cancellation.ts";

/** Receives a child's output chunks. */
export type ChunkSink = (chunk: Uint8Array) => void | Promise<void>;

/** Options for {@linkcode runProcess}. */
export interface RunProcessOptions {
  cwd?: string;
  env: Record<string, string>;
  /** "inherit" shares muster's stream (a terminal stays a terminal); a function receives chunks. */
  stdout: "inherit" | "null" | ChunkSink;
  stderr: "inherit" | "null" | ChunkSink;
  /** `{ text }` writes the text to the child's stdin and closes it (a script read from stdin). */
  stdin: "inherit" | "null" | { text: string };
  timeoutMs?: number;
  /**
   * Runs the child on a pseudo-terminal of its own (`tty: true`): what it
   * writes arrives through `stdout` (a sink; stdout and stderr are one
   * stream on a terminal), `stdin` must be "null" (keys are written to the
   * terminal by `attach`). `attach` is called once the child runs and
   * returns what undoes it (input forwarding, resizing).
   */
  terminal?: { size: TerminalSize; attach(child: TerminalChild): () => void };
  /** Called with the child's pid once it runs (a step that owns Ctrl-C passes SIGINT to its group). */
  onSpawn?: (pid: number) => void;
  /** How long a signaled step may take to exit before it is killed. */
  graceMs: number;
  cancellation: Cancellation;
}

/** How a process ended. */
export interface ProcessOutcome {
  /** Shell-style exit code; 124 after a timeout. */
  code: number;
  timedOut: boolean;
  canceled: boolean;
}


/** Output bytes (of all children) between two garbage collections. */
const GC_EVERY_BYTES = 16 * 1024 * 1024;
let bytesSinceGc = 0;

/**
 * Reads a child's stream into `sink` to its end. A sink that fails (its output
 * could not be kept) does not stop the reading, or the child would block on a
 * full pipe: the rest still goes to the sink, and the first error is thrown
 * once the stream ends.
 */
async function pump(stream: ReadableStream<Uint8Array> | null, sink: ChunkSink): Promise<void> {
  if (!stream) return;
  const reader = stream.getReader();
  let failed: unknown;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      if (failed !== undefined) throw failed;
      return;
    }
    try {
      await sink(value); // after a failure the sink still sees the rest (a capture keeps its tail)
    } catch (error) {
      failed ??= error;
    }
    bytesSinceGc += value.length;
    if (bytesSinceGc > GC_EVERY_BYTES) {
      bytesSinceGc = 0;
      platform.collectGarbage();
    }
  }
}

const mode = (io: RunProcessOptions["stdout"]): StdioMode => (typeof io === "function" ? "pipe" : io);

/**
 * Runs `argv` to completion.
 *
 * @example
 * ```ts
 * const outcome = await runProcess(["sh", "-c", "exit 3"], {
 *   env: {}, stdout: "inherit", stderr: "inherit", stdin: "null", graceMs: 5000, cancellation: new Cancellation(),
 * });
 * outcome.code; // 3
 * ```
 */
export async function runProcess(argv: string[], options: RunProcessOptions): Promise<ProcessOutcome> {
  if (options.terminal) return runOnTerminal(argv, options, options.terminal);
  const { cancellation } = options;
  const child = platform.spawn(argv, {
    cwd: options.cwd,
    env: options.env,
    stdin: typeof options.stdin === "object" ? "pipe" : options.stdin,
    stdout: mode(options.stdout),
    stderr: mode(options.stderr),
  });
  // A muster killed with -9 runs no cleanup: the watchdog kills this group then.
  orphanGuard()?.track(child.pid);
  options.onSpawn?.(child.pid);
  childSpawned();
  if (typeof options.stdin === "object" && child.stdin) {
    child.stdin.write(options.stdin.text);
    child.stdin.close();
  }
  const stops = stopsOf(child.pid, options);
  const pumps = Promise.all([
    typeof options.stdout === "function" ? pump(child.stdout, options.stdout) : undefined,
    typeof options.stderr === "function" ? pump(child.stderr, options.stderr) : undefined,
  ]);
  try {
    const status = await child.exited;
    // Whatever the step left running in its group (`sleep 1000 &`) goes with it.
    platform.killGroup(child.pid, "SIGKILL");
    orphanGuard()?.untrack(child.pid);
    await pumps; // throws when the output could not be kept: the step fails with that reason
    return stops.outcome(status.code);
  } finally {
    stops.release();
  }
}

/** {@linkcode runProcess} on a pseudo-terminal. */
async function runOnTerminal(argv: string[], options: RunProcessOptions, terminal: NonNullable<RunProcessOptions["terminal"]>): Promise<ProcessOutcome> {
  const spawnTerminal = platform.spawnTerminal;
  if (!spawnTerminal) throw new SpawnError(argv[0] ?? "", "ENOPTY");
  const sink = options.stdout;
  if (typeof sink !== "function") throw new Error("runProcess: a terminal child's output needs a sink");
  // Output chunks go to the sink in order; a failing sink fails the step once the child ended.
  let written: Promise<void> = Promise.resolve();
  let failed: unknown;
  const child = spawnTerminal(argv, {
    cwd: options.cwd,
    env: options.env,
    size: terminal.size,
    onData: (data) => {
      written = written.then(() => sink(data)).catch((error) => void (failed ??= error));
    },
  });
  orphanGuard()?.track(child.pid);
  options.onSpawn?.(child.pid);
  childSpawned();
  const stops = stopsOf(child.pid, options);
  const detach = terminal.attach(child);
  try {
    const status = await child.exited;
    // Whatever the step left running in its group goes with it; then its last output is read.
    platform.killGroup(child.pid, "SIGKILL");
    orphanGuard()?.untrack(child.pid);
    await child.drain();
    await written;
    if (failed !== undefined) throw failed;
    return stops.outcome(status.code);
  } finally {
    detach();
    child.close();
    stops.release();
  }
}

/**
 * What stops a running child's group: the cancellation (a signal, then a
 * kill after the grace period; a force kills at once) and the timeout.
 */
function stopsOf(pid: number, options: RunProcessOptions): { outcome(code: number): ProcessOutcome; release(): void } {
  const { cancellation } = options;
  let timedOut = false;
  let canceled = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stopGracefully = (signal: "SIGINT" | "SIGTERM") => {
    platform.killGroup(pid, signal);
    killTimer ??= setTimeout(() => platform.killGroup(pid, "SIGKILL"), options.graceMs);
  };
  const onCancel = () => {
    canceled = true;
    stopGracefully(cancellation.signalName);
  };
  const onForce = () => {
    canceled = true;
    platform.killGroup(pid, "SIGKILL");
  };
  if (cancellation.canceled) onCancel();
  else cancellation.signal.addEventListener("abort", onCancel, { once: true });
  if (cancellation.forced) onForce();
  else cancellation.forceSignal.addEventListener("abort", onForce, { once: true });
  const timeoutTimer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stopGracefully("SIGTERM");
        }, options.timeoutMs)
      : undefined;

  return {
    outcome: (code) => ({ code: timedOut ? EXIT_TIMEOUT : code, timedOut, canceled: canceled && !timedOut }),
    release() {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      cancellation.signal.removeEventListener("abort", onCancel);
      cancellation.forceSignal.removeEventListener("abort", onForce);
    },
  };
}
