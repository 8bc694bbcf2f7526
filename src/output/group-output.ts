/**
 * How a `parallel`/`matrix` group shows its children's output:
 * - `grouped`: each child's output captured and printed as one block, headed
 *   by `[name] status in duration`, the moment the child finishes
 *   (`order: completion`) or in declaration order as early as possible
 *   (`order: definition`);
 * - `prefixed`: live, each complete line as `[prefix] line`;
 * - `none`: nothing during the run, but the tail of a failed child's output.
 * Children's stdout goes to stdout and their stderr to stderr; headers and
 * status lines are muster's own and go to stderr.
 * @module
 */
import type { StatusCounts, StepStatus } from "../engine/events.ts";
import type { OutputMode, OutputOrder } from "../steps/group.ts";
import { formatDuration } from "../workflow/duration.ts";
import { OutputCapture, type StreamId } from "./capture.ts";
import { LinePrefixer } from "./line-prefixer.ts";
import type { OutputStream } from "./terminal.ts";

/** Receives a child's output chunks. */
export type ChunkSink = (chunk: Uint8Array) => void | Promise<void>;

/** A child as the output sees it. */
export interface ChildView {
  name: string;
  /** Position in declaration order. */
  index: number;
  /** The rendered `output.prefix`. */
  prefix: string;
}

/** How a child ended. */
export interface ChildOutcome {
  status: StepStatus;
  exitCode: number;
  durationMs: number;
  /** Why it failed, was skipped or canceled. */
  reason?: string;
}

/** The output of one group. */
export interface GroupOutput {
  /** Where a starting child's streams go. */
  sinks(child: ChildView): { stdout: ChunkSink; stderr: ChunkSink };
  /** A muster note about a child (e.g. a retry). */
  note(child: ChildView, text: string): void;
  /** Records how a child ended; prints what the mode prints for it. */
  settled(child: ChildView, outcome: ChildOutcome): void;
  /** Waits for everything to be printed and frees captures. */
  close(): Promise<void>;
}

/** Options for {@linkcode createGroupOutput}. */
export interface GroupOutputOptions {
  mode: OutputMode;
  order: OutputOrder;
  children: readonly ChildView[];
  stdout: OutputStream;
  stderr: OutputStream;
  /** Lines around each child's block in grouped mode (CI log groups), written to stdout. */
  decorate?: { begin(child: ChildView, outcome: ChildOutcome): string; end(child: ChildView, outcome: ChildOutcome): string };
}

/** The status part of a header: `failed (exit 2) in 1.2s`. */
export function describeOutcome(outcome: ChildOutcome, c: OutputStream["colors"]): string {
  const took = `in ${formatDuration(outcome.durationMs)}`;
  switch (outcome.status) {
    case "succeeded":
      return `${c.green("succeeded")} ${c.dim(took)}`;
    case "failed":
      return `${c.red("failed")} (${outcome.reason ?? `exit ${outcome.exitCode}`}) ${c.dim(took)}`;
    case "canceled":
      return `${c.yellow("canceled")}${outcome.durationMs > 0 ? ` ${c.dim(took)}` : ""}${outcome.reason ? c.dim(` (${outcome.reason})`) : ""}`;
    case "skipped":
      return `${c.dim(`skipped${outcome.reason ? ` (${outcome.reason})` : ""}`)}`;
  }
}

