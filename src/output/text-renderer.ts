/**
 * The text renderer: run events as the human transcript on a terminal or in
 * a log. muster's own lines go to stderr, children's stdout to stdout.
 * Top-level steps inherit the terminal unless `-q` asks for their output
 * to be held back; group children's output is shown per the group's mode.
 *
 * `-q` means exactly "failures and the final result": no start or success
 * lines, no summaries of clean groups, no service chatter, and the output
 * of a step or child only when it failed (its tail).
 * @module
 */
import type { RunEvent, RunObserver, StepPath } from "../engine/events.ts";
import { formatDuration } from "../workflow/duration.ts";
import { OutputCapture } from "./capture.ts";
import { type ChildView, type ChunkSink, createGroupOutput, type GroupOutput, summaryLine } from "./group-output.ts";
import { type PullProgress, pullProgress } from "./pull-progress.ts";
import type { CiSettings } from "./ci/providers.ts";
import { Reporter } from "./reporter.ts";
import type { OutputStream } from "./terminal.ts";

/** Options for {@linkcode TextRenderer}. */
export interface TextRendererOptions {
  stdout: OutputStream;
  stderr: OutputStream;
  /** `-q`: only failures and the final result. */
  quiet?: boolean;
  /** CI integration: log groups around steps and child blocks, error annotations. */
  ci?: CiSettings;
  /** The status renderer draws `viewport` steps' last lines live (stdout and stderr are a terminal): their output is held here. */
  liveViewport?: boolean;
}

/** A top-level step's output mode other than `raw`, and what it holds meanwhile. */
interface HeldByMode {
  mode: "log" | "viewport" | "none";
  capture?: OutputCapture;
}

interface GroupState {
  output: GroupOutput;
  views: Map<string, ChildView>;
  sinks: Map<string, { stdout: ChunkSink; stderr: ChunkSink }>;
}

const key = (path: StepPath) => path.join("\u0000");

/**
 * Renders run events as text.
 *
 * @example
 * ```ts
 * const renderer = new TextRenderer({ stdout, stderr, quiet: false });
 * await renderer.emit({ type: "step.start", path: ["greet"], kind: "shell", detail: "$ echo hi", attempt: 1 });
 * // stderr: ▸ greet $ echo hi
 * ```
 */
export class TextRenderer implements RunObserver {
  readonly wantsOutput: boolean;
  #stdout: OutputStream;
  #stderr: OutputStream;
  #quiet: boolean;
  #reporter: Reporter;
  #groups = new Map<string, GroupState>();
  /** `-q`: the held-back output of running top-level steps. */
  #held = new Map<string, OutputCapture>();
  #pulls = new Map<string, PullProgress>();
  #ci?: CiSettings;
  /** Top-level steps whose output is their whole report (no start or end line unless they fail). */
  #selfReporting = new Set<string>();
  /** Top-level steps whose CI log group is open. */
  #openGroups = new Set<string>();
  /** Steps whose output mode (Atmos' `output`) is log, viewport or none. */
  #byMode = new Map<string, HeldByMode>();
  #liveViewport: boolean;

  constructor(options: TextRendererOptions) {
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.#quiet = options.quiet ?? false;
    this.wantsOutput = this.#quiet;
    this.#reporter = new Reporter(options.stderr, { quiet: this.#quiet });
    this.#ci = options.ci;
    this.#liveViewport = options.liveViewport ?? false;
  }

