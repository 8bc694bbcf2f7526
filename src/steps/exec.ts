/**
 * `type: exec`: hands the rest of the run to `command` (`sh -c`), as
 * Atmos' exec replaces its process. It must be the workflow's last step.
 * muster tears its background services down first, then runs the command
 * on muster's own terminal (stdin, stdout, stderr) and exits with its exit
 * code. (Bun and Deno cannot replace a process in place, so muster stays
 * as a thin parent that passes signals on and nothing else.) `retry`,
 * `timeout` and `output` are refused, as in Atmos. Stores nothing.
 * @module
 */
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF } from "./behaviours.ts";
import { type CommandStep, commandLine, planShellCommand, type ProcessPlan, processView, processViewText, runFieldsOf, runPlannedProcess, shellCommandTemplates } from "./process.ts";
import { runFields } from "./schema.ts";
import { terminalFields } from "./attached-process.ts";

/** An exec step. */
export interface ExecStep extends Omit<CommandStep, "type"> {
  type: "exec";
}

/** The exec step kind. */
export const exec: StepKind<ExecStep, ProcessPlan> = defineKind({
  type: "exec",
  summary: "Hand the terminal to a command as the last step; muster exits with its code",
  behaviours: { ...LEAF, timeout: false, retry: false, concurrent: false, usesStreams: true, teardownFirst: true },
  // Accepted so that the refusal can say why (Atmos refuses them too).
  fields: () => ({ ...runFields, command: str, ...terminalFields }),
  build(fields, base, ctx) {
    for (const key of ["tty", "interactive"] as const) {
      if (!fields[key]) continue;
      ctx.report([key], `"${key}" is not allowed on an exec step (expected no ${key}: exec already hands muster's own terminal, stdin included, to the command)`, "key");
      return undefined;
    }
    return { ...base, type: "exec", ...runFieldsOf(fields), command: fields.command };
  },
  templates: shellCommandTemplates,
  plan: planShellCommand,
  describe: (planned) => commandLine(planned.resolved.display ?? planned.resolved.command),
  view: (planned) => ({ name: planned.name, type: "exec", ...processView(planned) }),
  viewText: processViewText,
  run: (planned, ctx) => runPlannedProcess(planned, { ...ctx, capture: undefined }),
});
