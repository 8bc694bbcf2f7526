/**
 * The shapes of a `parallel` or `matrix` step, written and planned: what the
 * group kind (`group.ts`), its runner (`group-run.ts`) and its expansion
 * (`group-expand.ts`, `matrix-expand.ts`) share, so none imports another.
 * @module
 */
import type { MatrixCombination, StepBase } from "../workflow/types.ts";
import type { PlannedStep } from "./kind.ts";
import type { RunFieldsStep } from "./process.ts";

export type FailMode = "wait_all" | "fail_fast" | "best_effort";
export type OutputMode = "grouped" | "prefixed" | "none";
export type OutputOrder = "completion" | "definition";

/** `output:` of a group. */
export interface OutputSettings {
  mode: OutputMode;
  order: OutputOrder;
  showSummary: boolean;
  /** A template; `{{ .step.name }}` by default. */
  prefix: string;
}

/** A matrix: axes in the order they were written, plus include/exclude. */
export interface MatrixSpec {
  axes: Array<{ name: string; values: Array<string | number | boolean> }>;
  include: MatrixCombination[];
  exclude: MatrixCombination[];
}

/** A `parallel` or `matrix` step. Its `stack`, `env` and `working_directory` are defaults for its children. */
export interface GroupStep extends RunFieldsStep {
  type: "parallel" | "matrix";
  maxConcurrency: number;
  fail: { mode: FailMode; maxFailures: number };
  output: OutputSettings;
  steps: StepBase[];
  matrix?: MatrixSpec;
}

/** A group after planning: its children, each with its rendered output prefix. */
export interface GroupPlan {
  children: PlannedStep[];
  /** Each child's rendered `output.prefix`. */
  prefixes: string[];
}
