/**
 * `working_directory` values written without templates that name no
 * directory, for `muster validate` (a warning: an earlier step may create
 * the directory). A close sibling is suggested (`vcp` → `vpc`).
 *
 * @example
 * ```ts
 * missingDirectories(workflow, "/project")[0]?.message;
 * // 'workflow "w", step "plan": working_directory "components/terraform/vcp" does not exist
 * //  (expected a directory under /project; did you mean "components/terraform/vpc"?)'
 * ```
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import type { Diagnostic } from "../errors.ts";
import { suggest } from "./diagnostics.ts";
import type { StepBase, Workflow } from "./types.ts";

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** A directory beside the missing `path` with a close name, as `written` would spell it. */
function closeSibling(path: string, written: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dirname(path), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return undefined;
  }
  const hint = suggest(basename(path), names);
  return hint === undefined ? undefined : join(dirname(written), hint);
}

/**
 * Every static `working_directory` (workflow, step, group child) of
 * `workflow` that is not a directory, resolved as the run resolves it:
 * (relative ones are joined to `baseDir`, the project's base path).
 */
export function missingDirectories(workflow: Workflow, baseDir: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (written: string | undefined, at: { file: string; line: number; col: number }, where: string) => {
    if (written === undefined || written.includes("{{")) return;
    const path = isAbsolute(written) ? written : join(baseDir, written);
    if (isDirectory(path)) return;
    const hint = closeSibling(path, written);
    out.push({ ...at, message: `${where}: working_directory ${JSON.stringify(written)} does not exist (expected a directory under ${baseDir}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ""})` });
  };
  check(workflow.workingDirectory, workflow.source, `workflow "${workflow.name}"`);
  const visit = (steps: StepBase[], where: string, noun: string) => {
    for (const step of steps) {
      const label = `${where}, ${noun} "${step.name}"`;
      check((step as StepBase & { workingDirectory?: string }).workingDirectory, step.sourceOf(["working_directory"]), label);
      const children = (step as StepBase & { steps?: StepBase[] }).steps;
      if (Array.isArray(children)) visit(children, label, "child");
    }
  };
  visit(workflow.steps, `workflow "${workflow.name}"`, "step");
  return out;
}
