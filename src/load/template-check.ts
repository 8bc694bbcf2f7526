/**
 * What `validate` knows about a workflow's templates before anything runs:
 * each one parses, calls only known functions, reads only known roots,
 * reads `.steps.X` only of a step that has run by then (an earlier
 * top-level step, or a sibling the child `needs`) and only fields that
 * step's type produces, and reads `.matrix` only inside a matrix; the same
 * of CEL conditions' `steps.X` (checkConditionReads). Also:
 * which steps' results are read at all, so the engine keeps output only
 * for those.
 * @module
 */
import type { Diagnostic } from "../errors.ts";
import { kindOf } from "../steps/index.ts";
import type { TemplateField } from "../steps/kind.ts";
import { codeFindings } from "../shell/render-code.ts";
import { compileTemplate, TemplateError } from "../template/index.ts";
import { editDistance } from "../template/functions.ts";
import { TEMPLATE_ROOTS } from "../workflow/run-state.ts";
import type { StepBase, Workflow } from "../workflow/types.ts";
import { type CelCondition, celParts, compileCelPart, loadedCel } from "../workflow/condition.ts";
import type { CompiledCel } from "../workflow/cel.ts";

/** The fields every result has (Atmos' model). */
const RESULT_FIELDS = ["value", "values", "metadata", "outputs", "skipped", "error"];

/** A step with children (parallel, matrix). */
type GroupLike = StepBase & { steps?: StepBase[]; matrix?: unknown };

interface Visit {
  step: StepBase;
  field: TemplateField;
  /** The step whose result exists by name when this template renders, if any. */
  visible(name: string): StepBase | undefined;
  /** Every such name, for messages. */
  visibleNames(): string[];
  /** Whether `name` is a step that runs later (to say "later" rather than "unknown"). */
  later(name: string): boolean;
  inMatrix: boolean;
  /** An `outputs:` template: its root is the step's own result. */
  isOutput: boolean;
  where: string;
}

type Scope = Omit<Visit, "step" | "field" | "isOutput">;

/** Calls `visit` for every template of every step, children included. Linear in the number of steps. */
function forEachTemplate(workflow: Pick<Workflow, "name" | "steps">, visit: (v: Visit) => void): void {
  // Names by the index of the top-level step after which they exist.
  // A name used twice at the top (allowed, as in Atmos) reads the latest step of that name that ran before.
  const ranAt = new Map<string, Array<{ index: number; step: StepBase }>>();
  const add = (name: string, at: { index: number; step: StepBase }) => ranAt.set(name, [...(ranAt.get(name) ?? []), at]);
  workflow.steps.forEach((step, index) => {
    add(step.name, { index, step });
    for (const child of (step as GroupLike).steps ?? []) if (!ranAt.has(child.name)) add(child.name, { index, step: child });
  });
  workflow.steps.forEach((step, index) => {
    const visible = (name: string) => ranAt.get(name)?.findLast((at) => at.index < index)?.step;
    const scope: Scope = {
      visible,
      visibleNames: () => [...ranAt.keys()].filter((n) => visible(n)),
      later: (name) => !visible(name) && (ranAt.get(name)?.at(-1)?.index ?? -1) >= index,
      inMatrix: false,
      where: `workflow "${workflow.name}", step "${step.name}"`,
    };
    visitStep(step, scope, visit);
  });
}

