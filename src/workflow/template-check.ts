/**
 * What `validate` knows about a workflow's templates before anything runs:
 * each one parses, calls only known functions, reads only known roots,
 * reads `.steps.X` only of a step that has run by then (an earlier
 * top-level step, or a sibling the child `needs`) and only fields that
 * step's type produces, and reads `.matrix` only inside a matrix. Also:
 * which steps' results are read at all, so the engine keeps output only
 * for those.
 * @module
 */
import type { Diagnostic } from "../errors.ts";
import { kindOf } from "../steps/index.ts";
import type { TemplateField } from "../steps/kind.ts";
import { compileTemplate, TemplateError } from "../template/index.ts";
import { editDistance } from "../template/functions.ts";
import { TEMPLATE_ROOTS } from "./run-state.ts";
import type { StepBase, Workflow } from "./types.ts";

/** The fields every result has (Atmos' model). */
const RESULT_FIELDS = ["value", "values", "metadata", "outputs", "skipped", "error"];

/** A step with children (parallel, matrix). */
type GroupLike = StepBase & { steps?: StepBase[]; matrix?: unknown };

interface Visit {
  step: StepBase;
  field: TemplateField;
  /** Names whose results exist when this template renders. */
  visible: Map<string, StepBase>;
  /** Later steps, to say "later" rather than "unknown". */
  later: Set<string>;
  inMatrix: boolean;
  /** An `outputs:` template: its root is the step's own result. */
  isOutput: boolean;
  where: string;
}

/** Calls `visit` for every template of every step, children included. */
function forEachTemplate(workflow: Pick<Workflow, "name" | "steps">, visit: (v: Visit) => void): void {
  const visible = new Map<string, StepBase>();
  workflow.steps.forEach((step, index) => {
    const later = new Set(workflow.steps.slice(index).map((s) => s.name));
    visitStep(step, { visible: new Map(visible), later, inMatrix: false, where: `workflow "${workflow.name}", step "${step.name}"` }, visit);
    visible.set(step.name, step);
    // Group children are stored under their own names once the group has run.
    for (const child of (step as GroupLike).steps ?? []) visible.set(child.name, child);
  });
}

function visitStep(step: StepBase, ctx: Omit<Visit, "step" | "field" | "isOutput">, visit: (v: Visit) => void): void {
  const kind = kindOf(step.type);
  if (!kind) return;
  const own = step as StepBase & { stack?: string };
  const fields: TemplateField[] = [...kind.templates(step)];
  if (own.stack !== undefined) fields.push({ field: "stack", path: ["stack"], text: own.stack });
  for (const field of fields) visit({ ...ctx, step, field, isOutput: false });
  for (const [name, text] of Object.entries(step.outputs ?? {})) {
    visit({ ...ctx, step, field: { field: `outputs.${name}`, path: ["outputs", name], text }, isOutput: true });
  }
  const children = (step as GroupLike).steps;
  if (!children) return;
  const byName = new Map(children.map((c) => [c.name, c]));
  for (const child of children) {
    // A child sees the steps before its group, and the siblings it needs (directly or through them).
    const visible = new Map(ctx.visible);
    const pending = [...child.needs];
    while (pending.length > 0) {
      const name = pending.pop()!;
      const sibling = byName.get(name);
      if (!sibling || visible.has(name)) continue;
      visible.set(name, sibling);
      pending.push(...sibling.needs);
    }
    const later = new Set([...ctx.later, ...children.map((c) => c.name).filter((n) => !visible.has(n))]);
    visitStep(child, { visible, later, inMatrix: step.type === "matrix", where: `${ctx.where}, child "${child.name}"` }, visit);
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
  forEachTemplate(workflow, ({ step, field, visible, later, inMatrix, isOutput, where }) => {
    if (!field.text.includes("{{")) return;
    const owner = field.owner ?? step;
    const report = (offset: number | undefined, text: string) => {
      const base = field.textOffset ?? 0;
      const at = offset !== undefined && base >= 0 ? owner.sourceOf(field.path, base + offset) : owner.sourceOf(field.path);
      diagnostics.push({ file: at.file, line: at.line, col: at.col, message: `${where}: field "${field.field}": ${text}` });
    };
    let references;
    try {
      references = compileTemplate(field.text).references;
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
      const target = visible.get(name);
      if (!target) {
        const earlier = [...visible.keys()];
        const why = later.has(name) || name === step.name
          ? `.steps.${name} is ${name === step.name ? "this step itself" : "a step that runs later"}: a step reads results only of steps that ran before it`
          : `.steps.${name} names no step of this workflow`;
        report(offset, `${why} (expected one of: ${earlier.length > 0 ? earlier.join(", ") : "no step runs before this one"})`);
        continue;
      }
      if (key === undefined) continue;
      const produces = kindOf(target.type)?.produces ?? [];
      const known = [...RESULT_FIELDS, ...produces];
      if (!known.includes(key)) {
        report(offset, `a ${target.type} step stores no "${key}" (expected one of: ${known.join(", ")})`);
      } else if (key === "outputs" && sub !== undefined && !Object.hasOwn(target.outputs ?? {}, sub)) {
        const declared = Object.keys(target.outputs ?? {});
        report(offset, `step "${name}" declares no output "${sub}" (expected one of: ${declared.length > 0 ? declared.join(", ") : "none: add it under the step's outputs:"})`);
      } else if (key === "metadata" && sub !== undefined && !produces.includes(sub)) {
        report(offset, `a ${target.type} step's metadata has no "${sub}" (expected one of: ${produces.join(", ") || "nothing"})`);
      }
    }
  });
  return diagnostics;
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
  const env = Object.values((workflow as Partial<Workflow>).env ?? {});
  if (env.some((text) => /\.steps\b/.test(text))) all = true;
  return all ? "all" : names;
}
