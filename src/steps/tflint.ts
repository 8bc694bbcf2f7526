/**
 * `type: tflint`: lints a Terraform component with TFLint. muster runs
 * `atmos terraform lint COMPONENT -s STACK`, with `args` after `--`.
 * `component` and `stack` may be written at the top of the step or under
 * `with:` (the top wins); the stack falls back to the workflow's or `-s`,
 * and one is required. Stores "COMPONENT in STACK: linted", with
 * `component`, `stack`, `status` (Atmos' finding counts are not available
 * from the command; its output is streamed and kept as `stdout`).
 * @module
 */
import * as v from "valibot";
import { PlanError } from "../errors.ts";
import { expect, str } from "../workflow/schema.ts";
import { atmosDelegate } from "./atmos-delegate.ts";
import { listTexts, listOf } from "./message.ts";

/** The tflint step kind. */
export const tflint = atmosDelegate({
  type: "tflint",
  summary: "Lint a Terraform component with TFLint (runs atmos terraform lint)",
  fields: {
    component: v.optional(str),
    args: v.optional(v.array(str, expect("a list of tflint arguments"))),
    with: v.optional(v.strictObject({ component: v.optional(str), stack: v.optional(str), args: v.optional(v.array(str)) }, expect("a map with component, stack, args"))),
  },
  texts(fields, ctx) {
    const w = fields.with ?? {};
    const component = fields.component ?? w.component;
    if (component === undefined) {
      ctx.report([], `missing required field "component" (expected the Terraform component to lint, at the top of the step or under with:)`);
      return undefined;
    }
    return { component, ...(w.stack !== undefined ? { "with.stack": w.stack } : {}), ...listTexts("args", fields.args ?? w.args) };
  },
  command(t, stack) {
    const s = t["with.stack"] ?? stack;
    if (!s) throw new PlanError(`tflint ${t.component}`, `no stack to lint ${t.component} in (expected stack: on the step, under with:, on the workflow, or -s)`);
    const args = listOf(t, "args");
    return { args: ["terraform", "lint", t.component!, ...(s ? ["-s", s] : []), ...(args.length > 0 ? ["--", ...args] : [])] };
  },
  result: (t, stack) => {
    const s = t["with.stack"] ?? stack ?? "";
    return { value: `${t.component} in ${s}: linted`, values: [], metadata: { component: t.component, stack: s, status: "passed" } };
  },
  produces: ["component", "stack", "status"],
});
