/**
 * What the prompt step types share (`input`, `confirm`, `choose`,
 * `filter`, `file`, `write`): a templated `prompt` and `default`, the way
 * a value is found, and the shape of their results.
 *
 * Where the value comes from, in order:
 * 1. `--answer NAME=VALUE`, on a terminal or not;
 * 2. on a terminal (stdin and stderr), the prompt itself, drawn on stderr;
 * 3. without one, the `default`, unasked (Atmos); no default fails the step,
 *    naming it and what would answer it (the CLI refuses such a run before
 *    anything starts, see {@linkcode unansweredPrompts}).
 *
 * Esc or Ctrl-C at a prompt interrupts the run like Ctrl-C anywhere (exit
 * 130, services torn down). Prompts own the terminal while they ask, so they
 * are refused inside `parallel`/`matrix`, and they run under `--dry-run`, as
 * in Atmos.
 * @module
 */
import * as v from "valibot";
import { EXIT_FAILURE, EXIT_SIGINT, EXIT_USAGE, EXIT_WAITING } from "../exit-codes.ts";
import type { PromptView } from "../prompts/view.ts";
import { expect, str } from "../workflow/schema.ts";
import type { Behaviours, PlannedStep, StepContext, StepKind, StepOutcome } from "./kind.ts";
import { listOf, listTexts, MESSAGE_BEHAVIOURS, messageParts, type MessageStep, type PathsPlan, planWithDirectory, textsOf } from "./message.ts";
import { lazy } from "../util/lazy.ts";

// Loaded on first use (once): `validate`, `describe` and runs that never reach this code do not load them.
const askModule = lazy(() => import("../prompts/ask.ts"));

/** Prompt steps: interactive, never concurrent, run under --dry-run; their summary line is their whole report. */
export const PROMPT_BEHAVIOURS: Behaviours = Object.freeze({ ...MESSAGE_BEHAVIOURS, interactive: true });

/** A prompt step: `prompt`, `default`, `placeholder`, `options.N`, `path` among its texts. */
export interface PromptStep extends MessageStep {}

/** A YAML scalar read as text: `default: yes` and `default: 3` are strings to Atmos too. */
export const scalarText = v.pipe(v.union([v.string(), v.number(), v.boolean()], expect("a string")), v.transform(String));
/** A list of options. */
export const optionList = v.array(scalarText, expect("a list of strings"));

/** The fields every prompt has. */
export const promptFields = () => ({
  prompt: str,
  default: v.optional(scalarText),
});

/** A prompt step's texts from its validated fields (lists become `options.N`). */
export function promptTexts(fields: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  const lists: Record<string, string> = {};
  for (const name of names) {
    const value = fields[name];
    if (Array.isArray(value)) Object.assign(lists, listTexts(name, value.map(String)));
  }
  return { ...textsOf(fields, ["prompt", "default", ...names]), ...lists };
}

/** The fields whose `!env`/`!exec` values are evaluated at the start of a run (as Atmos: default, prompt, placeholder, options). */
const FUNCTION_FIELDS = /^(default|prompt|placeholder|options\.\d+)$/;

/** How one prompt type turns the sources of a value into an outcome. */
export interface PromptSpec<S extends PromptStep, T> {
  /** The value from `--answer` (checked: a choice among the options, yes or no, an existing file). */
  fromAnswer(answer: string, planned: PlannedStep<S, PathsPlan>): StepOutcome | Promise<StepOutcome>;
  /** The answer can be checked before the run (it does not depend on files that earlier steps may write). */
  checkedEarly?: boolean;
  /** The value from `default` without a terminal (Atmos: unchecked). */
  fromDefault(text: string, planned: PlannedStep<S, PathsPlan>): StepOutcome;
  /** The prompt to show; a string is a failure (no files to pick from). */
  view(planned: PlannedStep<S, PathsPlan>): PromptView<T> | string | Promise<PromptView<T> | string>;
  /** The outcome of an answered prompt. */
  toOutcome(value: T, planned: PlannedStep<S, PathsPlan>): StepOutcome | Promise<StepOutcome>;
}

/** The parts of a prompt kind that are the same for every one. */
export function promptParts<S extends PromptStep, T>(type: string, spec: PromptSpec<S, T>) {
  const parts = messageParts<S>(type);
  return {
    ...parts,
    behaviours: PROMPT_BEHAVIOURS,
    plan: planWithDirectory,
    describe: (planned: PlannedStep<S, PathsPlan>) => `${type} ${firstLine(planned.resolved.texts.prompt ?? "")}`,
    async functions(step: S, evaluate: (text: string, field: string) => Promise<string>): Promise<S> {
      const texts: Record<string, string> = {};
      for (const [field, text] of Object.entries(step.texts)) texts[field] = FUNCTION_FIELDS.test(field) ? await evaluate(text, field) : text;
      return { ...step, texts };
    },
    run: (planned: PlannedStep<S, PathsPlan>, ctx: StepContext) => askFor(planned, ctx, spec),
    async answerProblem(answer: string, planned: PlannedStep<S, PathsPlan>): Promise<string | undefined> {
      if (!spec.checkedEarly) return undefined;
      const outcome = await spec.fromAnswer(answer, planned);
      return outcome.status === "succeeded" ? undefined : outcome.error;
    },
  } satisfies Partial<StepKind<S, PathsPlan>>;
}

