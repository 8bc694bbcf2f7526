/**
 * Writing one run into the journal as it goes, a line at a time: its start
 * (again at a `--resume`, naming the steps kept), each top-level step as it
 * ends (masked values masked), the end.
 * A journal that cannot be written warns once and is left alone: it never
 * fails the run it records.
 * @module
 */
import type { FileLock } from "../platform/types.ts";
import type { StepLeft } from "../run/run-workflow.ts";
import { closeSync, fsyncSync, writeSync } from "node:fs";
import type { Journal } from "./journal.ts";
import type { Masker } from "./masker.ts";
import { MASKED, type RunRecord, type RunStatus, type StepEntry, type WaitingFor } from "./run-record.ts";
import { lineOf, type RecordLine } from "./record-lines.ts";

/**
 * Records one run.
 *
 * @example
 * ```ts
 * const writer = RunWriter.start(journal, record, masker, new Set(["password"]), warn);
 * await runWorkflow({ ..., onStepEnd: (left) => writer.stepEnded(left) });
 * writer.end("succeeded", 0);
 * ```
 */
export class RunWriter {
  #journal: Journal;
  #record: RunRecord;
  #masker: Masker;
  #secretSteps: ReadonlySet<string>;
  #warn: (text: string) => void;
  #lock: FileLock | undefined;
  #fd: number | undefined;
  #broken = false;

  private constructor(journal: Journal, record: RunRecord, masker: Masker, secretSteps: ReadonlySet<string>, warn: (text: string) => void, lock: FileLock) {
    this.#journal = journal;
    this.#record = record;
    this.#masker = masker;
    this.#secretSteps = secretSteps;
    this.#warn = warn;
    this.#lock = lock;
  }

  /**
   * Takes run `record.id`'s lock and writes its start: a new file, or
   * under `resumed` a start line appended to the run's file, keeping the
   * entries of `record.steps`. Undefined when another process holds the
   * run (a resume of a run still going). `secretSteps`: steps whose whole
   * result is masked (password prompts).
   */
  static start(journal: Journal, record: RunRecord, masker: Masker, secretSteps: ReadonlySet<string>, warn: (text: string) => void, resumed = false): RunWriter | undefined {
    // A new run whose process start time is recorded needs no lock to read as live (it costs a run
    // about 0.5 ms: flock through FFI); a resume takes it, so that two musters never resume one run.
    const lock = !resumed && record.pst !== undefined ? { release() {} } : journal.lock(record.id);
    if (!lock) return undefined;
    const writer = new RunWriter(journal, record, masker, secretSteps, warn, lock);
    try {
      writer.#fd = journal.openForAppend(record.id, !resumed);
    } catch (error) {
      writer.#fail(error);
    }
    const { steps, ...header } = record;
    writer.#append({ t: "start", ...header, ...(resumed ? { keep: steps.map((s) => s.name) } : {}) });
    return writer;
  }

  /** The run's id. */
  get id(): string {
    return this.#record.id;
  }

  /** Records a top-level step that ended, with what it left; `digest` is its definition's. */
  stepEnded(left: StepLeft, digest: string): void {
    const own = this.#secretSteps.has(left.name) ? left.steps[left.name] : undefined;
    if (own) this.#masker.add(own.value, ...own.values);
    const { result } = left;
    const { value, masked } = this.#masker.mask({ steps: left.steps, env: left.env, exported: left.exported, error: result.error });
    const entry: StepEntry = {
      name: left.name,
      status: result.status,
      exitCode: result.exitCode,
      durationMs: Math.round(result.durationMs),
      ...(value.error !== undefined ? { error: value.error } : {}),
      digest,
      steps: value.steps,
      env: value.env,
      exported: value.exported,
      ...(masked || own ? { masked: true } : {}),
      endedAt: new Date().toISOString(),
    };
    // A password result that is empty or too short to find is still never kept.
    if (own) entry.steps[left.name] = { ...entry.steps[left.name]!, value: MASKED, values: own.values.map(() => MASKED) };
    this.#record.steps = [...this.#record.steps.filter((s) => s.name !== left.name), entry];
    this.#append({ t: "step", ...entry });
  }

  /** Records how the run ended and releases it. */
  end(status: Exclude<RunStatus, "running" | "waiting">, exitCode: number, failedStep?: string): void {
    const now = new Date().toISOString();
    this.#record = { ...this.#record, status, exitCode, endedAt: now };
    if (failedStep) this.#record.failedStep = failedStep;
    else delete this.#record.failedStep;
    this.#append({ t: "end", status, exitCode, ...(failedStep ? { failedStep } : {}), endedAt: now });
    this.#close(false);
  }

  /**
   * Records that the run suspended at a prompt (`waitingFor`) and releases
   * it: the record is then all a `--resume` with the answer needs. Its
   * texts are masked as step results are (a prompt may show an earlier
   * password answer); the digest, made by the caller, stays the unmasked
   * prompt's.
   */
  wait(asked: WaitingFor): void {
    const texts = this.#masker.mask({ prompt: asked.prompt, options: asked.options, default: asked.default, texts: asked.check?.texts }).value;
    const waitingFor: WaitingFor = {
      ...asked,
      prompt: texts.prompt,
      ...(texts.options !== undefined ? { options: texts.options } : {}),
      ...(texts.default !== undefined ? { default: texts.default } : {}),
      ...(asked.check ? { check: { step: asked.check.step, texts: texts.texts ?? {} } } : {}),
    };
    this.#record = { ...this.#record, status: "waiting", waitingFor, updatedAt: waitingFor.since };
    this.#append({ t: "waiting", waitingFor, at: waitingFor.since });
    this.#close(true);
  }

  /**
   * Closes the file (synced first when `sync`) and lets go of the run's lock.
   * The lines are the kernel's once written, so a killed muster loses none;
   * only a waiting run's record is synced, to keep it through a machine
   * crash: it is what the answer resumes. An ended run's last lines lost
   * in a crash leave it reading as interrupted at its last recorded step,
   * which a resume runs again (about 1 ms of every run saved).
   */
  #close(sync: boolean): void {
    if (this.#fd !== undefined) {
      try {
        if (sync) fsyncSync(this.#fd);
      } catch {
        // a file system without fsync: the lines are written all the same
      }
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    this.#lock?.release();
    this.#lock = undefined;
  }

  #append(line: RecordLine): void {
    if (this.#broken || this.#fd === undefined) return;
    try {
      writeSync(this.#fd, lineOf(line));
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    this.#broken = true;
    this.#warn(`run journal: cannot write ${this.#journal.file(this.#record.id)} (${(error as Error).message.split("\n")[0]}); this run cannot be resumed with --resume`);
  }
}
