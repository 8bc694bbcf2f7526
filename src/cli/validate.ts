/**
 * `muster validate [-f FILE]`: checks every workflow file and prints every problem.
 * @module
 */
import { defineCommand } from "citty";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";
import { stderr } from "../output/terminal.ts";
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { displayPath, loadWorkflowFiles } from "../workflow/discover.ts";
import { dirArg, fileArg, loadProject } from "./common.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export default defineCommand({
  meta: { name: "validate", description: "Check workflow files and print every problem (exit 0 or 2)" },
  args: { file: fileArg, dir: dirArg },
  async run({ args }) {
    const project = await loadProject(args.dir);
    const { files, skipped } = await loadWorkflowFiles(project, args.file);
    const c = stderr.colors;
    const skippedNote = skipped.length > 0 ? ` (${plural(skipped.length, "other YAML file")} without "workflows:" skipped)` : "";
    if (files.length === 0) {
      await stderr.write(`${c.red("✗")} no workflow files found in ${displayPath(project, project.workflowsDir) || "."}${skippedNote} (expected .yaml files with a "workflows:" key; see "Where workflow files are found" in the README, or name one with -f)\n`);
      return EXIT_USAGE;
    }
    const problems = files.flatMap((f) => f.diagnostics.map(formatDiagnostic));
    // A name defined in two files cannot be run without -f: say so here rather than at run time.
    const owners = new Map<string, string[]>();
    for (const f of files) for (const name of f.workflowFile?.workflows.keys() ?? []) owners.set(name, [...(owners.get(name) ?? []), f.display]);
    for (const [name, where] of owners) {
      if (where.length > 1) problems.push(`${where[1]}: workflow "${name}" is also defined in ${where.filter((_, i) => i !== 1).join(", ")} (expected each name once; "muster workflow ${name}" needs -f to choose)`);
    }
    for (const line of problems) await stderr.write(`${line}\n`);
    const workflows = files.reduce((n, f) => n + (f.workflowFile?.workflows.size ?? 0), 0);
    if (problems.length > 0) {
      const bad = files.filter((f) => f.diagnostics.length > 0).length;
      await stderr.write(`${c.red("✗")} ${plural(problems.length, "problem")} in ${bad} of ${plural(files.length, "file")}${skippedNote}\n`);
      return EXIT_USAGE;
    }
    await stderr.write(`${c.green("✓")} ${plural(files.length, "file")}, ${plural(workflows, "workflow")}: valid${skippedNote}\n`);
    return EXIT_OK;
  },
});
