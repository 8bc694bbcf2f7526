/**
 * What `muster workflow` checks about `--answer`s before anything runs, and
 * which of them a resume hint may repeat.
 * @module
 */
import { UsageError } from "../errors.ts";
import { kindOfStep } from "../steps/index.ts";
import type { InputStep } from "../steps/input.ts";
import { unansweredPrompts } from "../steps/prompt.ts";
import { suggest } from "../workflow/diagnostics.ts";
import type { Plan } from "../load/plan.ts";
import type { Workflow } from "../workflow/types.ts";

/** Refuses (exit 2) an `--answer` that names no prompt step of `workflow`. */
export function checkAnswers(workflow: Workflow, answers: Record<string, string>): void {
  const prompts = workflow.steps.filter((step) => kindOfStep(step).behaviours.interactive).map((step) => step.name);
  for (const name of Object.keys(answers)) {
    if (prompts.includes(name)) continue;
    const isStep = workflow.steps.some((step) => step.name === name);
    const hint = suggest(name, prompts);
    const why = isStep ? `step "${name}" is not a prompt` : `workflow "${workflow.name}" has no step "${name}"`;
    throw new UsageError(
      `--answer ${name}=…: ${why}${hint ? `; did you mean "${hint}"?` : ""} (expected the name of a prompt step: ${prompts.length > 0 ? prompts.join(", ") : `workflow "${workflow.name}" has none`})`,
    );
  }
}

/** Refuses (exit 2) a run without a terminal whose prompt steps nothing would answer: better than stopping halfway. */
export function refuseUnanswered(plan: Plan, answers: Record<string, string>, fromStep: string | undefined): void {
  const start = fromStep ? plan.steps.findIndex((p) => p.name === fromStep) : 0;
  const unanswered = unansweredPrompts(plan.steps.slice(Math.max(0, start)), answers);
  if (unanswered.length === 0) return;
  const listed = unanswered.map((p) => `"${p.name}" (${p.step.type})`).join(", ");
  const flags = unanswered.map((p) => `--answer ${p.name}=VALUE`).join(" ");
  throw new UsageError(`workflow "${plan.workflow.name}" has prompt steps with no default and no answer: ${listed}; there is no terminal to ask on (stdin and stderr must both be terminals). Give ${flags}, set a default, or run it on a terminal`);
}

/** Refuses (exit 2) an answer that cannot be right whatever runs before it: not yes or no, not among fixed options. */
export async function refuseBadAnswers(plan: Plan, answers: Record<string, string>): Promise<void> {
  for (const planned of plan.steps) {
    const answer = answers[planned.name];
    if (answer === undefined || planned.deferred || !planned.kind.answerProblem) continue;
    const problem = await planned.kind.answerProblem(answer, planned);
    if (problem !== undefined) throw new UsageError(problem);
  }
}

/** The answers a printed resume command may carry: every one but a password's (a secret never goes into a printed command). */
export function resumableAnswers(workflow: Workflow, answers: Record<string, string>): Record<string, string> {
  const secret = (name: string) => workflow.steps.some((step) => step.name === name && step.type === "input" && (step as InputStep).password);
  return Object.fromEntries(Object.entries(answers).filter(([name]) => !secret(name)));
}
