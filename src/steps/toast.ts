/**
 * `type: toast`: one line with a level's icon on stderr. Levels: `success`,
 * `info` (the default; an unknown level is info, as in Atmos), `warn` or
 * `warning`, `error`. Stores the content.
 * @module
 */
import * as v from "valibot";
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, textsOf, valued } from "./message.ts";

/** A toast step. */
export interface ToastStep extends MessageStep {
  level: string;
}

const ICONS: Record<string, string> = { success: "✓", info: "ℹ", warn: "⚠", warning: "⚠", error: "✗" };

/**
 * The line a toast prints.
 *
 * @example
 * ```ts
 * toastLine("warn", "disk almost full"); // "⚠ disk almost full"
 * ```
 */
export function toastLine(level: string, content: string): string {
  return `${ICONS[level.toLowerCase()] ?? ICONS.info} ${content}`;
}

/** The toast step kind. */
export const toast: StepKind<ToastStep, MessagePlan> = defineKind({
  type: "toast",
  summary: "Print a message with a level's icon (stderr)",
  ...messageParts<ToastStep>("toast"),
  fields: () => ({ content: str, level: v.optional(str, "info") }),
  build: (fields, base) => ({ ...base, type: "toast", texts: textsOf(fields, ["content"]), level: fields.level }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content!;
    await say(ctx, 2, toastLine(planned.step.level, content));
    return valued(content);
  },
});
