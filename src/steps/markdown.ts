/**
 * `type: markdown`: renders `content` as Markdown on stderr: styled and
 * wrapped to the terminal's width on a terminal, laid out as plain text
 * without one (headings underlined, no escape codes), by the runtime's own
 * renderer (Bun.markdown). Under Deno, which has none, the source is
 * printed as written. Stores the content.
 * @module
 */
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, textsOf, valued } from "./message.ts";

/** The markdown step kind. */
export const markdown: StepKind<MessageStep, MessagePlan> = defineKind({
  type: "markdown",
  summary: "Render Markdown (stderr)",
  ...messageParts<MessageStep>("markdown"),
  fields: () => ({ content: str }),
  build: (fields, base) => ({ ...base, type: "markdown", texts: textsOf(fields, ["content"]) }),
  async run(planned, ctx) {
    const { platform } = await import("../platform/index.ts");
    const { shouldColor } = await import("../output/colors.ts");
    const content = planned.resolved.texts.content!;
    const terminal = ctx.run.terminal;
    const colors = shouldColor(ctx.run.env, terminal?.stderr ?? false);
    const rendered = platform.renderMarkdown?.(content, { colors, columns: terminal?.stderr ? Math.min(terminal.columns ?? 80, 100) : 80 }) ?? content;
    await say(ctx, 2, rendered.replace(/\n+$/, ""));
    return valued(content);
  },
});