/** Finds the value of a prompt step: an answer, the prompt, or the default. */
async function askFor<S extends PromptStep, T>(planned: PlannedStep<S, PathsPlan>, ctx: StepContext, spec: PromptSpec<S, T>): Promise<StepOutcome> {
  const answer = ctx.run.answers?.[planned.name];
  if (answer !== undefined) return spec.fromAnswer(answer, planned);
  if (ctx.run.suspend && !ctx.run.dryRun) {
    // Suspend mode (serve): the question waits for an answer through the runner's API; the default is only offered.
    const secret = planned.step.type === "input" && (planned.step as PromptStep & { password?: boolean }).password;
    // A password prompt's default is never shown to whoever answers.
    const { default: shownDefault, ...rest } = planned.resolved.texts;
    const texts = secret ? rest : planned.resolved.texts;
    const options = optionsOf(planned);
    ctx.run.suspend({
      step: planned.name, type: planned.step.type, prompt: texts.prompt ?? planned.name,
      ...(options.length > 0 ? { options } : {}), ...(!secret && shownDefault !== undefined && shownDefault !== "" ? { default: shownDefault } : {}),
      check: { step: planned.step, texts },
    });
    return { status: "canceled", exitCode: EXIT_WAITING, error: "waiting for an answer" };
  }
  const onTerminal = (ctx.run.terminal?.stdin ?? false) && (ctx.run.terminal?.stderr ?? false);
  if (!onTerminal) {
    const defaultText = planned.resolved.texts.default;
    if (defaultText !== undefined && defaultText !== "") {
      // Said in one line: a piped run must not take an answer silently.
      const shown = planned.step.type === "input" && (planned.step as PromptStep & { password?: boolean }).password ? "••••••" : JSON.stringify(defaultText);
      await ctx.write(2, new TextEncoder().encode(`○ ${planned.name} not asked (no terminal): took its default ${shown}; --answer ${planned.name}=VALUE answers it\n`));
      return spec.fromDefault(defaultText, planned);
    }
    if (ctx.run.dryRun) {
      // A preview should not stop at a question nobody can answer: the value is empty, and said so.
      await ctx.write(2, new TextEncoder().encode(`○ ${planned.name} not asked (dry run without a terminal): its value is empty\n`));
      return answered("");
    }
    return { status: "failed", exitCode: EXIT_USAGE, error: noAnswer(planned.name, planned.step.type) };
  }
  const view = await spec.view(planned);
  if (typeof view === "string") return { status: "failed", exitCode: EXIT_FAILURE, error: view };
  const { askOnTerminal } = await askModule();
  const end = await askOnTerminal(planned.resolved.texts.prompt ?? planned.name, view, { columns: ctx.run.terminal?.columns, signal: ctx.cancellation.signal });
  if (end.status === "answered") return spec.toOutcome(end.value, planned);
  if (end.status === "aborted") ctx.run.interrupt?.(`aborted at the prompt of step "${planned.name}"`);
  return { status: "canceled", exitCode: EXIT_SIGINT, error: end.status === "aborted" ? "aborted at the prompt" : undefined };
}

/** Why a prompt step cannot get a value without a terminal. */
export function noAnswer(name: string, type: string): string {
  return `step "${name}" (${type}) needs an answer: there is no terminal to ask on (stdin and stderr must both be terminals) and it has no default (give --answer ${name}=VALUE, set default:, or run on a terminal)`;
}

/** The rendered options of a planned prompt. */
export function optionsOf(planned: PlannedStep<PromptStep, PathsPlan>): string[] {
  return listOf(planned.resolved.texts, "options");
}

/** A failure naming what an answer should have been. */
export function badAnswer(name: string, answer: string, expected: string): StepOutcome {
  return { status: "failed", exitCode: EXIT_USAGE, error: `--answer ${name}=${answer}: expected ${expected}` };
}

/** A step that read the prompt's value: `value`, and `values` for several. */
export function answered(value: string, values: string[] = []): StepOutcome {
  return { status: "succeeded", exitCode: 0, value: { value, values, metadata: {} } };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

/**
 * The prompt steps of a workflow that nothing would answer: no terminal,
 * no `--answer` and no default. The CLI refuses to start such a run, rather
 * than stopping halfway at the first of them.
 */
export function unansweredPrompts(steps: ReadonlyArray<PlannedStep>, answers: Record<string, string>): PlannedStep[] {
  return steps.filter((p) => p.kind.behaviours.interactive && answers[p.name] === undefined && ((p.step as PromptStep).texts?.default ?? "") === "");
}
