/**
 * `muster list [-f FILE] [--json]`: workflows with file, description and step count.
 * @module
 */
import { defineCommand } from "./command.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { type LoadedFile, loadWorkflowFiles } from "../load/discover.ts";
import type { Colors } from "../output/colors.ts";
import { dirArg, fileArg, jsonArg, loadProject } from "./common.ts";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";
import { SUMMARIES } from "./summaries.ts";

/** A workflow as `list` shows it. */
export interface WorkflowRow {
  name: string;
  file: string;
  description: string;
  steps: number;
}

/** The workflows of `files`, in file order. */
export function workflowRows(files: readonly LoadedFile[]): WorkflowRow[] {
  return files.flatMap((f) =>
    [...(f.workflowFile?.workflows.values() ?? [])].map((w) => ({ name: w.name, file: f.display, description: w.description ?? "", steps: w.steps.length })),
  );
}

/** The `list` table: a row per workflow; a multi-line description shows its first line (the JSON has it all). */
export function workflowTable(rows: readonly WorkflowRow[], c: Colors): string {
  const headers = { name: "WORKFLOW", file: "FILE" } as const;
  const width = (key: "name" | "file") => Math.max(headers[key].length, ...rows.map((r) => r[key].length));
  const [wn, wf] = [width("name"), width("file")];
  const lines = [c.bold(`${"WORKFLOW".padEnd(wn)}  ${"FILE".padEnd(wf)}  STEPS  DESCRIPTION`)];
  for (const r of rows) lines.push(`${r.name.padEnd(wn)}  ${r.file.padEnd(wf)}  ${String(r.steps).padStart(5)}  ${r.description.trim().split("\n")[0]}`);
  return `${lines.join("\n")}\n`;
}

export default defineCommand({
  meta: { name: "list", description: SUMMARIES.list },
  args: { file: fileArg, dir: dirArg, json: jsonArg },
  async run({ args }) {
    const project = await loadProject(args.dir);
    const { files } = await loadWorkflowFiles(project, args.file);
    const rows = workflowRows(files);
    const broken = files.flatMap((f) => f.diagnostics);
    for (const d of broken) await stderr.write(`${formatDiagnostic(d)}\n`);
    if (args.json) {
      await stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length > 0) {
      await stdout.write(workflowTable(rows, stdout.colors));
    } else {
      await stderr.write("no workflows found\n");
    }
    return broken.length > 0 ? EXIT_USAGE : EXIT_OK;
  },
});
