/**
 * `type: alert`: rings the terminal bell (BEL on stderr, only when stderr
 * is a terminal) and prints its content, if any, on stderr. Stores the content.
 * @module
 */
import * as v from "valibot";
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, textsOf, valued } from "./message.ts";

/** The alert step kind. */
export const alert: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "alert",
  summary: "Ring the terminal bell and print a message (stderr)",
  ...messageParts<MessageStep>("alert"),
  fields: () => ({ content: v.optional(str) }),
  build: (fields, base) => ({ ...base, type: "alert", texts: textsOf(fields, ["content"]) }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content ?? "";
    const bell = ctx.run.terminal?.stderr ? "\x07" : "";
    if (content || bell) await ctx.write(2, new TextEncoder().encode(`${bell}${content}${content ? "\n" : ""}`));
    return valued(content);
  },
});
