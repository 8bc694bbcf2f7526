/**
 * What the step types that print a message share (`toast`, `hint`,
 * `format`, `log`, `alert`, `stage`, ...): templated text fields rendered
 * at run time, one write to stdout or stderr, the rendered content stored
 * as the step's value, and the same plan views. Each type's own file says
 * which fields it has and how its line looks.
 * @module
 */
import { EXIT_OK } from "../exit-codes.ts";
import { stepDirectory } from "./process.ts";
import type { StepBase } from "../workflow/types.ts";
import type { Behaviours, PlannedStep, PlanScope, StepContext, StepKind, StepOutcome } from "./kind.ts";
import { always, LEAF, never } from "./behaviours.ts";

/** Message steps: no timeout or retry, not in groups, nothing but a write. */
export const MESSAGE_BEHAVIOURS: Behaviours = Object.freeze({
  ...LEAF,
  timeout: false,
  retry: false,
  concurrent: false,
  // Atmos runs its message, layout and check steps under --dry-run: they change nothing.
  dryRun: true,
});

/** A message step: its templated text fields by name, plus whatever else its type keeps. */
export interface MessageStep extends StepBase {
  texts: Record<string, string>;
}

/** A message step's texts, rendered. */
export interface MessagePlan {
  texts: Record<string, string>;
}

const encoder = new TextEncoder();

/** Writes `text` (a newline added unless it ends with one) to stdout (1) or stderr (2). */
export async function say(ctx: StepContext, stream: 1 | 2, text: string): Promise<void> {
  await ctx.write(stream, encoder.encode(text.endsWith("\n") ? text : `${text}\n`));
}

/** The parts of a message kind that are the same for every one. */
export function messageParts<S extends MessageStep>(type: string) {
  return {
    behaviours: MESSAGE_BEHAVIOURS,
    // A message does not wait for services, and what it prints is its whole report (no start or end line unless it fails).
    gates: never,
    quietStart: always,
    templates: (step: S) => Object.entries(step.texts).map(([field, text]) => ({ field, path: pathOf(field), text })),
    plan: (step: S, scope: PlanScope): MessagePlan => ({ texts: renderTexts(step, scope) }),
    describe: (planned: PlannedStep<S, MessagePlan>) => `${type} ${firstLine(Object.values(planned.resolved.texts)[0] ?? "")}`,
    view: (planned: PlannedStep<S, MessagePlan>) => ({ name: planned.name, type, ...planned.resolved.texts }),
    viewText: (planned: PlannedStep<S, MessagePlan>) => ({
      head: type,
      lines: Object.entries(planned.resolved.texts).map(([field, text]) => `${field}: ${firstLine(text)}`),
    }),
  } satisfies Partial<StepKind<S, MessagePlan>>;
}

/** A message plan for a step that reads or writes files: the directory its relative paths start from. */
export interface PathsPlan extends MessagePlan {
  cwd: string;
}

/**
 * Plans a message step whose paths are relative to a directory: its own
 * `working_directory` text (already among its texts), else the workflow's,
 * else the base path, as shell steps resolve theirs.
 */
export function planWithDirectory<S extends MessageStep>(step: S, scope: PlanScope): PathsPlan {
  const texts = renderTexts(step, scope);
  return { texts, cwd: stepDirectory(scope, texts.working_directory) };
}

/** A message step's texts, each rendered (a failure is recorded by the scope, positioned). */
function renderTexts(step: MessageStep, scope: PlanScope): Record<string, string> {
  return Object.fromEntries(Object.entries(step.texts).map(([field, text]) => [field, scope.render({ field, path: pathOf(field), text })]));
}

/** A succeeded outcome whose value is `value`. */
export function valued(value: string, metadata: Record<string, unknown> = {}): StepOutcome {
  return { status: "succeeded", exitCode: EXIT_OK, value: { value, values: [], metadata } };
}

/** Picks the text fields that are set from a step's validated fields. */
export function textsOf(fields: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const name of names) {
    const value = fields[name];
    if (typeof value === "string") texts[name] = value;
  }
  return texts;
}

/** `fields.owner` and `options.0` name a field inside a map or list: their YAML path. */
function pathOf(field: string): Array<string | number> {
  return field.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** The texts of a list field (`options`), keyed `options.0`, `options.1`, ... */
export function listTexts(name: string, values: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((values ?? []).map((value, i) => [`${name}.${i}`, value]));
}

/** The rendered values of a list field, in order. */
export function listOf(texts: Record<string, string>, name: string): string[] {
  return Object.keys(texts).filter((k) => k.startsWith(`${name}.`)).sort((a, b) => Number(a.slice(name.length + 1)) - Number(b.slice(name.length + 1))).map((k) => texts[k]!);
}

function firstLine(text: string): string {
  const [line = "", ...rest] = text.split("\n");
  return rest.some((l) => l.trim() !== "") ? `${line} …` : line;
}
