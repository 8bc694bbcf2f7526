/**
 * Digests of what a workflow's steps are defined as, so that `--resume`
 * can tell a step that changed since the journal's run from one that did
 * not. Positions in the file (`source`) do not count: moving a step down
 * a line, or editing a comment, changes nothing.
 * @module
 */
import { platform } from "../platform/index.ts";
import type { StepBase, Workflow } from "../workflow/types.ts";

/** Code-unit order: the same everywhere, and no collator (`localeCompare` loads ICU's, about 1 ms of every run). */
const byKey = ([a]: [unknown, unknown], [b]: [unknown, unknown]): number => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

/** `value` as JSON with sorted keys, without positions or functions. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v) => {
    if (key === "source" || typeof v === "function") return undefined;
    if (v instanceof Map) return Object.fromEntries([...v.entries()].sort(byKey));
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(byKey));
    return v;
  });
}

/**
 * The digest of a step's definition (its fields, with a group's children).
 *
 * @example
 * ```ts
 * stepDigest(workflow.steps[0]!); // "9b1f…" (sha256, hex)
 * ```
 */
export function stepDigest(step: StepBase): string {
  return platform.digest("sha256", canonical(step));
}

/** The digest of the workflow's own settings every step runs under: stack, env, working directory, sandbox. */
export function workflowDigest(workflow: Workflow): string {
  const { stack, env, workingDirectory, container } = workflow;
  return platform.digest("sha256", canonical({ stack, env, workingDirectory, container }));
}

/** The digests a run record keeps. */
export function definitionDigests(workflow: Workflow): { workflow: string; steps: Array<{ name: string; digest: string }> } {
  return { workflow: workflowDigest(workflow), steps: workflow.steps.map((step) => ({ name: step.name, digest: stepDigest(step) })) };
}
