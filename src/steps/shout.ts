/**
 * `type: shout`: `content` in capitals on stderr. An example of a new step
 * type (issue #27): one file written with `defineKind`, one registry entry.
 * @module
 */
import { str } from "../workflow/schema.ts";
import { defineKind } from "./define-kind.ts";
import type { StepKind } from "./kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, valued } from "./message.ts";

/** The shout step kind. */
export const shout: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "shout",
  summary: "Print a message in capitals (stderr)",
  ...messageParts<MessageStep>("shout"),
  fields: { content: str },
  build: (fields, base) => ({ ...base, type: "shout", texts: { content: fields.content } }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content!.toUpperCase();
    await say(ctx, 2, content);
    return valued(content);
  },
});
