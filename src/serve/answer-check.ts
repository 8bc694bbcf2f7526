/**
 * Checking an answer sent to a waiting run (`POST /runs/:id/answers`) as
 * `--answer` is checked: with the prompt kind's own `answerProblem`, on the
 * step definition and resolved texts the run recorded when it suspended
 * (the runner has no checkout of the run to plan it again).
 * @module
 */
import type { WaitingFor } from "../journal/run-record.ts";
import type { PlannedStep } from "../steps/kind.ts";

/**
 * Why `answer` cannot answer the prompt `waitingFor` describes, or
 * undefined when it can (or when the kind checks answers only as the run
 * goes on, as `file` does: the resumed run checks it then).
 *
 * @example
 * ```ts
 * await answerProblem(run.waitingFor, "maybe"); // '--answer approve=maybe: expected yes or no (also y/n, true/false)'
 * ```
 */
export async function answerProblem(waitingFor: WaitingFor, answer: string): Promise<string | undefined> {
  const check = waitingFor.check;
  if (!check || typeof check.step !== "object" || check.step === null) return undefined;
  const { kindOfStep, loadKinds } = await import("../steps/index.ts");
  let kind;
  try {
    await loadKinds([String((check.step as { type?: unknown }).type)]);
    kind = kindOfStep(check.step as { type: string });
  } catch {
    return undefined;
  }
  if (!kind.answerProblem) return undefined;
  const planned = { step: check.step, kind, name: waitingFor.step, needs: [], resolved: { texts: check.texts } } as unknown as PlannedStep;
  return kind.answerProblem(answer, planned);
}
