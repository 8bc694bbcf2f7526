/**
 * `type: env`: sets variables for the rest of the run. Each value of `vars`
 * is a template. The variables are visible to later templates as
 * `.env.KEY`; with `export: true` (the default) they also reach later
 * steps' processes, after the workflow's `env` and before a step's own.
 * Stores an empty value.
 * @module
 */
import * as v from "valibot";
import { EXIT_OK } from "../exit-codes.ts";
import { expect, stringMap } from "../workflow/schema.ts";
import type { StepBase } from "../workflow/types.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF, never } from "./behaviours.ts";

/** An env step. */
export interface EnvStep extends StepBase {
  type: "env";
  vars: Record<string, string>;
  export: boolean;
}

/** The env step kind. */
export const env: StepKind<EnvStep, { vars: Record<string, string> }> = defineKind({
  type: "env",
  summary: "Set environment variables for later steps (vars, export)",
  behaviours: { ...LEAF, timeout: false, retry: false, concurrent: false, dryRun: true },
  gates: never,
  fields: () => ({ vars: stringMap, export: v.optional(v.boolean(expect("true or false")), true) }),
  build(fields, base, ctx) {
    const vars = fields.vars;
    if (Object.keys(vars).length === 0) {
      ctx.report(["vars"], `"vars" is empty (expected at least one NAME: value)`);
      return undefined;
    }
    return { ...base, type: "env", vars, export: fields.export };
  },
  templates: (step) => Object.entries(step.vars).map(([key, text]) => ({ field: `vars.${key}`, path: ["vars", key], text })),
  plan: (step, scope) => ({ vars: Object.fromEntries(Object.entries(step.vars).map(([key, text]) => [key, scope.render({ field: `vars.${key}`, path: ["vars", key], text })])) }),
  describe: (planned) => `env ${Object.keys(planned.resolved.vars).join(" ")}${planned.step.export ? "" : " (templates only)"}`,
  view: (planned) => ({ name: planned.name, type: "env", vars: planned.resolved.vars, export: planned.step.export }),
  viewText: (planned) => ({
    head: planned.step.export ? "env" : "env, templates only",
    lines: Object.entries(planned.resolved.vars).map(([key, value]) => `${key}=${value}`),
  }),
  run: async (planned) => ({
    status: "succeeded",
    exitCode: EXIT_OK,
    value: { value: "", values: [], metadata: {} },
    env: { vars: planned.resolved.vars, export: planned.step.export },
  }),
});
