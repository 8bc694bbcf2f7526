/**
 * `type: stage`: marks where a workflow is, `[Stage i/N] title` on stderr,
 * where N counts the workflow's top-level stage steps (a run started with
 * `--from-step` still counts them all, as in Atmos). The title defaults to
 * the step's name. Stores the title.
 * @module
 */
import * as v from "valibot";
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, valued } from "./message.ts";

/** The stage step kind. */
export const stage: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "stage",
  summary: "Print [Stage i/N] title (stderr)",
  ...messageParts<MessageStep>("stage"),
  produces: ["stage_index", "total_stages"],
  fields: () => ({ title: v.optional(str) }),
  build: (fields, base) => ({ ...base, type: "stage", texts: { title: fields.title ?? base.name } }),
  async run(planned, ctx) {
    const stages = ctx.run.workflow.steps.filter((s) => s.type === "stage");
    const index = stages.findIndex((s) => s.name === planned.step.name) + 1;
    const title = planned.resolved.texts.title!;
    await say(ctx, 2, `[Stage ${index}/${stages.length}] ${title}`);
    return valued(title, { stage_index: index, total_stages: stages.length });
  },
});
