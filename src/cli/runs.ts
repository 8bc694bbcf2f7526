/**
 * `muster runs [--all] [--json]`: the project's recent runs from the run
 * journal, newest first, with their status; `muster runs show RUN`: one
 * run's inputs and its steps with their results (masked values stay
 * `[masked]`: the journal never had them).
 * @module
 */
import { defineCommand } from "citty";
import { stderr, stdout } from "../output/terminal.ts";
import type { Colors } from "../output/colors.ts";
import { platform } from "../platform/index.ts";
import { UsageError } from "../errors.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { formatDuration } from "../workflow/duration.ts";
import { Journal } from "../journal/journal.ts";
import type { RunRecord, RunStatus } from "../journal/run-record.ts";
import { dirArg, jsonArg, loadProject } from "./common.ts";
import { SUMMARIES } from "./summaries.ts";

/** Longest a value is shown by `runs show` before it is cut (the JSON has it all). */
const SHOWN_CHARS = 400;

const statusColor = (status: RunStatus | string, c: Colors): string =>
  status === "succeeded" ? c.green(status) : status === "failed" ? c.red(status) : status === "running" ? c.cyan(status) : c.yellow(status);

/** How long the run's last attempt took (or has run): from its start, or its last `--resume`. */
function took(r: RunRecord): string {
  const end = r.endedAt ? Date.parse(r.endedAt) : r.status === "running" ? Date.now() : Date.parse(r.updatedAt);
  return formatDuration(Math.max(0, end - Date.parse(r.resumes.at(-1)?.at ?? r.startedAt)));
}

/**
 * The `runs` table: id, status, workflow, when it started, how long, where it failed.
 *
 * @example
 * ```ts
 * runsTable([record], colors); // "RUN                   STATUS  WORKFLOW  STARTED ..."
 * ```
 */
