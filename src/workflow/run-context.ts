/**
 * What a run knows before any step starts: the model's side of a run, which
 * the step contract, the planner and the engine all read. Built in one place
 * (`cli/run-context.ts`).
 * @module
 */
import type { Workflow } from "./types.ts";

/** What a run knows before any step starts. */
export interface RunContext {
  workflow: Workflow;
  /** `-s/--stack` (or ATMOS_STACK); wins over workflow, group and step stacks. */
  stackFlag?: string;
  vars: Record<string, string>;
  /** muster's own environment. */
  env: Record<string, string>;
  /** Relative working directories are resolved against this. */
  baseDir: string;
  /** The atmos executable. */
  atmosBin: string;
  /** How to run muster itself (a dependency workflow runs as a child muster). */
  self?: string[];
  /** `--dry-run`: only steps whose kind says `behaviours.dryRun` run; the others are reported as not run. */
  dryRun?: boolean;
  /** The Atmos auth identity of steps that name none (`--identity`, ATMOS_IDENTITY). */
  identity?: string;
  /** Shell used for shell steps. */
  shell: string[];
  /** The workflow file (absolute): container volume sources are relative to its folder. */
  workflowFile?: string;
  /** Whether the run is in CI (the `ci` and `local` conditions). */
  ci?: boolean;
  /** Whether muster's stdin, stdout and stderr are terminals, and how wide (steps that draw ask; prompts need stdin and stderr). */
  terminal?: { stdin?: boolean; stdout: boolean; stderr: boolean; columns?: number };
  /** `--answer NAME=VALUE`: the values of prompt steps, by step name. */
  answers?: Record<string, string>;
  /** Interrupts the whole run as Ctrl-C does (a prompt aborted with Esc or Ctrl-C, which raw mode turns into keys). */
  interrupt?: (why: string) => void;
  /**
   * Suspend mode (`MUSTER_SUSPEND_AT_PROMPTS=1` without a terminal, as under
   * `muster serve`): a prompt step with no answer calls this with its question
   * instead of taking its default or failing; the run then stops to wait.
   */
  suspend?: (question: SuspendedPrompt) => void;
}

/** The question a suspended prompt step asks; `check` lets the runner validate an answer with the step's own `answerProblem`. */
export interface SuspendedPrompt {
  step: string;
  type: string;
  prompt: string;
  options?: string[];
  default?: string;
  check: { step: unknown; texts: Record<string, string> };
}
