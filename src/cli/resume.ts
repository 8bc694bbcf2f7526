/**
 * The "resume with:" hint of a failed or interrupted run. With the run
 * journal on, it is `--resume=RUN` (the journal brings back the vars, stack,
 * answers and results). Without it, a `--from-step` command that, pasted, runs the
 * same workflow the same way (file, stack, vars and the flags that change
 * behaviour, shell-quoted) from the right step. When background services
 * were running at the failed step, it resumes from the step that started
 * the first of them: a resumed run must start the services it needs; and
 * never after a step whose result a step it runs reads.
 * @module
 */
import { UsageError } from "../errors.ts";
import { kindOfStep } from "../steps/index.ts";
import { shellQuote } from "../util/shell-words.ts";
import { skippedReads } from "../load/template-check.ts";
import type { Workflow } from "../workflow/types.ts";

/** What a run was given, as far as the hint must repeat it. */
export interface RunArgs {
  workflow: string;
  file: string;
  stack?: string;
  vars: Record<string, string>;
  /** `--answer`s, except those of password prompts: a secret never goes into a printed command. */
  answers?: Record<string, string>;
  dir?: string;
  grace?: string;
  jobs?: string;
  logDir?: string;
  identity?: string;
  restrictHost?: boolean;
  quiet?: boolean;
  /** `--force`: fresh steps run too. */
  force?: boolean;
}

/**
 * The step a resumed run starts at: the failed one, or the step that started
 * the earliest background service still running when it failed.
 *
 * @example
 * ```ts
 * resumeStep(workflow, "integration"); // "db" when db is a service started before it
 * ```
 */
export function resumeStep(workflow: Workflow, failedStep: string): string {
  // Never a start whose steps read the result of a step it would skip: go back to the earliest one read.
  let start = serviceStart(workflow, failedStep);
  for (let reads = skippedReads(workflow, start); reads.length > 0; reads = skippedReads(workflow, start)) {
    start = ownerOf(workflow, reads.map((r) => r.reads))!.name;
  }
  return start;
}

/**
 * The step a run resumed at `step` must start at so that the background
 * services still running there are running again: the one that started the
 * earliest of them (the steps after it may have changed what the service
 * holds, so they run again too), else `step` itself.
 */
export function serviceStart(workflow: Workflow, step: string): string {
  const live = new Map<string, string>(); // service -> the step that started it
  for (const s of workflow.steps) {
    if (s.name === step) break;
    const roles = kindOfStep(s).services;
    const started = roles?.starts?.(s);
    if (started !== undefined) live.set(started, s.name);
    if (roles?.stops) for (const target of roles.targets?.(s) ?? []) live.delete(target);
  }
  return workflow.steps.find((s) => [...live.values()].includes(s.name))?.name ?? step;
}

/** The earliest top-level step that is one of `names` or has a child of one of them. */
function ownerOf(workflow: Workflow, names: readonly string[]): Workflow["steps"][number] | undefined {
  return workflow.steps.find((s) => names.includes(s.name) || ((s as { steps?: Array<{ name: string }> }).steps ?? []).some((c) => names.includes(c.name)));
}

/**
 * Refuses, before anything runs, a `--from-step` whose steps read the result
 * of a step it skips (a skipped prompt answered by `--answer` has its
 * answer as its result), naming both.
 *
 * @example
 * ```ts
 * refuseSkippedReads(workflow, "apply", {}); // throws: --from-step "apply": step "apply" reads .steps.confirm-apply, ...
 * ```
 */
export function refuseSkippedReads(workflow: Workflow, fromStep: string, answers: Record<string, string>): void {
  const prompts = new Set(workflow.steps.filter((s) => kindOfStep(s).behaviours.interactive && answers[s.name] !== undefined).map((s) => s.name));
  const reads = skippedReads(workflow, fromStep, prompts);
  if (reads.length === 0) return;
  const earliest = resumeStep(workflow, fromStep);
  const lines = reads.map((r) => `step "${r.reader}" reads .steps.${r.reads}, which --from-step "${fromStep}" skips`);
  const prompt = reads.find((r) => workflow.steps.some((s) => s.name === r.reads && kindOfStep(s).behaviours.interactive));
  throw new UsageError(`--from-step "${fromStep}": ${lines.join("; ")} (expected --from-step ${earliest}${prompt ? `, or --answer ${prompt.reads}=VALUE` : ""})`);
}

/**
 * The resume command, shell-quoted.
 *
 * @example
 * ```ts
 * resumeCommand({ workflow: "deploy", file: "deploy.yaml", stack: "prod", vars: { region: "eu west" } }, "apply");
 * // "muster workflow deploy -f deploy.yaml -s prod --var 'region=eu west' --from-step apply"
 * ```
 */
export function resumeCommand(args: RunArgs, fromStep: string): string {
  const words = ["muster", "workflow", args.workflow, "-f", args.file];
  if (args.dir !== undefined) words.push("-C", args.dir);
  if (args.stack !== undefined) words.push("-s", args.stack);
  for (const [key, value] of Object.entries(args.vars)) words.push("--var", `${key}=${value}`);
  for (const [name, value] of Object.entries(args.answers ?? {})) words.push("--answer", `${name}=${value}`);
  words.push(...behaviourFlags(args), "--from-step", fromStep);
  return words.map(shellQuote).join(" ");
}

/**
 * The resume command of a run the journal holds: `--resume=RUN` brings back
 * its vars, stack, answers and the results of its finished steps, so only
 * the flags the journal does not keep are repeated (a password never is).
 *
 * @example
 * ```ts
 * resumeWithJournal({ workflow: "deploy", file: "deploy.yaml", vars: { region: "eu" } }, "20261202-154019-3fa2");
 * // "muster workflow deploy -f deploy.yaml --resume=20261202-154019-3fa2"
 * ```
 */
export function resumeWithJournal(args: RunArgs, runId: string): string {
  const words = ["muster", "workflow", args.workflow, "-f", args.file];
  if (args.dir !== undefined) words.push("-C", args.dir);
  words.push(...behaviourFlags(args), `--resume=${runId}`);
  return words.map(shellQuote).join(" ");
}

/** The flags that change how a run behaves, which neither the journal nor the workflow file keeps: both hints repeat them. */
function behaviourFlags(args: RunArgs): string[] {
  const words: string[] = [];
  if (args.grace !== undefined) words.push("--grace", args.grace);
  if (args.jobs !== undefined) words.push("--jobs", args.jobs);
  if (args.logDir !== undefined) words.push("--log-dir", args.logDir);
  if (args.identity !== undefined) words.push("--identity", args.identity);
  if (args.restrictHost) words.push("--restrict-host");
  if (args.quiet) words.push("-q");
  if (args.force) words.push("--force");
  return words;
}
