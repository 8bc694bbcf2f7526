/**
 * `muster workflow`'s side of the run journal: which run `--resume` picks
 * and what it keeps of it, and the record a run writes as it goes.
 * @module
 */
import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { platform } from "../platform/index.ts";
import type { Project } from "../load/discover.ts";
import type { InputStep } from "../steps/input.ts";
import type { Workflow } from "../workflow/types.ts";
import { definitionDigests } from "../journal/definition-digest.ts";
import { Journal, KEEP_RUNS, RETENTION_MS, retentionMs } from "../journal/journal.ts";
import { parseDuration } from "../workflow/duration.ts";
import { Masker } from "../journal/masker.ts";
import { MASKED, newRunId, type RunRecord, type StepEntry } from "../journal/run-record.ts";
import { RunWriter } from "../journal/run-writer.ts";
import { whileChildRuns } from "../engine/while-child-runs.ts";

/** The value of `--resume=RUN` in `rawArgs`: the run named, `""` for a bare `--resume`, undefined without one. */
export function resumeFlag(rawArgs: readonly string[]): string | undefined {
  let found: string | undefined;
  for (const arg of rawArgs) {
    if (arg === "--") break;
    if (arg === "--resume") found ??= "";
    else if (arg.startsWith("--resume=")) found = arg.slice("--resume=".length);
  }
  return found;
}

/** The journal, or a usage error saying why `--resume` has none. */
export function journalForResume(env: Record<string, string>): Journal {
  const { journal, problem } = Journal.open(env);
  if (journal) return journal;
  throw new UsageError(problem ? `--resume: the run journal ${problem} (expected a directory of this user's that nobody else may write)` : "--resume: the run journal is off (MUSTER_NO_JOURNAL); nothing to resume");
}

/**
 * The run `--resume` continues: the one named (`id`, or a unique start of
 * it), else the newest failed or interrupted run in `project` of workflow
 * `name` in `file` (when given). Refuses a run still going, one that
 * succeeded, and one of another project or workflow.
 *
 * @example
 * ```ts
 * pickRun(journal, project, "", { name: "deploy", file: "/p/workflows.yaml" }).id; // "20261202-154019-3fa2"
 * ```
 */
export function pickRun(journal: Journal, project: Project, id: string, want: { name?: string; file?: string; answers?: Record<string, string> }): RunRecord {
  const all = journal.list();
  const here = all.filter((r) => r.project === project.basePath);
  let record: RunRecord | undefined;
  if (id) {
    try {
      record = journal.find(id, all);
    } catch (error) {
      throw new UsageError(`--resume=${id}: ${(error as Error).message}`);
    }
    if (!record) throw new UsageError(`--resume=${id}: no such run in the journal (${journal.dir}); muster runs lists this project's runs`);
    if (record.project !== project.basePath) throw new UsageError(`--resume=${id}: run ${record.id} ran in project ${record.project}, not in ${project.basePath}; resume it from there (-C ${record.project})`);
    if (want.name !== undefined && record.workflow !== want.name) throw new UsageError(`--resume=${id}: run ${record.id} is of workflow "${record.workflow}", not "${want.name}"`);
  } else {
    record = here.find((r) => (r.status === "failed" || r.status === "interrupted") && (want.name === undefined || r.workflow === want.name) && (want.file === undefined || r.file === want.file));
    if (!record) {
      const what = want.name ? `workflow "${want.name}"` : "any workflow";
      throw new UsageError(`--resume: no failed or interrupted run of ${what} in this project (${project.basePath}) in the journal; muster runs lists the runs`);
    }
  }
  if (record.status === "running") throw new UsageError(`--resume: run ${record.id} is still running (pid ${record.pid}); wait for it, or stop it first`);
  // A run suspended at a prompt resumes with its answer (what `muster serve` does once the answer comes).
  const waitsAt = record.waitingFor?.step ?? "?";
  if (record.status === "waiting" && want.answers?.[waitsAt] === undefined) throw new UsageError(`--resume: run ${record.id} is waiting for an answer at step "${waitsAt}"; resume it with --answer ${waitsAt}=VALUE`);
  if (record.status === "succeeded") throw new UsageError(`--resume: run ${record.id} succeeded; nothing is left to resume`);
  if (want.file !== undefined && record.file !== want.file) throw new UsageError(`--resume: run ${record.id} ran workflow "${record.workflow}" of ${record.file}, not of ${want.file}`);
  return record;
}

/** Refuses `--var`s and `-s` that differ from the resumed run's: a resumed run has the values its steps ran with. */
export function refuseChangedInputs(record: RunRecord, vars: Record<string, string>, stack: string | undefined): void {
  for (const [key, value] of Object.entries(vars)) {
    if (record.vars[key] === value) continue;
    throw new UsageError(`--resume: --var ${key}=${value} differs from run ${record.id}'s (${record.vars[key] === undefined ? "unset" : `${key}=${record.vars[key]}`}); a resumed run keeps its vars: run it anew (without --resume) to change them`);
  }
  if (stack !== undefined && stack !== (record.stack ?? "")) {
    throw new UsageError(`--resume: -s ${stack} differs from run ${record.id}'s stack (${record.stack ?? "none"}); a resumed run keeps its stack: run it anew (without --resume) to change it`);
  }
}

/** The stored answers a resume may reuse (not the masked ones), under those given now. */
export function resumedAnswers(record: RunRecord, given: Record<string, string>): Record<string, string> {
  const kept = Object.fromEntries(Object.entries(record.answers).filter(([, value]) => value !== MASKED));
  return { ...kept, ...given };
}

