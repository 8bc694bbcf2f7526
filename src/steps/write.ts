/**
 * `type: write`: a multi-line text editor, `height` rows (5) tall, with
 * `placeholder` shown while empty. As in Atmos the `default` is the answer
 * only without a terminal (the editor starts empty). Stores the text.
 * @module
 */
import * as v from "valibot";
import { str, wholeNumber } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import type { PathsPlan } from "./message.ts";
import { answered, promptFields, promptParts, type PromptStep, promptTexts } from "./prompt.ts";

/** A write step. */
export interface WriteStep extends PromptStep {
  height: number;
}

/** The write step kind. */
export const write: StepKind<WriteStep, PathsPlan> = defineKind({
  type: "write",
  summary: "Ask for several lines of text in a small editor; value is the text",
  ...promptParts<WriteStep, string>("write", {
    fromAnswer: (answer) => answered(answer),
    fromDefault: (text) => answered(text),
    async view(planned) {
      const { EditorView } = await import("../prompts/editor-view.ts");
      return new EditorView({ prompt: planned.resolved.texts.prompt ?? "", placeholder: planned.resolved.texts.placeholder, height: planned.step.height });
    },
    toOutcome: (value) => answered(value),
  }),
  fields: () => ({
    ...promptFields(),
    placeholder: v.optional(str),
    height: v.optional(wholeNumber(1), 5),
  }),
  build: (fields, base) => ({ ...base, type: "write", height: fields.height, texts: promptTexts(fields, ["placeholder"]) }),
});
