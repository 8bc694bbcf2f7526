/**
 * `type: join`: joins `options` (each a template) with `separator`
 * (default a newline), or takes `content`; prints nothing. Stores the
 * result, for later steps to use as `.steps.NAME.value`.
 *
 * `values` (beyond Atmos) joins a list that a template yields, such as a
 * multi-select's `{{ .steps.regions.values }}`: Atmos' own
 * interactive-workflows example writes that, but Atmos ignores the field
 * and refuses the step for having neither options nor content. One action
 * yielding a list joins its items; anything else joins the one text.
 * @module
 */
import * as v from "valibot";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { listOf, listTexts, type MessagePlan, messageParts, type MessageStep, textsOf, valued } from "./message.ts";

/** A join step. */
export interface JoinStep extends MessageStep {
  separator: string;
}

/** The join step kind. */
export const join: StepKind<JoinStep, MessagePlan> = defineKind({
  type: "join",
  summary: "Join options (or content) into a value; prints nothing",
  ...messageParts<JoinStep>("join"),
  produces: ["count"],
  fields: () => ({
    options: v.optional(v.array(str, expect("a list of strings"))),
    values: v.optional(str),
    content: v.optional(str),
    separator: v.optional(str, "\n"),
  }),
  build(fields, base, ctx) {
    if (fields.options === undefined && fields.content === undefined && fields.values === undefined) {
      ctx.report([], `missing required field "options", "values" or "content" (expected a list of strings to join, a template yielding a list, or the content itself)`);
      return undefined;
    }
    return { ...base, type: "join", separator: fields.separator, texts: { ...listTexts("options", fields.options), ...textsOf(fields, ["content"]), ...valuesText(fields.values) } };
  },
  async run(planned) {
    const values = planned.resolved.texts.values;
    const options = values !== undefined ? valuesOf(values) : listOf(planned.resolved.texts, "options");
    const value = options.length > 0 ? options.join(planned.step.separator) : planned.resolved.texts.content ?? "";
    return valued(value, { count: options.length });
  },
});

/** One action, `{{ X }}`: rendered as JSON (`{{ X | toJson }}`) so that a list keeps its items. */
const ONE_ACTION = /^\{\{-?\s*((?:(?!\}\}|\{\{).)+?)\s*-?\}\}$/s;

/** The `values` text to render: one action asks for JSON. */
function valuesText(values: string | undefined): Record<string, string> {
  if (values === undefined) return {};
  const action = ONE_ACTION.exec(values.trim());
  return { values: action ? `{{ ${action[1]} | toJson }}` : values };
}

/** The items of a rendered `values`: a JSON list's items, else the one text. */
function valuesOf(rendered: string): string[] {
  try {
    const parsed: unknown = JSON.parse(rendered);
    if (Array.isArray(parsed)) return parsed.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
    if (typeof parsed === "string") return [parsed];
  } catch {
    // Not JSON: the text as written.
  }
  return [rendered];
}
