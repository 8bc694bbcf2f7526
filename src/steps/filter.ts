/**
 * `type: filter`: picks from `options` by typing to narrow them (fuzzy
 * match). One option by default; several with `multiple: true` (up to
 * `limit`, all of them without one) or `limit` above 1. With several, the
 * value is the first picked and `values` all of them, in option order; a
 * `default` or `--answer` is split on commas, as Atmos does.
 * @module
 */
import * as v from "valibot";
import { expect, wholeNumber } from "../workflow/schema.ts";
import type { PlannedStep, StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import type { PathsPlan } from "./message.ts";
import { answered, badAnswer, optionList, optionsOf, promptFields, promptParts, type PromptStep, promptTexts } from "./prompt.ts";

/** A filter step. */
export interface FilterStep extends PromptStep {
  multiple: boolean;
  /** 0: no limit given. */
  limit: number;
}

/** How many may be picked: Atmos' rule (multiple without a limit: all). */
function limitOf(planned: PlannedStep<FilterStep, PathsPlan>): number {
  const { multiple, limit } = planned.step;
  if (limit > 0) return limit;
  return multiple ? optionsOf(planned).length : 1;
}

const several = (step: FilterStep) => step.multiple || step.limit > 1;

/** Atmos' comma split: trimmed, empty parts dropped. */
const splitCommas = (text: string) => text.split(",").map((part) => part.trim()).filter((part) => part !== "");

const picked = (values: string[]) => answered(values[0] ?? "", values);

/** The filter step kind. */
export const filter: StepKind<FilterStep, PathsPlan> = defineKind({
  type: "filter",
  summary: "Pick one or several options, typing to filter them; value is the first, values all",
  ...promptParts<FilterStep, string[]>("filter", {
    checkedEarly: true,
    fromAnswer(answer, planned) {
      const options = optionsOf(planned);
      const values = several(planned.step) ? splitCommas(answer) : [answer];
      const unknown = values.filter((value) => !options.includes(value));
      if (unknown.length > 0) return badAnswer(planned.name, answer, `${several(planned.step) ? "a comma-separated list of" : "one of"}: ${options.join(", ")} (not ${unknown.map((u) => JSON.stringify(u)).join(", ")})`);
      const limit = limitOf(planned);
      if (values.length > limit) return badAnswer(planned.name, answer, `at most ${limit} option${limit === 1 ? "" : "s"}`);
      return several(planned.step) ? picked(values) : answered(answer);
    },
    fromDefault: (text, planned) => (several(planned.step) ? picked(splitCommas(text)) : answered(text)),
    async view(planned) {
      const { ListView } = await import("../prompts/list-view.ts");
      const { prompt = "", default: initial } = planned.resolved.texts;
      return new ListView({ prompt, options: optionsOf(planned), filterable: true, limit: limitOf(planned), initial: initial ? splitCommas(initial) : [] });
    },
    toOutcome: (values, planned) => (several(planned.step) ? picked(values) : answered(values[0] ?? "")),
  }),
  fields: () => ({
    ...promptFields(),
    options: v.pipe(optionList, v.minLength(1, expect("at least one option"))),
    multiple: v.optional(v.boolean(expect("true or false")), false),
    limit: v.optional(wholeNumber(0), 0),
  }),
  build: (fields, base) => ({ ...base, type: "filter", multiple: fields.multiple, limit: fields.limit, texts: promptTexts(fields, ["options"]) }),
});
