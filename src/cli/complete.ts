/**
 * `muster __complete workflows [-f FILE] [-C DIR]`: workflow names, one per
 * line, for shell completion; `muster __complete steps NAME [-f FILE] [-C DIR]`:
 * the top-level step names of workflow NAME (for `--from-step`). Hidden;
 * never fails loudly.
 * @internal
 * @module
 */
import { defineCommand } from "./command.ts";
import { stdout } from "../output/terminal.ts";
import { loadWorkflowFiles } from "../load/discover.ts";
import { dirArg, fileArg, loadProject } from "./common.ts";
import { EXIT_OK } from "../exit-codes.ts";

export default defineCommand({
  meta: { name: "__complete", description: "Completion helper", hidden: true },
  args: { what: { type: "positional", required: true }, workflow: { type: "positional", required: false }, file: fileArg, dir: dirArg },
  async run({ args }) {
    if (args.what !== "workflows" && args.what !== "steps") return EXIT_OK;
    try {
      const { files } = await loadWorkflowFiles(await loadProject(args.dir), args.file);
      const names = args.what === "workflows"
        ? new Set(files.flatMap((f) => [...(f.workflowFile?.workflows.keys() ?? [])]))
        : new Set(files.flatMap((f) => f.workflowFile?.workflows.get(args.workflow ?? "")?.steps.map((s) => s.name) ?? []));
      await stdout.write([...names].map((n) => `${n}\n`).join(""));
    } catch {
      // completion must never print errors into the user's prompt
    }
    return EXIT_OK;
  },
});