/** Creates the output for a group. */
export function createGroupOutput(options: GroupOutputOptions): GroupOutput {
  const { stdout, stderr } = options;
  const streams: Record<StreamId, OutputStream> = { 1: stdout, 2: stderr };
  // One chain serialises everything this group prints, so blocks never interleave.
  let printing: Promise<unknown> = Promise.resolve();
  const print = (job: () => Promise<unknown> | unknown) => {
    printing = printing.then(job).catch(() => {});
  };
  const label = (child: ChildView, c: OutputStream["colors"]) => c.rotating(child.index)(`[${child.name}]`);

  if (options.mode === "prefixed") {
    const prefixers = new Map<number, { out: LinePrefixer; err: LinePrefixer }>();
    return {
      sinks(child) {
        const pair = {
          out: new LinePrefixer(`${stdout.colors.rotating(child.index)(`[${child.prefix}]`)} `),
          err: new LinePrefixer(`${stderr.colors.rotating(child.index)(`[${child.prefix}]`)} `),
        };
        prefixers.set(child.index, pair);
        return {
          stdout: (data) => { const lines = pair.out.push(data); if (lines) return stdout.write(lines); },
          stderr: (data) => { const lines = pair.err.push(data); if (lines) return stderr.write(lines); },
        };
      },
      note: (child, text) => print(() => stderr.write(`${label(child, stderr.colors)} ${text}\n`)),
      settled(child, outcome) {
        const pair = prefixers.get(child.index);
        prefixers.delete(child.index);
        print(async () => {
          const out = pair?.out.end();
          const err = pair?.err.end();
          if (out) await stdout.write(out);
          if (err) await stderr.write(err);
          // A line when each child finishes, successes included: interleaved output needs an end marker.
          await stderr.write(`${label(child, stderr.colors)} ${describeOutcome(outcome, stderr.colors)}\n`);
        });
      },
      close: async () => void (await printing),
    };
  }

  const keepAll = options.mode === "grouped";
  const captures = new Map<number, OutputCapture>();
  const outcomes: Array<ChildOutcome | undefined> = [];
  let nextInOrder = 0;
  const block = async (child: ChildView, outcome: ChildOutcome) => {
    const capture = captures.get(child.index);
    captures.delete(child.index);
    const silentSuccess = options.mode === "none" && outcome.status !== "failed";
    if (!silentSuccess) {
      if (options.decorate && keepAll) await stdout.write(options.decorate.begin(child, outcome));
      await stderr.write(`${label(child, stderr.colors)} ${describeOutcome(outcome, stderr.colors)}\n`);
      if (capture && keepAll && capture.lost === undefined) await capture.replay((stream, data) => streams[stream].write(data));
      if (capture && (!keepAll || capture.lost !== undefined) && capture.size > 0) {
        const tail = capture.tail();
        if (tail.length < capture.size) await stderr.write(stderr.colors.dim(`  ... last ${tail.length} of ${capture.size} bytes:\n`));
        await stderr.write(tail);
        if (tail.at(-1) !== 10) await stderr.write("\n");
      }
      if (options.decorate && keepAll) await stdout.write(options.decorate.end(child, outcome));
    }
    await capture?.dispose();
  };
  return {
    sinks(child) {
      const capture = new OutputCapture({ keepAll });
      captures.set(child.index, capture);
      return { stdout: (data) => capture.append(1, data), stderr: (data) => capture.append(2, data) };
    },
    note(child, text) {
      if (options.mode === "grouped") print(() => stderr.write(`${label(child, stderr.colors)} ${stderr.colors.dim(text)}\n`));
    },
    settled(child, outcome) {
      if (options.order === "completion") {
        print(() => block(child, outcome));
        return;
      }
      outcomes[child.index] = outcome;
      while (nextInOrder < options.children.length && outcomes[nextInOrder]) {
        const view = options.children[nextInOrder]!;
        const ready = outcomes[nextInOrder]!;
        print(() => block(view, ready));
        nextInOrder++;
      }
    },
    async close() {
      await printing;
      for (const capture of captures.values()) await capture.dispose();
    },
  };
}


/**
 * The summary line: `[checks] summary: 2 succeeded, 0 failed, 0 skipped, 0 canceled`,
 * green when everything succeeded, red with failures, yellow otherwise.
 */
export function summaryLine(parent: string, counts: StatusCounts, c: OutputStream["colors"]): string {
  const text = `[${parent}] summary: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.canceled} canceled`;
  const paint = counts.failed > 0 ? c.red : counts.skipped + counts.canceled > 0 ? c.yellow : c.green;
  return paint(text);
}
