/**
 * Resolving a step against its run: the effective stack, templated command,
 * environment and working directory, and the exact argv that will run.
 * Shared by the engine (to run) and `describe`/`--dry-run` (to show).
 * @module
 */
import { isAbsolute, join } from "node:path";
import { splitShellWords } from "./shell-words.ts";
import { renderTemplate, TemplateError, type TemplateData } from "./template.ts";
import type { LeafStep, MatrixCombination, Step, Workflow } from "./types.ts";

/** What a run knows before any step starts. */
export interface RunContext {
  workflow: Workflow;
  /** `-s/--stack` (or ATMOS_STACK); wins over workflow and step stacks. */
  stackFlag?: string;
  vars: Record<string, string>;
  /** muster's own environment. */
  env: Record<string, string>;
  /** Relative working directories are resolved against this. */
  baseDir: string;
  /** The atmos executable. */
  atmosBin: string;
  /** Shell used for shell steps. */
  shell: string[];
  /** The workflow file (absolute): container volume sources are relative to its folder. */
  workflowFile?: string;
}

/** A leaf step ready to run. */
export interface ResolvedStep {
  name: string;
  type: LeafStep["type"];
  stack?: string;
  /** The command after templating (shell and atmos steps). */
  command?: string;
  /** What is executed (shell and atmos steps). */
  argv?: string[];
  durationMs?: number;
  cwd: string;
  /** Variables set on top of muster's own environment. */
  envOverrides: Record<string, string>;
}

/** Raised when a step cannot be resolved; carries the step name. */
export class PlanError extends Error {
  constructor(readonly step: string, message: string) {
    super(`step "${step}": ${message}`);
    this.name = "PlanError";
  }
}

/** The effective stack of a step: flag > step > workflow. */
export function stackFor(step: Step, ctx: RunContext): string | undefined {
  return ctx.stackFlag || step.stack || ctx.workflow.stack || undefined;
}

/** The data templates of `step` see. */
export function templateData(step: { name: string }, ctx: RunContext, stack: string | undefined, matrix?: MatrixCombination): TemplateData {
  return {
    vars: ctx.vars,
    env: ctx.env,
    stack: stack ?? "",
    workflow: { name: ctx.workflow.name },
    step: { name: step.name },
    ...(matrix ? { matrix } : {}),
  };
}

function render(step: string, field: string, text: string, data: TemplateData): string {
  try {
    return renderTemplate(text, data);
  } catch (error) {
    if (error instanceof TemplateError) throw new PlanError(step, `${field}: ${error.message}`);
    throw error;
  }
}

/** Inserts `-s <stack>` before any `--`, unless the command names a stack already. */
export function withStackArgs(words: string[], stack: string | undefined): string[] {
  if (!stack || words.some((w) => w === "-s" || w === "--stack" || w.startsWith("--stack="))) return words;
  const separator = words.indexOf("--");
  return separator < 0 ? [...words, "-s", stack] : [...words.slice(0, separator), "-s", stack, ...words.slice(separator)];
}

/**
 * Resolves a leaf step (`shell`, `atmos`, `sleep`).
 * `displayName` is the name templates see (matrix children have their own).
 *
 * @example
 * ```ts
 * resolveStep(step, ctx).argv; // ["sh", "-c", "echo dev"]
 * ```
 */
export function resolveStep(step: LeafStep, ctx: RunContext, matrix?: MatrixCombination, displayName = step.name): ResolvedStep {
  const stack = stack_(step, ctx, matrix, displayName);
  const data = templateData({ name: displayName }, ctx, stack, matrix);
  const envOverrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.workflow.env)) envOverrides[key] = render(displayName, `env.${key}`, value, data);
  for (const [key, value] of Object.entries(step.env)) envOverrides[key] = render(displayName, `env.${key}`, value, data);
  const dir = step.workingDirectory ?? ctx.workflow.workingDirectory;
  const renderedDir = dir === undefined ? undefined : render(displayName, "working_directory", dir, data);
  const cwd = renderedDir === undefined ? ctx.baseDir : isAbsolute(renderedDir) ? renderedDir : join(ctx.baseDir, renderedDir);
  const base = { name: displayName, type: step.type, stack, cwd, envOverrides };
  if (step.type === "sleep") return { ...base, durationMs: step.durationMs };
  const command = render(displayName, "command", step.command, data);
  if (step.type === "shell") return { ...base, command, argv: [...ctx.shell, command] };
  let words: string[];
  try {
    words = splitShellWords(command);
  } catch (error) {
    throw new PlanError(displayName, `command: ${(error as Error).message}`);
  }
  return { ...base, command, argv: [ctx.atmosBin, ...withStackArgs(words, stack)] };
}

function stack_(step: Step, ctx: RunContext, matrix: MatrixCombination | undefined, displayName: string): string | undefined {
  const raw = stackFor(step, ctx);
  if (raw === undefined) return undefined;
  return render(displayName, "stack", raw, templateData({ name: displayName }, ctx, undefined, matrix));
}
