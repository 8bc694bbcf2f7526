/**
 * `type: style`: `content` drawn as a styled block on stderr, with Atmos'
 * (lipgloss') fields: `border` (none, hidden, normal, rounded, thick,
 * double), `padding`/`margin` ("1", "1 2", "1 2 3", "1 2 3 4"), `width`
 * (inside the border, padding included; text wraps to fit), `height`,
 * `align`, `foreground`/`background`/`border_foreground`/`border_background`
 * (`#rrggbb` or a 0-255 palette number), `bold`, `italic`, `underline`,
 * `strikethrough`, `faint`, and `markdown` (render the content first).
 * Colours and attributes only when colour is on; the box itself is drawn
 * either way. Stores the content as written (templated), not the drawing.
 * @module
 */
import * as v from "valibot";
import { expect, str, wholeNumber } from "../workflow/schema.ts";
import { type BoxStyle, parseSpacing } from "../output/box.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, textsOf, valued } from "./message.ts";

/** A style step: its texts (content, colours) and the box's shape. */
export interface StyleStep extends MessageStep {
  box: Omit<BoxStyle, "foreground" | "background" | "borderForeground" | "borderBackground">;
  markdown: boolean;
}

const spacing = v.union([v.string(), v.number()], expect('spacing such as "1" or "1 2" (top/bottom, left/right)'));
const flag = v.optional(v.boolean(expect("true or false")), false);
const COLOUR_FIELDS = ["foreground", "background", "border_foreground", "border_background"] as const;

/** The style step kind. */
export const style: StepKind<StyleStep, MessagePlan> = defineKind({
  type: "style",
  summary: "Draw text in a styled box (stderr)",
  ...messageParts<StyleStep>("style"),
  fields: () => ({
    content: str,
    border: v.optional(v.picklist(["none", "hidden", "normal", "rounded", "thick", "double"], expect("one of: none, hidden, normal, rounded, thick, double"))),
    padding: v.optional(spacing),
    margin: v.optional(spacing),
    width: v.optional(wholeNumber(1)),
    height: v.optional(wholeNumber(1)),
    align: v.optional(v.picklist(["left", "center", "right"], expect("one of: left, center, right"))),
    foreground: v.optional(str),
    background: v.optional(str),
    border_foreground: v.optional(str),
    border_background: v.optional(str),
    bold: flag,
    italic: flag,
    underline: flag,
    strikethrough: flag,
    faint: flag,
    markdown: flag,
  }),
  build(fields, base) {
    const spacingOf = (value: unknown) => (value === undefined ? undefined : parseSpacing(value as string | number));
    return {
      ...base,
      type: "style",
      markdown: fields.markdown,
      texts: textsOf(fields, ["content", ...COLOUR_FIELDS]),
      box: {
        border: fields.border,
        padding: spacingOf(fields.padding),
        margin: spacingOf(fields.margin),
        width: fields.width,
        height: fields.height,
        align: fields.align,
        bold: fields.bold,
        italic: fields.italic,
        underline: fields.underline,
        strikethrough: fields.strikethrough,
        faint: fields.faint,
      },
    };
  },
  async run(planned, ctx) {
    const { drawBox } = await import("../output/box.ts");
    const { shouldColor } = await import("../output/colors.ts");
    const { texts } = planned.resolved;
    const { box } = planned.step;
    const colour = shouldColor(ctx.run.env, ctx.run.terminal?.stderr ?? false);
    let content = texts.content!;
    if (planned.step.markdown) {
      const { platform } = await import("../platform/index.ts");
      const horizontal = (box.padding?.[1] ?? 0) + (box.padding?.[3] ?? 0);
      const columns = box.width !== undefined ? box.width - horizontal : Math.min(ctx.run.terminal?.columns ?? 80, 100) - horizontal - (box.border && box.border !== "none" ? 2 : 0);
      content = (platform.renderMarkdown?.(content, { colors: colour, columns: Math.max(10, columns) }) ?? content).trim();
    }
    const drawing = drawBox(content, {
      ...box,
      foreground: texts.foreground,
      background: texts.background,
      borderForeground: texts.border_foreground,
      borderBackground: texts.border_background,
    }, colour);
    await say(ctx, 2, drawing);
    return valued(texts.content!);
  },
});