function visitStep(step: StepBase, scope: Scope, visit: (v: Visit) => void): void {
  const kind = kindOf(step.type);
  if (!kind) return;
  const own = step as StepBase & { stack?: string };
  const fields: TemplateField[] = [...kind.templates(step)];
  if (own.stack !== undefined) fields.push({ field: "stack", path: ["stack"], text: own.stack });
  for (const field of fields) visit({ ...scope, step, field, isOutput: false });
  for (const [name, text] of Object.entries(step.outputs ?? {})) {
    visit({ ...scope, step, field: { field: `outputs.${name}`, path: ["outputs", name], text }, isOutput: true });
  }
  const children = (step as GroupLike).steps;
  if (!children) return;
  const byName = new Map(children.map((c) => [c.name, c]));
  for (const child of children) {
    // A child sees the steps before its group, and the siblings it needs (directly or through them).
    let needed: Map<string, StepBase> | undefined;
    const neededBy = () => {
      if (needed) return needed;
      needed = new Map();
      const pending = [...child.needs];
      while (pending.length > 0) {
        const name = pending.pop()!;
        const sibling = byName.get(name);
        if (!sibling || needed.has(name)) continue;
        needed.set(name, sibling);
        pending.push(...sibling.needs);
      }
      return needed;
    };
    const visible = (name: string) => (child.needs.length > 0 ? neededBy().get(name) : undefined) ?? (byName.has(name) ? undefined : scope.visible(name));
    visitStep(child, {
      visible,
      visibleNames: () => [...scope.visibleNames(), ...(child.needs.length > 0 ? neededBy().keys() : [])],
      later: (name) => scope.later(name) || (byName.has(name) && !visible(name)),
      inMatrix: step.type === "matrix",
      where: `${scope.where}, child "${child.name}"`,
    }, visit);
  }
}

/**
 * The template problems of `workflow`, positioned.
 *
 * @example
 * ```ts
 * checkTemplates(workflow)[0]?.message; // 'workflow "w", step "a": field "command": .steps.b is a later step ...'
 * ```
 */
export function checkTemplates(workflow: Pick<Workflow, "name" | "steps">): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  forEachTemplate(workflow, ({ step, field, visible, visibleNames, later, inMatrix, isOutput, where }) => {
    if (!field.text.includes("{{")) return;
    const owner = field.owner ?? step;
    const report = (offset: number | undefined, text: string) => {
      const base = field.textOffset ?? 0;
      const at = offset !== undefined && base >= 0 ? owner.sourceOf(field.path, base + offset) : owner.sourceOf(field.path);
      diagnostics.push({ file: at.file, line: at.line, col: at.col, message: `${where}: field "${field.field}": ${text}` });
    };
    let references;
    try {
      const compiled = compileTemplate(field.text);
      references = compiled.references;
      // A command field: a value from outside must have a way to reach its program as data.
      if (field.code) for (const f of codeFindings(compiled.nodes, field.code)) if (f.kind === "refused") report(f.offset, f.message);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      report(error.offset, error.message);
      return;
    }
    const ownKeys = isOutput ? [...RESULT_FIELDS, ...(kindOf(step.type)?.produces ?? [])] : [];
    for (const { path, offset } of references) {
      const [root, name, key, sub] = path as [string, string?, string?, string?];
      if (isOutput && ownKeys.includes(root)) continue;
      if (!(TEMPLATE_ROOTS as readonly string[]).includes(root)) {
        const roots = [...(isOutput ? ownKeys : []), ...TEMPLATE_ROOTS];
        const near = roots.find((r) => editDistance(r.toLowerCase(), root.toLowerCase()) <= 2);
        report(offset, `.${root} is not something templates can read${near ? ` (did you mean .${near}?)` : ""} (expected one of: ${roots.map((r) => `.${r}`).join(", ")})`);
        continue;
      }
      if (root === "matrix" && !inMatrix && !(step.type === "matrix" && field.field === "output.prefix")) {
        report(offset, `.matrix is only set inside a matrix step (expected it in a matrix's children)`);
        continue;
      }
      if (root !== "steps" || name === undefined) continue;
      const problem = stepReadProblem(".steps", [name, key, sub], step, { visible, visibleNames, later });
      if (problem) report(offset, problem.text);
    }
  });
  return diagnostics;
}

/**
 * What is wrong with reading `steps.NAME.KEY.SUB` from `step` (a template's
 * `.steps`, a CEL condition's `steps`), if anything, and which of the three
 * names it is about: the step must have run before, and store that field.
 */
