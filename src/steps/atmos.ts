/**
 * `type: atmos` (the default type): an `atmos` command, with `-s STACK`
 * added when the step has a stack and the command names none.
 * @module
 */
import { PlanError } from "../errors.ts";
import { str } from "../workflow/schema.ts";
import { shellQuote, splitShellWords } from "../util/shell-words.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF } from "./behaviours.ts";
import {
  type CommandStep, commandLine, planRunFields, PROCESS_RESULT_KEYS, type ProcessPlan, processView, processViewText, runFieldsOf, runFieldTemplates,
  runPlannedProcess,
} from "./process.ts";
import { runFields } from "./schema.ts";
import { terminalFields, terminalOf, withTerminal } from "./attached-process.ts";

/** Whether a word sets atmos' stack. */
const STACK_FLAG = (w: string) => w === "-s" || w === "--stack" || w.startsWith("--stack=");

/** The words before a `--` (after it, words belong to the tool atmos runs). */
const beforeSeparator = (words: string[]) => (words.includes("--") ? words.slice(0, words.indexOf("--")) : words);

/**
 * The `-s`/`--stack` word an atmos command writes itself (before any `--`), if any.
 *
 * @example
 * ```ts
 * inlineStackFlag(["terraform", "plan", "vpc", "-s", "dev"]); // "-s"
 * ```
 */
export function inlineStackFlag(words: string[]): string | undefined {
  return beforeSeparator(words).find(STACK_FLAG);
}

/**
 * Inserts `-s <stack>` before any `--`. A stack written in the command
 * itself comes earlier, so the workflow's or step's stack wins (atmos takes
 * the last one), as in Atmos.
 *
 * @example
 * ```ts
 * withStackArgs(["terraform", "plan", "vpc"], "dev"); // ["terraform", "plan", "vpc", "-s", "dev"]
 * ```
 */
export function withStackArgs(words: string[], stack: string | undefined): string[] {
  if (!stack) return words;
  const separator = words.indexOf("--");
  return separator < 0 ? [...words, "-s", stack] : [...words.slice(0, separator), "-s", stack, ...words.slice(separator)];
}

/** An atmos step: its command split into words before templating. */
export interface AtmosStep extends CommandStep {
  type: "atmos";
  /** The command's words, each still a template: a rendered value never adds words. */
  words: string[];
}

/** The atmos step kind. */
export const atmos: StepKind<AtmosStep, ProcessPlan> = defineKind({
  type: "atmos",
  summary: "Run an atmos command (the default type)",
  behaviours: { ...LEAF, usesStreams: true },
  fields: () => ({ ...runFields, command: str, ...terminalFields }),
  // A child of parallel/matrix never owns the terminal (parse.ts says why when it tries).
  childFields: () => ({ ...runFields, command: str }),
  build(fields, base, ctx) {
    const command = fields.command;
    let words: string[];
    try {
      // Words first, templates second: `{{ .vars.component }}` is one argument whatever it holds.
      words = splitShellWords(command, { keepTemplates: true });
    } catch (error) {
      ctx.report(["command"], `field "command": ${(error as Error).message} (expected balanced quotes)`);
      return undefined;
    }
    const terminal = "tty" in fields ? terminalOf(fields) : undefined;
    return { ...base, type: "atmos", ...runFieldsOf(fields), command, words, ...(terminal ? { terminal } : {}) };
  },
  produces: PROCESS_RESULT_KEYS,
  templates: (step) => [{ field: "command", path: ["command"], text: step.command, quoteStyle: "shell", code: "argv" }, ...runFieldTemplates(step)],
  plan(step, scope) {
    const { env, cwd } = planRunFields(step, scope);
    const words = step.words.map((word) => {
      // Each word goes to atmos as one argument, no shell in between: a value from outside is passed as it is.
      const value = scope.renderCode({ field: "command", path: ["command"], text: word, textOffset: step.command.indexOf(word), quoteStyle: "shell", code: "argv" }, env).text;
      // A value may not turn into a flag the author did not write (`-s prod` from a --var).
      if (word.includes("{{") && !word.startsWith("-") && value.startsWith("-")) {
        throw new PlanError(scope.name, `field "command": ${word} renders to ${JSON.stringify(value)}, which atmos would read as a flag (expected a value that does not start with "-"; write the flag in the command itself)`);
      }
      return value;
    });
    // A stack in the command itself comes first, so the stack muster adds (-s given to muster, the step's or the
    // workflow's) wins: atmos takes the last -s, as in Atmos (TestExecuteWorkflow "failing atmos command with stack").
    const command = words.map(shellQuote).join(" ");
    return { stack: scope.stack, command, argv: [scope.run.atmosBin, ...withStackArgs(words, scope.stack)], cwd, env, ...(step.terminal ? { terminal: step.terminal } : {}) };
  },
  attaches: (step) => step.terminal !== undefined,
  describe: (planned) => withTerminal(commandLine(planned.resolved.argv.map(shellQuote).join(" ")), planned.resolved.terminal),
  view: (planned) => ({ name: planned.name, type: "atmos", ...processView(planned) }),
  viewText: processViewText,
  run: runPlannedProcess,
});
