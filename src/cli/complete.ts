/**
 * `muster __complete workflows [-f FILE] [-C DIR]`: workflow names, one per
 * line, for shell completion; `muster __complete steps NAME [-f FILE] [-C DIR]`:
 * the top-level step names of workflow NAME (for `--from-step`);
 * `muster __complete runs [-C DIR]`: the project's run ids in the journal
 * (for `muster runs show`). Hidden;
 * never fails loudly.
 * @internal
 * @module
 */
import { defineCommand } from "./command.ts";
import { stdout } from "../output/terminal.ts";
import { loadWorkflowFiles } from "../load/discover.ts";
import { dirArg, fileArg, loadProject } from "./common.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { platform } from "../platform/index.ts";

export default defineCommand({
  meta: { name: "__complete", description: "Completion helper", hidden: true },
  args: { what: { type: "positional", required: true }, workflow: { type: "positional", required: false }, file: fileArg, dir: dirArg },
  async run({ args }) {
    if (args.what !== "workflows" && args.what !== "steps" && args.what !== "runs") return EXIT_OK;
    try {
      if (args.what === "runs") {
        const { Journal } = await import("../journal/journal.ts");
        const { journal } = Journal.open(platform.env());
        const project = await loadProject(args.dir);
        await stdout.write((journal?.list() ?? []).filter((r) => r.project === project.basePath).map((r) => `${r.id}\n`).join(""));
        return EXIT_OK;
      }
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
