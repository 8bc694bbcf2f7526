/**
 * What `muster workflow` asks on a terminal, and checks about answers:
 * with no name, a picker (the file when there are several, the workflow
 * with its description, then the step to start from); a name defined in
 * several files, a picker of those files. Without a terminal, no name
 * prints the list and exits 2.
 * @module
 */
import { UsageError } from "../errors.ts";
import { stderr } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { type LoadedFile, loadWorkflowFiles, type Project } from "../load/discover.ts";
import type { Workflow } from "../workflow/types.ts";
import { workflowRows, workflowTable } from "./list.ts";

/** Whether prompts can be asked: stdin and stderr are terminals. */
export function promptsOnTerminal(): boolean {
  return platform.isTerminal(0) && platform.isTerminal(2);
}

/** Asks which of `files` (all defining workflow `name`) to run it from. */
export async function pickFile(name: string, files: LoadedFile[]): Promise<LoadedFile> {
  const { ask } = await import("../prompts/ask.ts");
  const { ListView } = await import("../prompts/list-view.ts");
  const title = `Workflow "${name}" is defined in ${files.length} files. Which one?`;
  const [display] = await ask(title, new ListView({ prompt: title, options: files.map((f) => f.display), filterable: true }));
  return files.find((f) => f.display === display)!;
}

/** A workflow picked on the terminal. */
export interface Picked {
  name: string;
  found: { file: LoadedFile; workflow: Workflow; warnings: string[] };
  fromStep?: string;
}

/** The label of the "start at the beginning" choice. */
const FROM_START = "(from the first step)";

/**
 * With no workflow named: on a terminal, the pickers; otherwise the list of
 * workflows on stderr and a usage error (exit 2).
 */
export async function pickWorkflow(project: Project, fileArg: string | undefined, interactive: boolean): Promise<Picked> {
  const { files } = await loadWorkflowFiles(project, fileArg);
  const usable = files.filter((f) => (f.workflowFile?.workflows.size ?? 0) > 0);
  if (!interactive) {
    const rows = workflowRows(usable);
    if (rows.length > 0) await stderr.write(workflowTable(rows, stderr.colors));
    throw new UsageError(`name a workflow: muster workflow NAME${fileArg ? ` -f ${fileArg}` : ""} (${rows.length > 0 ? "the workflows are listed above" : "no workflows found"}; on a terminal, muster workflow with no name lets you pick one)`);
  }
  if (usable.length === 0) throw new UsageError("no workflows found to pick from (expected workflow files with a workflows: map; see muster list)");
  const { ask } = await import("../prompts/ask.ts");
  const { ListView } = await import("../prompts/list-view.ts");
  let file = usable[0]!;
  if (usable.length > 1) {
    const title = "Which workflow file?";
    const labels = usable.map((f) => `${f.display} (${f.workflowFile!.workflows.size} workflow${f.workflowFile!.workflows.size === 1 ? "" : "s"})`);
    const [label] = await ask(title, new ListView({ prompt: title, options: labels, filterable: true }));
    file = usable[labels.indexOf(label!)]!;
  }
  const workflows = [...file.workflowFile!.workflows.values()];
  const labels = workflows.map((w) => (w.description ? `${w.name} — ${w.description.trim().split("\n")[0]}` : w.name));
  const title = `Which workflow in ${file.display}?`;
  const [label] = await ask(title, new ListView({ prompt: title, options: labels, filterable: true }));
  const workflow = workflows[labels.indexOf(label!)]!;
  let fromStep: string | undefined;
  if (workflow.steps.length > 1) {
    const steps = [FROM_START, ...workflow.steps.map((s) => s.name)];
    const stepTitle = `Start "${workflow.name}" at which step?`;
    const [step] = await ask(stepTitle, new ListView({ prompt: stepTitle, options: steps, filterable: true }));
    if (step !== FROM_START) fromStep = step;
  }
  // The command that does the same without the pickers, to copy next time.
  const command = ["muster", "workflow", workflow.name, "-f", file.display, ...(fromStep ? ["--from-step", fromStep] : [])];
  await stderr.write(stderr.colors.dim(`→ ${command.map((w) => (/^[\w./:@=-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(" ")}\n`));
  return { name: workflow.name, found: { file, workflow, warnings: [] }, fromStep };
}
