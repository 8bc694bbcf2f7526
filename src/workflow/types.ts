/**
 * The validated, typed model of a workflow file, as far as it is shared by
 * every step type. Each step type declares its own step interface in its
 * file under `src/steps/`; here are the fields every step has.
 * @module
 */

/** Where something was written: 1-based line and column. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

import type { Condition } from "./condition.ts";

/** `retry:` as written, durations in milliseconds. */
export interface RetryPolicy {
  maxAttempts: number;
  backoff: "constant" | "linear" | "exponential";
  initialDelayMs: number;
  maxDelayMs?: number;
  multiplier: number;
  jitter: number;
  maxElapsedMs?: number;
}

/** The fields every step has, whatever its type. */
export interface StepBase {
  /** The step's name; unnamed steps are `step1`, `step2`, ... by position. */
  name: string;
  /** The step type: the `type` of one of the kinds in `src/steps/index.ts`. */
  type: string;
  source: SourceRef;
  /** The position of a field of this step (`["with", "image"]`), or of character `offset` of its text, for errors found after parsing. */
  sourceOf(path: ReadonlyArray<string | number>, offset?: number): SourceRef;
  /** When the step runs (unset: while nothing has failed). Top-level steps only. */
  when?: Condition;
  /** Which failures of the step are forgiven. Top-level steps only. */
  continueOn?: Condition;
  /** Named values computed from the step's result after it succeeds (templates). */
  outputs: Record<string, string>;
  /** Sibling names this step waits for (children of `parallel`/`matrix` only). */
  needs: string[];
  /** Bounds each attempt (kinds whose `behaviours.timeout` is true). */
  timeoutMs?: number;
  /** Retries a failed attempt (kinds whose `behaviours.retry` is true). */
  retry?: RetryPolicy;
  /** The Atmos auth identity whose credentials the step's processes get (`atmos auth env`). */
  identity?: string;
  /** How the step's output is shown: its `output`/`viewport`/`show`, merged with the workflow's (src/steps/output-mode.ts). */
  presentation?: StepPresentation;
  /** `inputs`, `artifacts`, `preconditions`: when the step is up to date (`src/run/freshness.ts`). Top-level steps only. */
  freshness?: FreshnessDeclarations;
}

/** Atmos' `output`, `viewport` and `show` of one step, merged with its workflow's. */
export interface StepPresentation {
  /** The step's `output`, else the workflow's; undefined: the kind's default. */
  output?: "raw" | "log" | "viewport" | "none";
  viewport?: { height?: number; width?: number };
  /** Top-level steps: the workflow's `show` merged key by key with the step's. */
  show?: WorkflowShow;
}

/** A step's freshness fields as written (Atmos' Inputs, Artifacts, Preconditions); a field not written is absent. */
export interface FreshnessDeclarations {
  inputs?: { sources: string[] };
  artifacts?: { paths: string[] };
  preconditions?: { tools: string[] };
}

/** Fields that steps hand down as defaults: workflow -> group -> child. */
export interface Inherited {
  stack?: string;
  env: Record<string, string>;
  workingDirectory?: string;
}

export type MatrixValue = string | number | boolean;
export type MatrixCombination = Record<string, MatrixValue>;

export interface Workflow {
  name: string;
  description?: string;
  stack?: string;
  env: Record<string, string>;
  workingDirectory?: string;
  steps: StepBase[];
  source: SourceRef;
  /** `dependencies.tools`: programs (and the versions Atmos would install) that must be on PATH. */
  tools?: Record<string, string>;
  /** `show`: what is printed around the steps (Atmos' flags; unset ones are false, `labels` true). */
  show?: WorkflowShow;
  /** `container:`: the sandbox shell and script steps run in (as written: its strings are templates). */
  container?: Record<string, unknown>;
  /** `output` and `viewport`, as written (muster's use of them is in the README). */
  output?: string;
  viewport?: { height?: number; width?: number };
}

/** Atmos' `show` settings. */
export interface WorkflowShow {
  header: boolean;
  flags: boolean;
  command: boolean;
  count: boolean;
  progress: boolean;
  labels: boolean;
}

export interface WorkflowFile {
  /** The path as given/found. */
  file: string;
  name?: string;
  description?: string;
  workflows: Map<string, Workflow>;
}
