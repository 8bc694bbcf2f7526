/**
 * `type: choose`: picks one of `options` (each a template) with the arrow
 * keys; `default` is highlighted first, and is the answer without a
 * terminal (unchecked, as Atmos). An `--answer` must be one of the options.
 * Stores the choice as the value.
 * @module
 */
import * as v from "valibot";
import { expect } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import type { PathsPlan } from "./message.ts";
import { answered, badAnswer, optionList, optionsOf, promptFields, promptParts, type PromptStep, promptTexts } from "./prompt.ts";

/** A choose step. */
export type ChooseStep = PromptStep;

/** The choose step kind. */
export const choose: StepKind<ChooseStep, PathsPlan> = defineKind({
  type: "choose",
  summary: "Pick one of a list of options; value is the option",
  ...promptParts<ChooseStep, string[]>("choose", {
    checkedEarly: true,
    fromAnswer(answer, planned) {
      const options = optionsOf(planned);
      return options.includes(answer) ? answered(answer) : badAnswer(planned.name, answer, `one of: ${options.join(", ")}`);
    },
    fromDefault: (text) => answered(text),
    async view(planned) {
      const { ListView } = await import("../prompts/list-view.ts");
      const initial = planned.resolved.texts.default;
      return new ListView({ prompt: planned.resolved.texts.prompt ?? "", options: optionsOf(planned), initial: initial ? [initial] : [] });
    },
    toOutcome: (value) => answered(value[0] ?? ""),
  }),
  fields: () => ({
    ...promptFields(),
    options: v.pipe(optionList, v.minLength(1, expect("at least one option"))),
  }),
  build: (fields, base) => ({ ...base, type: "choose", texts: promptTexts(fields, ["options"]) }),
});
