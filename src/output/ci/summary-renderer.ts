/**
 * The GitHub job summary: a Markdown table of every step (group children
 * included) appended to `$GITHUB_STEP_SUMMARY` when the run ends.
 * @module
 */
import { appendFile } from "node:fs/promises";
import type { RunEvent, RunObserver, StepResult } from "../../engine/events.ts";
import { formatDuration } from "../../workflow/duration.ts";

const ICON: Record<StepResult["status"], string> = { succeeded: "✅", failed: "❌", skipped: "⏭️", canceled: "⏹️" };
const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** Collects step results and appends the summary table to `file` at the end of the run. */
export class SummaryRenderer implements RunObserver {
  #file: string;
  #rows: Array<{ path: readonly string[]; result: StepResult }> = [];
  /** Rows in the order steps started (a group before its children). */
  #order = new Map<string, number>();
  #groups = new Set<string>();

  constructor(file: string) {
    this.#file = file;
  }

  async emit(event: RunEvent): Promise<void> {
    if (event.type === "group.start") this.#groups.add(event.path.join("/"));
    if (event.type === "step.start" || event.type === "step.end") {
      const key = event.path.join("/");
      if (!this.#order.has(key)) this.#order.set(key, this.#order.size);
    }
    if (event.type === "step.end") this.#rows.push({ path: event.path, result: event.result });
    if (event.type !== "run.end") return;
    const icon = event.status === "succeeded" ? "✅" : event.status === "failed" ? "❌" : "⏹️";
    const lines = [
      `### ${icon} muster workflow \`${event.workflow}\` ${event.status} (exit ${event.exitCode}) in ${formatDuration(event.durationMs)}`,
      "",
      "| step | status | exit | duration | attempts | note |",
      "| --- | --- | --- | --- | --- | --- |",
      ...this.#rows.sort((a, b) => this.#order.get(a.path.join("/"))! - this.#order.get(b.path.join("/"))!).map(({ path, result }) => {
        const name = path.join(" / ") + (this.#groups.has(path.join("/")) ? " (group)" : "");
        return `| ${cell(name)} | ${ICON[result.status]} ${result.status} | ${result.status === "skipped" ? "" : result.exitCode} | ${formatDuration(result.durationMs)} | ${result.attempts} | ${cell(result.error?.split("\n")[0] ?? "")} |`;
      }),
      "",
    ];
    await appendFile(this.#file, `${lines.join("\n")}\n`);
  }
}