/** The password prompts of `workflow`: their answers and results are masked. */
export function passwordSteps(workflow: Workflow): Set<string> {
  return new Set(workflow.steps.filter((s) => s.type === "input" && (s as InputStep).password).map((s) => s.name));
}

/** What a run tells its journal record when it starts. */
export interface RunStart {
  project: Project;
  /** The workflow as defined (before `!env`/`!exec` are evaluated). */
  workflow: Workflow;
  file: { path: string; display: string };
  stack?: string;
  vars: Record<string, string>;
  answers: Record<string, string>;
  /** Under `--resume`: the run continued, where, and the entries kept. */
  resumed?: { record: RunRecord; fromStep: string; kept: StepEntry[] };
}

/** What a run records through: its id, each top-level step that ended, how it ended or where it waits. */
export type RunJournal = Pick<RunWriter, "id" | "stepEnded" | "end" | "wait">;

/** How often a run's start prunes the journal: one directory listing an hour, not one a run. */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Opens the journal for a run and returns what records it (and the digest
 * of each step's definition), or undefined when the journal is off or
 * cannot be used (warned).
 *
 * The record (status `running`, under the run's lock) is written by
 * `begin`: at once under `--resume` (a run another muster is resuming is
 * refused before anything runs), else at the first turn of the event loop,
 * which is while the first step's process runs, so that a one-step
 * workflow does not wait for it; it is written before anything else is
 * recorded in any case. A muster SIGKILLed in that first moment leaves no
 * record (there is nothing to resume then).
 *
 * @example
 * ```ts
 * const journaled = startJournal(start, warn);
 * await runWorkflow({ ..., onStepEnd: (left) => journaled?.writer.stepEnded(left, journaled.digestOf(left.name)) });
 * journaled?.writer.end("succeeded", 0);
 * ```
 */
export function startJournal(start: RunStart, warn: (text: string) => void): { writer: RunJournal; digestOf: (name: string) => string } | undefined {
  const env = platform.env();
  const { journal, problem } = Journal.open(env);
  if (problem) warn(`run journal off: ${problem} (expected a directory of this user's that nobody else may write); this run cannot be resumed with --resume`);
  if (!journal) return undefined;
  const old = start.resumed?.record;
  const startedAt = new Date();
  const id = old?.id ?? newRunId(startedAt);
  let begun: { writer: RunWriter | undefined; digests: Map<string, string> } | undefined;
  const begin = (): { writer: RunWriter | undefined; digests: Map<string, string> } => {
    if (begun) return begun;
    // Retention: the runs past it go as a new one starts, checked at most once an hour (muster prune does it at once).
    try {
      if (journal.pruneDue(startedAt.getTime(), PRUNE_EVERY_MS)) journal.prune({ olderThanMs: retentionMs(env, parseDuration) ?? RETENTION_MS, keep: KEEP_RUNS });
    } catch (error) {
      warn(`run journal: could not remove old runs from ${journal.dir} (${(error as Error).message.split("\n")[0]})`);
    }
    const secret = passwordSteps(start.workflow);
    const masker = new Masker().addEnv(env).add(...Object.entries(start.answers).filter(([name]) => secret.has(name)).map(([, value]) => value));
    const answers = Object.fromEntries(Object.entries(start.answers).map(([name, value]) => [name, secret.has(name) ? MASKED : masker.mask(value).value]));
    const now = startedAt.toISOString();
    const digest = definitionDigests(start.workflow);
    const pst = platform.processStartTime?.(platform.pid);
    const fresh: RunRecord = {
      v: 1,
      id,
      status: "running",
      project: start.project.basePath,
      file: resolve(start.file.path),
      fileShown: start.file.display,
      workflow: start.workflow.name,
      digest,
      ...(start.stack !== undefined ? { stack: start.stack } : {}),
      vars: start.vars,
      answers,
      pid: platform.pid,
      ...(pst !== undefined ? { pst } : {}),
      startedAt: now,
      updatedAt: now,
      resumes: [],
      steps: [],
    };
    const record: RunRecord = old
      ? { ...fresh, startedAt: old.startedAt, resumes: [...old.resumes, { at: now, fromStep: start.resumed!.fromStep }], steps: start.resumed!.kept }
      : fresh;
    const writer = RunWriter.start(journal, record, masker, secret, warn, old !== undefined);
    // A new run's id is its own: its lock can only be held when two runs drew the same id in the same second.
    if (!writer && !old) warn(`run journal: run ${id}'s lock is held by another muster; this run is not recorded and cannot be resumed with --resume`);
    begun = { writer, digests: new Map(digest.steps.map((s) => [s.name, s.digest])) };
    return begun;
  };
  if (old) {
    if (!begin().writer) throw new UsageError(`--resume: run ${id} is being resumed by another muster; wait for it`);
  } else {
    // Right after the first child is spawned; by a timer when the first step spawns none.
    whileChildRuns(begin);
    setTimeout(begin, 0);
  }
  const writer: RunJournal = {
    id,
    stepEnded: (left, digest) => begin().writer?.stepEnded(left, digest),
    end: (status, exitCode, failedStep) => begin().writer?.end(status, exitCode, failedStep),
    wait: (asked) => begin().writer?.wait(asked),
  };
  return { writer, digestOf: (name) => begin().digests.get(name) ?? "" };
}