export function runsTable(records: readonly RunRecord[], c: Colors): string {
  const rows = records.map((r) => ({
    id: r.id,
    status: r.status,
    workflow: r.workflow,
    started: r.startedAt.replace("T", " ").slice(0, 19),
    took: took(r),
    note: r.failedStep ? `at step "${r.failedStep}"` : r.resumes.length > 0 ? `resumed ${r.resumes.length}×` : "",
  }));
  const w = (key: "id" | "status" | "workflow" | "took", header: string) => Math.max(header.length, ...rows.map((r) => r[key].length));
  const [wi, ws, ww, wt] = [w("id", "RUN"), w("status", "STATUS"), w("workflow", "WORKFLOW"), w("took", "TOOK")];
  const lines = [c.bold(`${"RUN".padEnd(wi)}  ${"STATUS".padEnd(ws)}  ${"WORKFLOW".padEnd(ww)}  ${"STARTED (UTC)".padEnd(19)}  ${"TOOK".padEnd(wt)}  NOTE`.trimEnd())];
  for (const r of rows) {
    lines.push(`${r.id.padEnd(wi)}  ${statusColor(r.status, c)}${" ".repeat(ws - r.status.length)}  ${r.workflow.padEnd(ww)}  ${r.started}  ${r.took.padEnd(wt)}  ${r.note}`.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

const cut = (text: string) => (text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}… (${text.length - SHOWN_CHARS} more characters; --json shows all)` : text);
const indented = (text: string, by: string) => text.split("\n").join(`\n${by}`);

/**
 * One run as `runs show` prints it: its inputs, then each step with its
 * status and what it left (`.steps.NAME.value`, outputs, env).
 */
export function runDetail(r: RunRecord, c: Colors): string {
  const out: string[] = [];
  out.push(`${c.bold(`run ${r.id}`)}  ${statusColor(r.status, c)}${r.failedStep ? ` at step "${r.failedStep}"` : ""}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ""}`);
  out.push(`workflow  ${r.workflow} (${r.fileShown}, ${r.file})`);
  out.push(`project   ${r.project}`);
  out.push(`started   ${r.startedAt}${r.endedAt ? `, ended ${r.endedAt}` : ""} (${took(r)})`);
  if (r.stack) out.push(`stack     ${r.stack}`);
  for (const [k, v] of Object.entries(r.vars)) out.push(`var       ${k}=${v}`);
  for (const [k, v] of Object.entries(r.answers)) out.push(`answer    ${k}=${v}`);
  for (const resume of r.resumes) out.push(`resumed   ${resume.at} at step "${resume.fromStep}"`);
  if (r.waitingFor) out.push(`waiting   at step "${r.waitingFor.step}" since ${r.waitingFor.since}: ${r.waitingFor.prompt}`);
  out.push("");
  for (const step of r.steps) {
    const mark = step.status === "succeeded" ? c.green("✓") : step.status === "failed" ? c.red("✗") : c.dim("-");
    out.push(`${mark} ${step.name} ${step.status}${step.status === "failed" ? ` (exit ${step.exitCode})` : ""} in ${formatDuration(step.durationMs)}${step.masked ? c.dim(" (held a masked value: not restored by --resume)") : ""}`);
    if (step.error) out.push(`    error: ${indented(cut(step.error), "      ")}`);
    for (const [name, result] of Object.entries(step.steps)) {
      const at = name === step.name ? "" : `${name}: `;
      if (result.value !== "") out.push(`    ${at}.steps.${name}.value = ${indented(cut(JSON.stringify(result.value)), "      ")}`);
      if (result.values.length > 0) out.push(`    ${at}.steps.${name}.values = ${cut(JSON.stringify(result.values))}`);
      for (const [o, v] of Object.entries(result.outputs)) out.push(`    ${at}.steps.${name}.outputs.${o} = ${cut(JSON.stringify(v))}`);
    }
    for (const [k, v] of Object.entries(step.env)) out.push(`    env ${k}=${cut(v)}${k in step.exported ? " (exported)" : ""}`);
  }
  return `${out.join("\n")}\n`;
}

export default defineCommand({
  meta: { name: "runs", description: SUMMARIES.runs },
  args: {
    action: { type: "positional", description: "show: print one run's steps and results", required: false },
    run: { type: "positional", description: "The run to show (its id, or a unique start of it)", required: false },
    dir: dirArg,
    all: { type: "boolean", description: "Runs of every project, not only this one's" },
    limit: { type: "string", description: "Show at most N runs (default 20)", valueHint: "N" },
    json: jsonArg,
  },
  async run({ args }) {
    if (args.action !== undefined && args.action !== "show") throw new UsageError(`muster runs ${JSON.stringify(args.action)}: expected "show RUN", or nothing to list the runs`);
    if (args.action === "show" && !args.run) throw new UsageError("muster runs show: which run? (expected a run id from muster runs)");
    const limit = args.limit === undefined ? 20 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number of at least 1: current value is ${args.limit}`);
    const { journal, problem } = Journal.open(platform.env());
    if (problem) throw new UsageError(`the run journal ${problem} (expected a directory of this user's that nobody else may write)`);
    if (!journal) {
      await stderr.write("the run journal is off (MUSTER_NO_JOURNAL): no runs are recorded\n");
      return EXIT_OK;
    }
    const project = await loadProject(args.dir);
    const runs = journal.list().filter((r) => args.all || r.project === project.basePath);
    if (args.action === "show") {
      let record: RunRecord | undefined;
      try {
        record = journal.find(args.run!, journal.list());
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (!record) throw new UsageError(`run "${args.run}": no such run in the journal (${journal.dir}); muster runs lists this project's runs`);
      await stdout.write(args.json ? `${JSON.stringify(record, null, 2)}\n` : runDetail(record, stdout.colors));
      return EXIT_OK;
    }
    const shown = runs.slice(0, limit);
    if (args.json) await stdout.write(`${JSON.stringify(shown.map(({ steps: _, ...r }) => r), null, 2)}\n`);
    else if (shown.length > 0) await stdout.write(runsTable(shown, stdout.colors));
    else await stderr.write(`no runs of ${args.all ? "any project" : `this project (${project.basePath})`} in the journal (${journal.dir})\n`);
    return EXIT_OK;
  },
});
