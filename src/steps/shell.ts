/**
 * `type: shell`: a command run by `sh -c` (`cmd /C` on Windows).
 * @module
 */
import * as v from "valibot";
import { str } from "../workflow/schema.ts";
import { stepContainer } from "./container/fields.ts";
import type { StepKind } from "./kind.ts";
import {
  type CommandStep, commandLine, planShellCommand, PROCESS_RESULT_KEYS, type ProcessPlan, processView, processViewText, runFieldsOf, shellCommandTemplates,
  runPlannedProcess,
} from "./process.ts";
import { runFields } from "./schema.ts";

/** The shell step kind. */
export const shell: StepKind<CommandStep, ProcessPlan> = {
  type: "shell",
  summary: "Run a command with the shell (sh -c)",
  behaviours: { timeout: true, retry: true, gated: true, concurrent: true, interactive: false, usesEngine: false, usesStreams: true, hasChildren: false },
  fields: () => ({ ...runFields, command: str, container: v.optional(v.unknown()) }),
  build(fields, base, ctx) {
    const command = fields.command as string;
    if (fields.container !== undefined && ctx.check(stepContainer, fields.container, ["container"]) === undefined) return undefined;
    return { ...base, type: "shell", ...runFieldsOf(fields), command };
  },
  produces: PROCESS_RESULT_KEYS,
  templates: shellCommandTemplates,
  plan: planShellCommand,
  describe: (planned) => commandLine(planned.resolved.display ?? planned.resolved.command),
  view: (planned) => ({ name: planned.name, type: "shell", ...processView(planned) }),
  viewText: processViewText,
  run: runPlannedProcess,
};
