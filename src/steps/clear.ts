/**
 * `type: clear`: clears the current line of the terminal (stderr); does
 * nothing without one. Stores "".
 * @module
 */
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, valued } from "./message.ts";

/** The clear step kind. */
export const clear: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "clear",
  summary: "Clear the current terminal line",
  ...messageParts<MessageStep>("clear"),
  fields: () => ({}),
  build: (_fields, base) => ({ ...base, type: "clear", texts: {} }),
  async run(_planned, ctx) {
    if (ctx.run.terminal?.stderr) await ctx.write(2, new TextEncoder().encode("\r\x1b[2K"));
    return valued("");
  },
});
