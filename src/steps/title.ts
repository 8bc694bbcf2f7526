/**
 * `type: title`: sets the terminal's window title (an OSC 0 sequence on
 * stderr, only when it is a terminal); an empty `content` clears it.
 * Stores the title.
 * @module
 */
import * as v from "valibot";
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, valued } from "./message.ts";

/** The title step kind. */
export const title: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "title",
  summary: "Set the terminal window title",
  ...messageParts<MessageStep>("title"),
  fields: () => ({ content: v.optional(str, "") }),
  build: (fields, base) => ({ ...base, type: "title", texts: { content: fields.content } }),
  async run(planned, ctx) {
    // Control characters in a title would end the sequence early: drop them.
    const text = planned.resolved.texts.content!.replace(/[\x00-\x1f\x7f]/g, "");
    if (ctx.run.terminal?.stderr) await ctx.write(2, new TextEncoder().encode(`\x1b]0;${text}\x07`));
    return valued(text);
  },
});
