/**
 * `muster list [-f FILE] [--json]`: workflows with file, description and step count.
 * @module
 */
import { defineCommand } from "citty";
import { stderr, stdout } from "../output/terminal.ts";
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { loadWorkflowFiles } from "../workflow/discover.ts";
import { dirArg, fileArg, jsonArg, loadProject } from "./common.ts";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";

export default defineCommand({
  meta: { name: "list", description: "List workflows with their file, description and step count" },
  args: { file: fileArg, dir: dirArg, json: jsonArg },
  async run({ args }) {
    const project = await loadProject(args.dir);
    const { files } = await loadWorkflowFiles(project, args.file);
    const rows = files.flatMap((f) =>
      [...(f.workflowFile?.workflows.values() ?? [])].map((w) => ({
        name: w.name, file: f.display, description: w.description ?? "", steps: w.steps.length,
      })),
    );
    const broken = files.flatMap((f) => f.diagnostics);
    for (const d of broken) await stderr.write(`${formatDiagnostic(d)}\n`);
    if (args.json) {
      await stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length > 0) {
      const headers = { name: "WORKFLOW", file: "FILE" } as const;
      const width = (key: "name" | "file") => Math.max(headers[key].length, ...rows.map((r) => r[key].length));
      const [wn, wf] = [width("name"), width("file")];
      const c = stdout.colors;
      const lines = [c.bold(`${"WORKFLOW".padEnd(wn)}  ${"FILE".padEnd(wf)}  STEPS  DESCRIPTION`)];
      // A table row per workflow: a multi-line description shows its first line (the JSON has it all).
      for (const r of rows) lines.push(`${r.name.padEnd(wn)}  ${r.file.padEnd(wf)}  ${String(r.steps).padStart(5)}  ${r.description.trim().split("\n")[0]}`);
      await stdout.write(`${lines.join("\n")}\n`);
    } else {
      await stderr.write("no workflows found\n");
    }
    return broken.length > 0 ? EXIT_USAGE : EXIT_OK;
  },
});
