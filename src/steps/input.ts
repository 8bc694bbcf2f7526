/**
 * `type: input`: asks for one line of text (`placeholder` shown while
 * empty, `password: true` masks it); an empty entry takes the `default`.
 * Stores the text as the value.
 * @module
 */
import * as v from "valibot";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import type { PathsPlan } from "./message.ts";
import { answered, promptFields, promptParts, type PromptStep, promptTexts } from "./prompt.ts";

/** An input step. */
export interface InputStep extends PromptStep {
  password: boolean;
}

/** The input step kind. */
export const input: StepKind<InputStep, PathsPlan> = defineKind({
  type: "input",
  summary: "Ask for a line of text (password: true hides it); value is the text",
  ...promptParts<InputStep, string>("input", {
    fromAnswer: (answer) => answered(answer),
    fromDefault: (text) => answered(text),
    async view(planned) {
      const { TextView } = await import("../prompts/text-view.ts");
      const { prompt = "", placeholder, default: defaultValue } = planned.resolved.texts;
      return new TextView({ prompt, placeholder, defaultValue: defaultValue || undefined, password: planned.step.password });
    },
    toOutcome: (value) => answered(value),
  }),
  fields: () => ({
    ...promptFields(),
    placeholder: v.optional(str),
    password: v.optional(v.boolean(expect("true or false")), false),
  }),
  build: (fields, base) => ({ ...base, type: "input", password: fields.password, texts: promptTexts(fields, ["placeholder"]) }),
});
