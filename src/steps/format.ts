/**
 * `type: format`: writes its content and a newline to stdout (the data
 * channel, for pipes). Stores the content.
 * @module
 */
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, textsOf, valued } from "./message.ts";

/** The format step kind. */
export const format: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "format",
  summary: "Write text to stdout",
  ...messageParts<MessageStep>("format"),
  fields: () => ({ content: str }),
  build: (fields, base) => ({ ...base, type: "format", texts: textsOf(fields, ["content"]) }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content!;
    await ctx.write(1, new TextEncoder().encode(`${content}\n`));
    return valued(content);
  },
});