function stepReadProblem(
  root: string,
  [name, key, sub]: [string, string?, string?],
  step: StepBase,
  { visible, visibleNames, later }: Pick<Visit, "visible" | "visibleNames" | "later">,
): { text: string; part: 0 | 1 | 2 } | undefined {
  const target = visible(name);
  if (!target) {
    const earlier = visibleNames();
    const why = later(name) || name === step.name
      ? `${root}.${name} is ${name === step.name ? "this step itself" : "a step that runs later"}: a step reads results only of steps that ran before it`
      : `${root}.${name} names no step of this workflow`;
    return { text: `${why} (expected one of: ${earlier.length > 0 ? earlier.join(", ") : "no step runs before this one"})`, part: 0 };
  }
  if (key === undefined) return undefined;
  const produces = kindOf(target.type)?.produces ?? [];
  const known = [...RESULT_FIELDS, ...produces];
  if (!known.includes(key)) return { text: `a ${target.type} step stores no "${key}" (expected one of: ${known.join(", ")})`, part: 1 };
  if (key === "outputs" && sub !== undefined && !Object.hasOwn(target.outputs ?? {}, sub)) {
    const declared = Object.keys(target.outputs ?? {});
    return { text: `step "${name}" declares no output "${sub}" (expected one of: ${declared.length > 0 ? declared.join(", ") : "none: add it under the step's outputs:"})`, part: 2 };
  }
  if (key === "metadata" && sub !== undefined && !produces.includes(sub)) return { text: `a ${target.type} step's metadata has no "${sub}" (expected one of: ${produces.join(", ") || "nothing"})`, part: 2 };
  return undefined;
}

/** Calls `visit` for each compiled CEL part of each top-level step's `when:`/`continue:` (none before CEL is loaded). */
function forEachCelCondition(workflow: Pick<Workflow, "name" | "steps">, visit: (step: StepBase, field: "when" | "continue", part: CelCondition, compiled: CompiledCel, scope: Scope) => void): void {
  if (!loadedCel()) return;
  const ranAt = new Map<string, number>();
  workflow.steps.forEach((step, index) => {
    if (!ranAt.has(step.name)) ranAt.set(step.name, index);
    for (const child of (step as GroupLike).steps ?? []) if (!ranAt.has(child.name)) ranAt.set(child.name, index);
  });
  const stepAt = (name: string) => workflow.steps.find((s) => s.name === name) ?? workflow.steps.flatMap((s) => (s as GroupLike).steps ?? []).find((c) => c.name === name);
  workflow.steps.forEach((step, index) => {
    const visible = (name: string) => ((ranAt.get(name) ?? Infinity) < index ? stepAt(name) : undefined);
    const scope: Scope = {
      visible,
      visibleNames: () => [...ranAt.keys()].filter((n) => visible(n)),
      later: (name) => (ranAt.get(name) ?? -1) >= index,
      inMatrix: false,
      where: `workflow "${workflow.name}", step "${step.name}"`,
    };
    for (const [field, condition] of [["when", step.when], ["continue", step.continueOn]] as const) {
      for (const part of celParts(condition)) {
        const compiled = compileCelPart(part);
        if ("evaluate" in compiled) visit(step, field, part, compiled, scope);
      }
    }
  });
}

/**
 * The problems of the CEL conditions' reads of `steps.NAME` (muster's
 * extension), positioned, checked as templates' `.steps.NAME` are.
 *
 * @example
 * ```ts
 * checkConditionReads(workflow)[0]?.message; // 'workflow "w", step "a": field "when": steps.b names no step of this workflow ...'
 * ```
 */
export function checkConditionReads(workflow: Pick<Workflow, "name" | "steps">): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  forEachCelCondition(workflow, (step, field, part, compiled, scope) => {
    for (const read of compiled.stepReads) {
      const [name, key, sub] = read.path as [string, string?, string?];
      const problem = stepReadProblem("steps", [name, key, sub], step, scope);
      if (!problem) continue;
      const at = step.sourceOf([field, ...part.path], part.offset + (read.offsets[problem.part] ?? 0));
      diagnostics.push({ file: at.file, line: at.line, col: at.col, message: `${scope.where}: field "${field}": ${problem.text}` });
    }
  });
  return diagnostics;
}

