/**
 * `type: atmos` (the default type): an `atmos` command, with `-s STACK`
 * added when the step has a stack and the command names none.
 * @module
 */
import { PlanError } from "../errors.ts";
import { str } from "../workflow/schema.ts";
import { shellQuote, splitShellWords } from "../workflow/shell-words.ts";
import type { StepKind } from "./kind.ts";
import {
  type CommandStep, commandLine, planRunFields, type ProcessPlan, processView, processViewText, runFieldsOf, runFieldTemplates,
  runPlannedProcess,
} from "./process.ts";
import { runFields } from "./schema.ts";

/**
 * Inserts `-s <stack>` before any `--`, unless the command names a stack already.
 *
 * @example
 * ```ts
 * withStackArgs(["terraform", "plan", "vpc"], "dev"); // ["terraform", "plan", "vpc", "-s", "dev"]
 * ```
 */
export function withStackArgs(words: string[], stack: string | undefined): string[] {
  if (!stack || words.some((w) => w === "-s" || w === "--stack" || w.startsWith("--stack="))) return words;
  const separator = words.indexOf("--");
  return separator < 0 ? [...words, "-s", stack] : [...words.slice(0, separator), "-s", stack, ...words.slice(separator)];
}

/** The atmos step kind. */
export const atmos: StepKind<CommandStep, ProcessPlan> = {
  type: "atmos",
  summary: "Run an atmos command (the default type)",
  behaviours: { timeout: true, retry: true, gated: true, concurrent: true, interactive: false, usesEngine: false, usesStreams: true, hasChildren: false },
  fields: () => ({ ...runFields, command: str }),
  build: (fields, base) => ({ ...base, type: "atmos", ...runFieldsOf(fields), command: fields.command as string }),
  templates: (step) => [{ field: "command", path: ["command"], text: step.command }, ...runFieldTemplates(step)],
  plan(step, scope) {
    const { env, cwd } = planRunFields(step, scope);
    const command = scope.render({ field: "command", path: ["command"], text: step.command });
    let words: string[];
    try {
      words = splitShellWords(command);
    } catch (error) {
      throw new PlanError(scope.name, `field "command": ${(error as Error).message} (expected balanced quotes)`);
    }
    return { stack: scope.stack, command, argv: [scope.run.atmosBin, ...withStackArgs(words, scope.stack)], cwd, env };
  },
  describe: (planned) => commandLine(planned.resolved.argv.map(shellQuote).join(" ")),
  view: (planned) => ({ name: planned.name, type: "atmos", ...processView(planned) }),
  viewText: processViewText,
  run: runPlannedProcess,
};
