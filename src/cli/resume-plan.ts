/**
 * Where `--resume` continues a run from the journal, and with what: the
 * step that failed (or was interrupted), moved earlier when a step before
 * it changed since (it runs again, with everything after it), when a
 * background service the resumed steps need was started before it, or
 * when a resumed step reads a result the journal kept masked; the stored
 * results of the steps before it; and the prompts to ask again.
 * @module
 */
import { UsageError } from "../errors.ts";
import { kindOfStep } from "../steps/index.ts";
import { skippedReads } from "../load/template-check.ts";
import { stepDigest, workflowDigest } from "../journal/definition-digest.ts";
import type { RunRecord, StepEntry } from "../journal/run-record.ts";
import type { Workflow } from "../workflow/types.ts";
import type { InputStep } from "../steps/input.ts";
import { serviceStart } from "./resume.ts";

/** What a resumed run starts with. */
export interface ResumePlan {
  /** The top-level step it starts at. */
  fromStep: string;
  /** The journal's entries of the steps before it, restored as if they had just run (not those that held a masked value). */
  restored: StepEntry[];
  /** Every entry of the steps before it: the resumed run's record keeps them. */
  kept: StepEntry[];
  /** Password prompts before it to ask again on the terminal (their answer was masked and none was given). */
  ask: Set<string>;
  /** Why it starts before the failed step, for the transcript. */
  notes: string[];
}

const childrenOf = (step: Workflow["steps"][number]) => ((step as { steps?: Array<{ name: string }> }).steps ?? []).map((c) => c.name);
const isPassword = (step: Workflow["steps"][number]) => step.type === "input" && (step as InputStep).password;

/**
 * The plan of a `--resume` of `record` with today's `workflow`. Throws a
 * `UsageError` naming the step or setting when the stored results cannot
 * serve: the workflow's own settings changed, a resumed step reads a
 * password answer the journal does not keep and there is no terminal to
 * ask it on nor an `--answer`, or nothing is left to run.
 *
 * @example
 * ```ts
 * resumePlan(workflow, record, {}, false).fromStep; // "second": the step that failed
 * ```
 */
export function resumePlan(workflow: Workflow, record: RunRecord, answers: Record<string, string>, interactive: boolean): ResumePlan {
  const run = `run ${record.id}`;
  if (workflowDigest(workflow) !== record.digest.workflow) {
    throw new UsageError(`--resume: workflow "${workflow.name}"'s own settings (stack, env, working_directory, container) changed since ${run}, and every stored result was made under the old ones; run it anew (without --resume)`);
  }
  const entries = new Map(record.steps.map((e) => [e.name, e]));
  const steps = workflow.steps;
  const notes: string[] = [];
  // The failed step (a waiting run's prompt), else (an interrupted run) the first that did not finish.
  const at = record.status === "waiting" ? record.waitingFor?.step : record.failedStep;
  let start = at ? steps.findIndex((s) => s.name === at) : -1;
  if (start < 0) start = steps.findIndex((s) => entries.get(s.name)?.status === undefined || entries.get(s.name)!.status === "canceled");
  if (start < 0) start = steps.length;
  // A step that changed since (or moved, or is new) runs again, and so does everything after it.
  for (let i = 0; i < start; i++) {
    const entry = entries.get(steps[i]!.name);
    if (record.digest.steps[i]?.name === steps[i]!.name && entry?.digest === stepDigest(steps[i]!)) continue;
    notes.push(entry ? `step "${steps[i]!.name}" changed since ${run}: it runs again, with every step after it` : `step "${steps[i]!.name}" is not in ${run}: it runs, with every step after it`);
    start = i;
    break;
  }
  if (start >= steps.length) throw new UsageError(`--resume: every step of ${run} (workflow "${record.workflow}") finished; nothing is left to resume`);
  const ask = new Set<string>();
  for (;;) {
    const servicesAt = steps.findIndex((s) => s.name === serviceStart(workflow, steps[start]!.name));
    if (servicesAt < start) {
      notes.push(`step "${steps[servicesAt]!.name}" starts a background service that step "${steps[start]!.name}" needs: the run resumes there`);
      start = servicesAt;
    }
    const before = steps.slice(0, start);
    const masked = new Set(before.filter((s) => entries.get(s.name)?.masked).flatMap((s) => [s.name, ...childrenOf(s)]));
    const stored = new Set(before.filter((s) => !masked.has(s.name)).flatMap((s) => [s.name, ...childrenOf(s)]));
    // A read of a masked result: a password prompt is answered again (--answer, or asked); any other step runs again.
    const reads = skippedReads(workflow, steps[start]!.name, new Set(before.filter((s) => !masked.has(s.name)).map((s) => s.name))).filter((r) => !stored.has(r.reads) || masked.has(r.reads));
    const rerun = reads.map((r) => ({ r, owner: before.find((s) => s.name === r.reads || childrenOf(s).includes(r.reads))! })).filter(({ owner }) => owner !== undefined);
    const prompts = rerun.filter(({ owner }) => isPassword(owner) && kindOfStep(owner).behaviours.interactive);
    for (const { r, owner } of prompts) {
      if (answers[owner.name] !== undefined) continue;
      if (!interactive) {
        throw new UsageError(`--resume: step "${r.reader}" reads .steps.${r.reads}, the answer of password prompt "${owner.name}", which the journal does not keep; give it again with --answer ${owner.name}=VALUE (or resume on a terminal to be asked)`);
      }
      ask.add(owner.name);
    }
    const others = rerun.filter(({ owner }) => !prompts.some((p) => p.owner === owner));
    if (others.length === 0) break;
    const first = Math.min(...others.map(({ owner }) => steps.indexOf(owner)));
    notes.push(`step "${others[0]!.r.reader}" reads .steps.${others[0]!.r.reads}, which held a masked value and was not kept: step "${steps[first]!.name}" runs again`);
    start = first;
  }
  const kept = steps.slice(0, start).map((s) => entries.get(s.name)).filter((e): e is StepEntry => e !== undefined);
  return { fromStep: steps[start]!.name, restored: kept.filter((e) => !e.masked), kept, ask, notes };
}
