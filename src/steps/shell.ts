/**
 * `type: shell`: a command run by `sh -c` (`cmd /C` on Windows).
 * @module
 */
import * as v from "valibot";
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF } from "./behaviours.ts";
import {
  type CommandStep, commandLine, containerOf, planShellCommand, PROCESS_RESULT_KEYS, type ProcessPlan, processView, processViewText, runFieldsOf, shellCommandTemplates,
  runPlannedProcess,
} from "./process.ts";
import { runFields } from "./schema.ts";
import { terminalFields, terminalOf, withTerminal } from "./attached-process.ts";

/** The shell step kind. */
export const shell: StepKind<CommandStep, ProcessPlan> = defineKind({
  type: "shell",
  summary: "Run a command with the shell (sh -c)",
  behaviours: { ...LEAF, usesStreams: true },
  fields: () => ({ ...runFields, command: str, container: v.optional(v.unknown()), ...terminalFields }),
  // A child of parallel/matrix never owns the terminal (parse.ts says why when it tries).
  childFields: () => ({ ...runFields, command: str, container: v.optional(v.unknown()) }),
  build(fields, base, ctx) {
    const container = containerOf(fields.container, ctx);
    if (!container) return undefined;
    const terminal = "tty" in fields ? terminalOf(fields) : undefined;
    return { ...base, type: "shell", ...runFieldsOf(fields), ...container, command: fields.command, ...(terminal ? { terminal } : {}) };
  },
  produces: PROCESS_RESULT_KEYS,
  templates: shellCommandTemplates,
  plan: planShellCommand,
  attaches: (step) => step.terminal !== undefined,
  describe: (planned) => withTerminal(commandLine(planned.resolved.display ?? planned.resolved.command), planned.resolved.terminal),
  view: (planned) => ({ name: planned.name, type: "shell", ...processView(planned) }),
  viewText: processViewText,
  run: runPlannedProcess,
});
