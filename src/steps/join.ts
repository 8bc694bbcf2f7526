/**
 * `type: join`: joins `options` (each a template) with `separator`
 * (default a newline), or takes `content`; prints nothing. Stores the
 * result, for later steps to use as `.steps.NAME.value`.
 * @module
 */
import * as v from "valibot";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { listOf, listTexts, type MessagePlan, messageParts, type MessageStep, textsOf, valued } from "./message.ts";

/** A join step. */
export interface JoinStep extends MessageStep {
  separator: string;
}

/** The join step kind. */
export const join: StepKind<JoinStep, MessagePlan> = {
  type: "join",
  summary: "Join options (or content) into a value; prints nothing",
  ...messageParts<JoinStep>("join"),
  produces: ["count"],
  fields: () => ({
    options: v.optional(v.array(str, expect("a list of strings"))),
    content: v.optional(str),
    separator: v.optional(str, "\n"),
  }),
  build(fields, base, ctx) {
    if (fields.options === undefined && fields.content === undefined) {
      ctx.report([], `missing required field "options" or "content" (expected a list of strings to join, or the content itself)`);
      return undefined;
    }
    return { ...base, type: "join", separator: fields.separator as string, texts: { ...listTexts("options", fields.options as string[] | undefined), ...textsOf(fields, ["content"]) } };
  },
  async run(planned) {
    const options = listOf(planned.resolved.texts, "options");
    const value = options.length > 0 ? options.join(planned.step.separator) : planned.resolved.texts.content ?? "";
    return valued(value, { count: options.length });
  },
};
