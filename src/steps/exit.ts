/**
 * `type: exit`: ends the workflow here with `code` (default 0), printing
 * `content`, if any, on stderr first. A non-zero code is a failure with
 * that exit code: later steps are skipped unless their `when` says
 * otherwise, and `continue` can forgive it, as in Atmos. Code 0 ends the
 * run successfully: later steps are skipped, except those whose `when`
 * holds after a stop (`always`). Stores nothing.
 * @module
 */
import * as v from "valibot";
import { EXIT_OK } from "../exit-codes.ts";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, textsOf } from "./message.ts";

/** An exit step. */
export interface ExitStep extends MessageStep {
  code: number;
}

const exitCode = v.pipe(
  v.number(expect("a whole number from 0 to 255")),
  v.integer(expect("a whole number from 0 to 255")),
  v.minValue(0, expect("a whole number from 0 to 255")),
  v.maxValue(255, expect("a whole number from 0 to 255")),
);

/** The exit step kind. */
export const exit: StepKind<ExitStep, MessagePlan> = defineKind({
  type: "exit",
  summary: "End the workflow with an exit code (and a message on stderr)",
  ...messageParts<ExitStep>("exit"),
  describe: (planned) => `exit ${planned.step.code}`,
  fields: () => ({ code: v.optional(exitCode, 0), content: v.optional(str) }),
  build: (fields, base) => ({ ...base, type: "exit", code: fields.code, texts: textsOf(fields, ["content"]) }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content;
    if (content) await say(ctx, 2, content);
    const code = planned.step.code;
    if (code === EXIT_OK) return { status: "succeeded", exitCode: EXIT_OK, endsRun: true };
    return { status: "failed", exitCode: code, error: content ? `exit ${code}: ${content.split("\n")[0]}` : `exit step with code ${code}` };
  },
});
