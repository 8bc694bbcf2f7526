/**
 * `type: hint`: a muted hint line (💡) on stderr. Stores the content.
 * @module
 */
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, textsOf, valued } from "./message.ts";

/** The hint step kind. */
export const hint: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "hint",
  summary: "Print a hint (stderr)",
  ...messageParts<MessageStep>("hint"),
  fields: () => ({ content: str }),
  build: (fields, base) => ({ ...base, type: "hint", texts: textsOf(fields, ["content"]) }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content!;
    await say(ctx, 2, `💡 ${content}`);
    return valued(content);
  },
});
