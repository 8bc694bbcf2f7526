/**
 * `muster validate [-f FILE]`: checks every workflow file and prints every error.
 * @module
 */
import { defineCommand } from "citty";
import { stderr } from "../output/terminal.ts";
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { loadFiles } from "../workflow/discover.ts";
import { dirArg, fileArg, loadProject } from "./common.ts";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";

export default defineCommand({
  meta: { name: "validate", description: "Check workflow files and print every problem (exit 0 or 2)" },
  args: { file: fileArg, dir: dirArg },
  async run({ args }) {
    const project = await loadProject(args.dir);
    const files = await loadFiles(project, args.file);
    const c = stderr.colors;
    const problems = files.flatMap((f) => f.diagnostics);
    for (const d of problems) await stderr.write(`${formatDiagnostic(d)}\n`);
    const workflows = files.reduce((n, f) => n + (f.workflowFile?.workflows.size ?? 0), 0);
    const fileWord = `${files.length} file${files.length === 1 ? "" : "s"}`;
    if (problems.length > 0) {
      const bad = files.filter((f) => f.diagnostics.length > 0).length;
      await stderr.write(`${c.red("✗")} ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${bad} of ${fileWord}\n`);
      return EXIT_USAGE;
    }
    await stderr.write(`${c.green("✓")} ${fileWord}, ${workflows} workflow${workflows === 1 ? "" : "s"}: valid\n`);
    return EXIT_OK;
  },
});
