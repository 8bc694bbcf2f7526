/**
 * `type: table`: a table on stdout. With `data` (a list of maps) each row's
 * cells are templates, `columns` picks and orders the columns (default: the
 * keys of the first row, in the order written), and the table is Atmos'
 * minimal style: a header, a rule under it, cells padded by one space. With
 * `content` the text is written as it is. `title` goes above, with a blank
 * line. Stores the rendered text.
 * @module
 */
import * as v from "valibot";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { listOf, listTexts, type MessagePlan, messageParts, type MessageStep, textsOf, valued } from "./message.ts";

/** A table step: cells are kept in `texts` as `data.ROW.COLUMN`. */
export interface TableStep extends MessageStep {
  rows: number;
}

const scalar = v.pipe(v.union([v.string(), v.number(), v.boolean(), v.null()], expect("a string, number or boolean")), v.transform((x) => (x === null ? "" : String(x))));

/** Display width of a cell (wide characters count once: good enough for the tables workflows print). */
const width = (text: string) => [...text].length;

/**
 * Lays out a minimal table.
 *
 * @example
 * ```ts
 * minimalTable(["NAME", "V"], [["web", "1"]]); // " NAME  V \n─────────\n web   1 "
 * ```
 */
export function minimalTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) => widths.map((w, i) => ` ${(cells[i] ?? "") + " ".repeat(w - width(cells[i] ?? ""))} `).join("");
  const total = widths.reduce((sum, w) => sum + w + 2, 0);
  return [line(header), "─".repeat(total), ...rows.map(line)].map((l) => l.trimEnd()).join("\n");
}

/** The table step kind. */
export const table: StepKind<TableStep, MessagePlan> = defineKind({
  type: "table",
  summary: "Print a table of data (or text) on stdout",
  ...messageParts<TableStep>("table"),
  fields: () => ({
    data: v.optional(v.array(v.record(v.string(), scalar, expect("a map of column names to values")), expect("a list of rows (maps of column names to values)"))),
    columns: v.optional(v.array(str, expect("a list of column names"))),
    content: v.optional(str),
    title: v.optional(str),
  }),
  build(fields, base, ctx) {
    const data = fields.data;
    if ((data === undefined || data.length === 0) && fields.content === undefined) {
      ctx.report([], `missing required field "data" or "content" (expected a list of rows, or the table as text)`);
      return undefined;
    }
    const columns = fields.columns ?? Object.keys(data?.[0] ?? {});
    const cells: Record<string, string> = {};
    (data ?? []).forEach((row, i) => {
      for (const column of columns) if (Object.hasOwn(row, column)) cells[`data.${i}.${column}`] = row[column]!;
    });
    return { ...base, type: "table", rows: data?.length ?? 0, texts: { ...textsOf(fields, ["content", "title"]), ...listTexts("columns", columns), ...cells } };
  },
  describe: (planned) => (planned.step.rows > 0 ? `table ${planned.step.rows} rows` : "table"),
  async run(planned, ctx) {
    const texts = planned.resolved.texts;
    let body: string;
    if (texts.content !== undefined) body = texts.content;
    else {
      const columns = listOf(texts, "columns");
      const rows = Array.from({ length: planned.step.rows }, (_, i) => columns.map((c) => texts[`data.${i}.${c}`] ?? ""));
      body = minimalTable(columns, rows);
    }
    const output = texts.title ? `${texts.title}\n\n${body}` : body;
    await ctx.write(1, new TextEncoder().encode(output.endsWith("\n") ? output : `${output}\n`));
    return valued(output);
  },
});
