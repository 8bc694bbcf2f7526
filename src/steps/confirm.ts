/**
 * `type: confirm`: a yes/no question. The value is `"true"` or `"false"`;
 * "no" is an answer, not a failure (a later `when` decides what it means).
 * `default` "yes" or "true" (any case) marks Yes first and is the answer
 * without a terminal; anything else means No.
 * @module
 */
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import type { PathsPlan } from "./message.ts";
import { answered, badAnswer, promptFields, promptParts, type PromptStep, promptTexts } from "./prompt.ts";

/** A confirm step. */
export type ConfirmStep = PromptStep;

const YES = new Set(["yes", "true", "y"]);
const NO = new Set(["no", "false", "n"]);

/** Atmos' reading of a default: yes or true (any case) is yes. */
const defaultsToYes = (text: string | undefined) => text !== undefined && ["yes", "true"].includes(text.trim().toLowerCase());

/** The confirm step kind. */
export const confirm: StepKind<ConfirmStep, PathsPlan> = defineKind({
  type: "confirm",
  summary: "Ask a yes/no question; value is \"true\" or \"false\" (no is not a failure)",
  ...promptParts<ConfirmStep, boolean>("confirm", {
    checkedEarly: true,
    fromAnswer(answer, planned) {
      const word = answer.trim().toLowerCase();
      if (YES.has(word)) return answered("true");
      if (NO.has(word)) return answered("false");
      return badAnswer(planned.name, answer, "yes or no (also y/n, true/false)");
    },
    fromDefault: (text) => answered(String(defaultsToYes(text))),
    async view(planned) {
      const { ConfirmView } = await import("../prompts/confirm-view.ts");
      return new ConfirmView(planned.resolved.texts.prompt ?? "", defaultsToYes(planned.resolved.texts.default));
    },
    toOutcome: (value) => answered(String(value)),
  }),
  fields: promptFields,
  build: (fields, base) => ({ ...base, type: "confirm", texts: promptTexts(fields, []) }),
});