/**
 * Each use of the word-splitting opt-out (`{{ .vars.flags | words }}`) in a
 * command field, positioned: `validate` names them, since each splits a
 * value from outside into several arguments.
 *
 * @example
 * ```ts
 * wordSplittingUses(workflow)[0]?.message; // 'workflow "w", step "a": field "command": splits a value from outside into words ...'
 * ```
 */
export function wordSplittingUses(workflow: Pick<Workflow, "name" | "steps">): Diagnostic[] {
  const uses: Diagnostic[] = [];
  forEachTemplate(workflow, ({ step, field, where }) => {
    if (!field.code || !field.text.includes("words")) return;
    try {
      for (const f of codeFindings(compileTemplate(field.text).nodes, field.code)) {
        if (f.kind !== "words") continue;
        const owner = field.owner ?? step;
        const base = field.textOffset ?? 0;
        const at = base >= 0 ? owner.sourceOf(field.path, base + f.offset) : owner.sourceOf(field.path);
        uses.push({ file: at.file, line: at.line, col: at.col, message: `${where}: field "${field.field}": ${f.message}` });
      }
    } catch {
      // checkTemplates reports it
    }
  });
  return uses;
}

/**
 * The names of steps whose results some template reads, or `"all"` when a
 * template reads `.steps` as a whole (`range .steps`, `index .steps $name`).
 */
export function resultReaders(workflow: Pick<Workflow, "name" | "steps">): Set<string> | "all" {
  const names = new Set<string>();
  let all = false;
  forEachTemplate(workflow, ({ field }) => {
    if (!field.text.includes("{{")) return;
    try {
      for (const { path } of compileTemplate(field.text).references) {
        if (path[0] !== "steps") continue;
        if (path[1] === undefined) all = true;
        else names.add(path[1]);
      }
    } catch {
      // validate reports it
    }
  });
  // CEL conditions read results too (`steps.approve.value`).
  forEachCelCondition(workflow, (_step, _field, _part, compiled) => {
    if (compiled.readsWholeSteps) all = true;
    for (const read of compiled.stepReads) names.add(read.path[0]!);
  });
  const env = Object.values((workflow as Partial<Workflow>).env ?? {});
  if (env.some((text) => /\.steps\b/.test(text))) all = true;
  return all ? "all" : names;
}

/**
 * Where a run that starts at `fromStep` would read the result of a step it
 * skips: each reading step (or child) and the step it reads. Skipped steps
 * in `seeded` (prompts answered by `--answer`) still have a result.
 *
 * @example
 * ```ts
 * skippedReads(workflow, "apply", new Set()); // [{ reader: "apply", reads: "confirm-apply" }]
 * ```
 */
export function skippedReads(workflow: Pick<Workflow, "name" | "steps">, fromStep: string, seeded: ReadonlySet<string> = new Set()): Array<{ reader: string; reads: string }> {
  const start = workflow.steps.findIndex((s) => s.name === fromStep);
  if (start <= 0) return [];
  const skipped = new Set<string>();
  for (const step of workflow.steps.slice(0, start)) {
    if (!seeded.has(step.name)) skipped.add(step.name);
    for (const child of (step as GroupLike).steps ?? []) skipped.add(child.name);
  }
  const found: Array<{ reader: string; reads: string }> = [];
  const seen = new Set<string>();
  forEachTemplate({ name: workflow.name, steps: workflow.steps.slice(start) }, ({ step, field, visible }) => {
    if (!field.text.includes("{{")) return;
    try {
      for (const { path } of compileTemplate(field.text).references) {
        const name = path[0] === "steps" ? path[1] : undefined;
        if (name === undefined || !skipped.has(name) || visible(name)) continue;
        const key = `${step.name}\u0000${name}`;
        if (!seen.has(key)) found.push({ reader: step.name, reads: name });
        seen.add(key);
      }
    } catch {
      // validate reports it
    }
  });
  return found;
}