  /** `service db`, `sandbox`, `container of step job`. */
  #what(event: { name: string; what?: "sandbox" | "container" }): string {
    return event.what === "sandbox" ? event.name : event.what === "container" ? `container of step ${event.name}` : `service ${event.name}`;
  }

  emit(event: RunEvent): void | Promise<void> {
    switch (event.type) {
      case "step.start":
        if (event.quiet && event.path.length === 1) this.#selfReporting.add(event.path[0]!);
        // none drops the output; log holds it to the end; viewport holds it too (shown live by the status region, printed only on failure).
        // (A group's child is shown by the group's mode: only none applies to it.)
        if (event.output && (event.path.length === 1 || event.output === "none")) {
          this.#byMode.set(key(event.path), { mode: event.output, capture: event.output === "none" ? undefined : new OutputCapture({ keepAll: true }) });
        }
        return this.#stepStart(event.path, event.detail, event.group ?? false, event.count);
      case "step.output":
        return this.#output(event.path, event.stream, event.data);
      case "step.retry": {
        const text = `${event.path.at(-1)}: attempt ${event.attempt}/${event.maxAttempts} failed (${event.reason}); retrying in ${formatDuration(event.delayMs)}`;
        const group = event.path.length > 1 ? this.#groups.get(key(event.path.slice(0, -1))) : undefined;
        if (group) group.output.note(group.views.get(event.path.at(-1)!)!, text);
        else if (!this.#quiet) this.#reporter.warn(text);
        return;
      }
      case "step.end":
        return this.#stepEnd(event);
      case "group.start": {
        const views = event.children.map((c) => ({ name: c.name, index: c.index, prefix: c.prefix }));
        const ci = this.#ci?.groups ? this.#ci.provider : undefined;
        const output = createGroupOutput({
          mode: this.#quiet ? "none" : event.mode,
          order: event.order,
          children: views,
          stdout: this.#stdout,
          stderr: this.#stderr,
          decorate: ci && {
            begin: (child) => ci.groupBegin(`${event.path.join(" / ")} / ${child.name}`),
            end: (_child, outcome) => ci.groupEnd("") + (outcome.status === "failed" ? ci.groupFailed?.() ?? "" : ""),
          },
        });
        this.#groups.set(key(event.path), { output, views: new Map(views.map((v) => [v.name, v])), sinks: new Map() });
        return;
      }
      case "group.end":
        return this.#groupEnd(event.path, event.counts, event.showSummary);
      case "service":
        if (event.state === "starting") this.#reporter.info(`service ${event.name} starting${event.detail ? ` (${event.detail})` : ""}`);
        else if (event.state === "ready" && !this.#quiet) this.#reporter.line(`${this.#stderr.colors.green("✓")} service ${event.name} ${event.detail ?? "ready"}`);
        else if (event.state === "removing" && !this.#stderr.isTerminal && !this.#quiet) this.#reporter.info(`removing ${this.#what(event)}${event.id ? ` (${event.id.slice(0, 12)})` : ""}`);
        else if (event.state === "removed") this.#reporter.info(`removed ${this.#what(event)}${event.id ? ` (${event.id.slice(0, 12)})` : ""}`);
        else if (event.state === "failed") this.#reporter.line(`${this.#stderr.colors.red("✗")} ${event.detail ?? `service ${event.name} failed`}`);
        else if (event.state === "died") this.#reporter.warn(`service ${event.name} ${event.detail ?? "died"}: the next step that needs it fails`);
        return;
      case "pull.progress": {
        if (this.#quiet) return;
        let progress = this.#pulls.get(event.image);
        if (event.done) {
          progress?.done();
          this.#pulls.delete(event.image);
          return;
        }
        if (!progress) this.#pulls.set(event.image, (progress = pullProgress(event.image, this.#stderr, event.verb)));
        progress.update(event);
        return;
      }
      case "message":
        if (event.level === "info") this.#reporter.info(event.text);
        else if (event.level === "warn") this.#reporter.warn(event.text);
        else this.#reporter.error(event.text);
        return;
      case "run.end":
        return this.#runEnd(event);
      case "run.start":
        return;
    }
  }

  #stepStart(path: StepPath, detail: string, isGroup: boolean, count?: { index: number; total: number }): void {
    // A CI log group per top-level step; a group's children get theirs per block (CI groups do not nest).
    if (path.length === 1 && !isGroup && this.#ci?.groups && !this.#selfReporting.has(path[0]!)) {
      this.#openGroups.add(path[0]!);
      void this.#stdout.write(this.#ci.provider.groupBegin(path[0]!));
    }
    if (path.length === 1) {
      if (this.#quiet) this.#held.set(key(path), new OutputCapture({ keepAll: false }));
      else if (!this.#selfReporting.has(path[0]!)) this.#reporter.stepStart(count ? `[${count.index}/${count.total}] ${path[0]!}` : path[0]!, detail);
      return;
    }
    const group = this.#groups.get(key(path.slice(0, -1)));
    const view = group?.views.get(path.at(-1)!);
    if (group && view) group.sinks.set(view.name, group.output.sinks(view));
  }

  #output(path: StepPath, stream: 1 | 2, data: Uint8Array): void | Promise<void> {
    const byMode = this.#byMode.get(key(path));
    if (byMode?.mode === "none") return;
    if (path.length === 1) {
      const held = this.#held.get(key(path));
      if (held) return held.append(stream, data);
      if (byMode?.capture) return byMode.capture.append(stream, data);
      return (stream === 1 ? this.#stdout : this.#stderr).write(data);
    }
    const sinks = this.#groups.get(key(path.slice(0, -1)))?.sinks.get(path.at(-1)!);
    if (sinks) return (stream === 1 ? sinks.stdout : sinks.stderr)(data);
  }

  async #stepEnd(event: Extract<RunEvent, { type: "step.end" }>): Promise<void> {
    const { path, result } = event;
    const name = path.at(-1)!;
    const byMode = this.#byMode.get(key(path));
    this.#byMode.delete(key(path));
    if (path.length === 1 && byMode?.capture) {
      // Atmos' log: all of stdout, then all of stderr, when the step ends; a viewport shown live is printed only when the step failed.
      if (!(byMode.mode === "viewport" && this.#liveViewport && result.status === "succeeded")) {
        for (const which of [1, 2] as const) {
          let last: Uint8Array | undefined;
          await byMode.capture.replay((stream, data) => {
            if (stream !== which) return;
            last = data;
            return (stream === 1 ? this.#stdout : this.#stderr).write(data);
          });
          if (last && last.at(-1) !== 10) await (which === 1 ? this.#stdout : this.#stderr).write("\n");
        }
      }
      await byMode.capture.dispose();
    }
    if (path.length > 1) {
      const group = this.#groups.get(key(path.slice(0, -1)));
      const view = group?.views.get(name);
      if (!group || !view) return;
      group.sinks.delete(name);
      const reason = result.status === "failed" ? result.error ?? `exit code ${result.exitCode}` : result.error;
      group.output.settled(view, { status: result.status, exitCode: result.exitCode, durationMs: result.durationMs, reason });
      if (result.status === "failed") this.#annotate(path, result);
      return;
    }
    const held = this.#held.get(key(path));
    this.#held.delete(key(path));
    if (held && result.status === "failed" && held.size > 0) {
      const tail = held.tail();
      if (tail.length < held.size) await this.#stderr.write(this.#stderr.colors.dim(`  ... last ${tail.length} of ${held.size} bytes:\n`));
      await this.#stderr.write(tail);
      if (tail.at(-1) !== 10) await this.#stderr.write("\n");
    }
    await held?.dispose();
    if (this.#selfReporting.delete(name) && result.status === "succeeded") return;
    const [why = "", ...more] = (result.error ?? `exit code ${result.exitCode}`).split("\n");
    // A retried step says how many attempts it had, as Atmos' "max attempts (N) exceeded" does.
    const tries = result.status === "failed" && result.attempts > 1 ? `; after ${result.attempts} attempts` : "";
    const detail = result.status === "succeeded" ? "" : result.status === "failed" || result.error ? `(${why}${tries})` : "";
    this.#reporter.stepEnd(name, result.status, result.durationMs, detail);
    if (result.status === "failed") for (const line of more) await this.#reporter.line(line);
    if (this.#openGroups.delete(name) && this.#ci) {
      await this.#stdout.write(this.#ci.provider.groupEnd(name) + (result.status === "failed" ? this.#ci.provider.groupFailed?.() ?? "" : ""));
    }
    if (result.status === "failed") this.#annotate(path, result);
  }

  /** A failed step or child as a CI error annotation. */
  #annotate(path: StepPath, result: { exitCode: number; error?: string }): void {
    if (!this.#ci) return;
    const name = path.join("/");
    void this.#stdout.write(this.#ci.provider.error({
      title: `muster: step "${name}" failed (exit ${result.exitCode})`,
      message: `step "${name}" failed with exit code ${result.exitCode}${result.error ? `: ${result.error.split("\n")[0]}` : ""}`,
    }));
  }

  async #groupEnd(path: StepPath, counts: Record<"succeeded" | "failed" | "skipped" | "canceled", number>, showSummary: boolean): Promise<void> {
    const group = this.#groups.get(key(path));
    this.#groups.delete(key(path));
    await group?.output.close();
    if (showSummary && (!this.#quiet || counts.failed > 0)) await this.#stderr.write(`${summaryLine(path.at(-1)!, counts, this.#stderr.colors)}\n`);
  }

  async #runEnd(event: Extract<RunEvent, { type: "run.end" }>): Promise<void> {
    const c = this.#stderr.colors;
    const took = formatDuration(event.durationMs);
    if (event.status === "interrupted") {
      await this.#reporter.line(`${c.yellow("■")} workflow ${event.workflow} ${c.yellow(event.signal === "SIGINT" || event.signal === undefined ? "interrupted" : event.signal === "SIGHUP" ? "hung up" : "terminated")} after ${took}`);
      if (event.resume) await this.#reporter.hint(`resume with: ${event.resume}`);
    } else if (event.status === "failed") {
      await this.#reporter.line(`${c.red("✗")} workflow ${event.workflow} ${c.red("failed")} at step "${event.failedStep}" (exit ${event.exitCode}) after ${took}`);
      if (event.resume) await this.#reporter.hint(`resume with: ${event.resume}`);
    } else {
      await this.#reporter.line(`${c.green("✓")} workflow ${event.workflow} ${c.green("succeeded")} in ${took}`);
    }
  }

  async close(): Promise<void> {
    for (const group of this.#groups.values()) await group.output.close();
    for (const held of this.#held.values()) await held.dispose();
    for (const byMode of this.#byMode.values()) await byMode.capture?.dispose();
    for (const pull of this.#pulls.values()) pull.done();
  }
}
