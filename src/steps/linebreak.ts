/**
 * `type: linebreak`: `count` (default 1) empty lines on stderr. Stores "".
 * @module
 */
import * as v from "valibot";
import { wholeNumber } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, valued } from "./message.ts";

/** A linebreak step. */
export interface LinebreakStep extends MessageStep {
  count: number;
}

/** The linebreak step kind. */
export const linebreak: StepKind<LinebreakStep, MessagePlan> = defineKind({
  type: "linebreak",
  summary: "Print empty lines (stderr)",
  ...messageParts<LinebreakStep>("linebreak"),
  describe: (planned) => `linebreak ×${planned.step.count}`,
  fields: () => ({ count: v.optional(wholeNumber(0), 1) }),
  build: (fields, base) => ({ ...base, type: "linebreak", texts: {}, count: fields.count }),
  async run(planned, ctx) {
    if (planned.step.count > 0) await ctx.write(2, new TextEncoder().encode("\n".repeat(planned.step.count)));
    return valued("");
  },
});
