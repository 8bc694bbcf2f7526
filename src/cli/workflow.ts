/**
 * `muster workflow <name>`: plans a workflow, then runs it with the text
 * renderer (and `--log-dir`) observing the engine.
 * @module
 */
import { access, constants, lstat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { defineCommand } from "./command.ts";
import { Cancellation } from "../engine/cancellation.ts";
import { fanOut, type RunObserver } from "../engine/events.ts";
import { runWorkflow } from "../run/run-workflow.ts";
import { Semaphore } from "../engine/semaphore.ts";
import { DiscoveryError, exitCodeOf, MusterError, UsageError } from "../errors.ts";
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, EXIT_WAITING, exitCodeForStop } from "../exit-codes.ts";
// Loaded by every run anyway (the journal's files are checked with it): imported statically.
import { NotOwnFileError, OUTPUT_DIR_RULE, outputDirProblem } from "../files/owned-path.ts";
import { stderr, stdout, sttyEcho } from "../output/terminal.ts";
import { passInterrupt } from "../engine/interrupts.ts";
import { CI_CHOICES, detectCi } from "../output/ci/providers.ts";
import { StatusRenderer } from "../output/status-renderer.ts";
import { TextRenderer } from "../output/text-renderer.ts";
import { platform } from "../platform/index.ts";
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { findWorkflow } from "../load/discover.ts";
import { formatDuration, parseDuration } from "../workflow/duration.ts";
import type { Workflow } from "../workflow/types.ts";
import { answersFromEnv, dirArg, fileArg, loadProject, parseAnswers, parseVars, varsFromEnv } from "./common.ts";
import { checkAnswers, refuseBadAnswers, refuseUnanswered, resumableAnswers } from "./answers.ts";
import { pickFile, pickWorkflow, promptsOnTerminal } from "./pick.ts";
import { refuseSkippedReads, resumeCommand, resumeStep, resumeWithJournal, type RunArgs } from "./resume.ts";
import { journalForResume, pickRun, refuseChangedInputs, resumedAnswers, resumeFlag, startJournal } from "./run-journal.ts";
import { resumePlan, type ResumePlan } from "./resume-plan.ts";
import type { RunRecord, WaitingFor } from "../journal/run-record.ts";
import type { SuspendedPrompt } from "../workflow/run-context.ts";
import { prepareRun, stackArg, varArg } from "./run-context.ts";
import { SUMMARIES } from "./summaries.ts";

/** A report file must be writable before the run starts, not found unwritable after it. */
async function checkWritableFile(flag: string, file: string): Promise<void> {
  await access(dirname(file), constants.W_OK).catch((error: Error) => {
    throw new UsageError(`${flag} ${JSON.stringify(file)}: cannot write there (${error.message.split("\n")[0]}); expected a file in an existing, writable directory`);
  });
  // Another user who may write the directory could plant a link at the file (S10): exit 78, as for an untrusted state.
  const { problem } = outputDirProblem(dirname(file));
  if (problem) throw untrustedOutput(flag, file, new NotOwnFileError(dirname(file), `${problem}; ${OUTPUT_DIR_RULE}`));
  const existing = await lstat(file).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw untrustedOutput(flag, file, new NotOwnFileError(file, "is a symlink (muster never writes through one)"));
}

/** An output path muster must not write (a symlink, a directory others may plant one in): exit 78, naming the flag, the path and the rule. */
function untrustedOutput(flag: string, value: string, error: NotOwnFileError): MusterError {
  return new MusterError(`${flag} ${JSON.stringify(value)}: ${error.path} ${error.problem}; remove it, or choose a path in a directory of your own`, EXIT_CONFIG);
}

/** The signals that stop a run. */
type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";
const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/** Fails (exit 1) when a tool named in `dependencies.tools` is not on PATH. */
async function checkTools(workflow: Workflow, env: Record<string, string>): Promise<void> {
  const tools = Object.entries(workflow.tools ?? {});
  if (tools.length === 0) return;
  const { findExecutable } = await import("../engine/find-executable.ts");
  const missing = tools.filter(([tool]) => findExecutable(tool, env.PATH ?? "") === undefined);
  if (missing.length === 0) return;
  const named = missing.map(([tool, version]) => (version ? `${tool} ${version}` : tool)).join(", ");
  const install = missing.map(([tool, version]) => (version && version !== "latest" ? `${tool}@${version}` : tool)).join(" ");
  throw new MusterError(`workflow "${workflow.name}" needs tools that are not on PATH: ${named} (muster checks dependencies.tools but does not install toolchains: install them, for example with atmos toolchain install ${install})`, EXIT_FAILURE);
}

/** Atmos' `show.header` and `show.flags`, printed before the first step. */
function showLines(workflow: Workflow, flags: { dryRun: boolean; fromStep?: string; identity?: string; stack?: string }): string {
  const show = workflow.show;
  let text = "";
  if (show?.header) text += `# ${workflow.name}\n${workflow.description ? `${workflow.description.trim()}\n` : ""}\n`;
  if (show?.flags) {
    const entries: Array<[string, string]> = [["dry-run", String(flags.dryRun)], ["from-step", flags.fromStep ?? ""], ["identity", flags.identity ?? ""], ["stack", flags.stack ?? ""]];
    text += `${entries.filter(([, v]) => v !== "").map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n`;
  }
  return text;
}

export default defineCommand({
  meta: { name: "workflow", description: SUMMARIES.workflow },
  args: {
    name: { type: "positional", description: "Workflow name (on a terminal, omit it to pick one)", required: false },
    file: fileArg,
    stack: stackArg,
    "from-step": { type: "string", description: "Start at this top-level step, skipping those before it", valueHint: "STEP" },
    resume: { type: "boolean", description: "Continue the last failed or interrupted run of this workflow in this project (or, as --resume=RUN, that run: see muster runs) at the step that failed, with its vars, stack, answers and the stored results of the steps before it", valueHint: "RUN" },
    "dry-run": { type: "boolean", description: "Print what would run and touch nothing" },
    force: { type: "boolean", description: "Run steps with inputs/artifacts/preconditions even when they are fresh" },
    var: varArg,
    answer: { type: "string", description: "Answer the prompt step NAME with VALUE, on a terminal or not (repeatable)", valueHint: "NAME=VALUE" },
    dir: dirArg,
    grace: { type: "string", description: "How long an interrupted or canceled step may take to exit before it is killed", default: "5s", valueHint: "DURATION" },
    jobs: { type: "string", alias: "j", description: "Cap on concurrently running children across the whole run", valueHint: "N" },
    "log-dir": { type: "string", description: "Also write each step's full output to its own file in DIR", valueHint: "DIR" },
    quiet: { type: "boolean", alias: "q", description: "Only print failures and the final result" },
    format: { type: "string", description: "text (default), or json: NDJSON run events on stdout (schemas/events.v1.json) and nothing else", valueHint: "text|json" },
    events: { type: "string", description: "Also write the NDJSON run events to FILE", valueHint: "FILE" },
    junit: { type: "string", description: "Write a JUnit XML report to FILE (also when interrupted)", valueHint: "FILE" },
    "restrict-host": { type: "boolean", description: "Container steps may bind-mount only the project (and MUSTER_ALLOW_HOST_MOUNTS), never the Docker socket unless MUSTER_ALLOW_DOCKER_SOCKET=1: for CI on shared hosts (always on under serve)" },
    identity: { type: "string", description: "Atmos auth identity for steps that name none (credentials from atmos auth env; default $ATMOS_IDENTITY)", valueHint: "NAME" },
    ci: { type: "string", description: "CI log groups, annotations and summary: github, gitlab, buildkite or none (default: from the environment)", valueHint: "NAME" },
  },
  async run({ args, rawArgs }) {
    const graceMs = parseDuration(args.grace);
    if (graceMs === undefined) throw new UsageError(`--grace ${JSON.stringify(args.grace)}: expected a duration such as 5s`);
    const jobs = args.jobs === undefined ? undefined : Number(args.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs must be a whole number of at least 1: current value is ${args.jobs}`);
    const format = args.format ?? "text";
    if (format !== "text" && format !== "json") throw new UsageError(`--format ${JSON.stringify(format)}: expected text or json`);
    if (args.ci !== undefined && !(CI_CHOICES as readonly string[]).includes(args.ci)) {
      throw new UsageError(`--ci ${JSON.stringify(args.ci)}: expected one of: ${CI_CHOICES.join(", ")}`);
    }
    const env = platform.env(); // read here, never changed: the run's own copy is made by prepareRun
    let vars = { ...varsFromEnv(env), ...parseVars(rawArgs) };
    let answers = { ...answersFromEnv(env), ...parseAnswers(rawArgs) };
    const project = await loadProject(args.dir);
    const interactive = promptsOnTerminal();
    // Suspend mode (set by `muster serve` for its runs): a prompt nothing answers suspends the run, which a --resume with the answer continues.
    const suspendMode = !interactive && env.MUSTER_SUSPEND_AT_PROMPTS === "1";
    const resumeId = resumeFlag(rawArgs);
    if (resumeId !== undefined && args["from-step"] !== undefined) throw new UsageError("--resume and --from-step: give one (--resume starts where the run failed, with its stored results; --from-step starts where you say, with none)");
    const journal = resumeId !== undefined ? journalForResume(env) : undefined;
    // No name: a picker on a terminal (which also picks where to start), the list otherwise; under --resume, the run's workflow.
    const picked = args.name || resumeId !== undefined ? undefined : await pickWorkflow(project, args.file, interactive);
    let found = args.name ? await findWorkflow(project, args.name, args.file, interactive ? (files) => pickFile(args.name!, files) : undefined) : picked?.found;
    let resumed: { record: RunRecord; plan: ResumePlan } | undefined;
    if (journal) {
      const record = pickRun(journal, project, resumeId!, { name: args.name || undefined, file: found ? resolve(found.file.path) : undefined, answers });
      found ??= await findWorkflow(project, record.workflow, record.file);
      // The run keeps the values its steps ran with: --var and -s may only repeat them, --answer add the masked ones.
      refuseChangedInputs(record, parseVars(rawArgs), args.stack);
      vars = record.vars;
      answers = resumedAnswers(record, answers);
      checkAnswers(found.workflow, answers);
      resumed = { record, plan: resumePlan(found.workflow, record, answers, interactive) };
    }
    const { file, warnings } = found!;
    let workflow = found!.workflow;
    /** The workflow as its file defines it: the journal's digests are of this. */
    const defined = workflow;
    for (const warning of warnings) await stderr.write(`${stderr.colors.yellow("!")} ${warning}\n`);
    const fromStep = resumed?.plan.fromStep ?? args["from-step"] ?? picked?.fromStep;
    if (fromStep && !workflow.steps.some((s) => s.name === fromStep)) {
      throw new UsageError(`--from-step "${fromStep}": workflow "${workflow.name}" has no such step (expected one of: ${workflow.steps.map((s) => s.name).join(", ")})`);
    }
    checkAnswers(workflow, answers);
    // Under --resume the steps before the start have their stored results: nothing they left is missing.
    if (fromStep && !resumed) refuseSkippedReads(workflow, fromStep, answers);
    const ci = format === "text" ? detectCi(env, args.ci, project.ci) : undefined;
    // The one run builder (describe uses it too): !env and !exec in prompt fields are evaluated once, when the run starts, as in Atmos.
    const { ctx, plan } = await prepareRun(project, workflow, file.path, {
      stack: resumed ? resumed.record.stack ?? "" : args.stack,
      vars,
      answers,
      restrictHost: Boolean(args["restrict-host"]),
      identity: args.identity,
      // Nested tools (muster, atmos) must not open log groups inside ours: CI systems do not nest them.
      ciGroups: Boolean(ci?.groups),
    });
    workflow = ctx.workflow;
    // Every template of every step is checked before anything runs.
    if (plan.errors.length > 0) {
      throw new DiscoveryError(`workflow "${workflow.name}" (${file.display}) cannot be resolved:\n${plan.errors.map(formatDiagnostic).join("\n")}`, plan.errors);
    }
    if (!interactive && !args["dry-run"] && !suspendMode) refuseUnanswered(plan, answers, fromStep);
    await refuseBadAnswers(plan, answers);
    // Atmos installs dependencies.tools; muster only checks they are there (also for a dry run, as Atmos installs then too).
    await checkTools(workflow, ctx.env);
    const shown = format === "text" ? showLines(workflow, { dryRun: Boolean(args["dry-run"]), fromStep, identity: ctx.identity, stack: ctx.stackFlag }) : "";
    if (shown) await stderr.write(shown);
    if (args["dry-run"]) {
      // JSON stays one plan document; the text preview is followed by the steps Atmos runs under --dry-run.
      const { planJson, renderPlanText } = await import("../output/plan-view.ts");
      if (format === "json") {
        await stdout.write(`${JSON.stringify(planJson(plan, file.display, ctx.stackFlag))}\n`);
        return EXIT_OK;
      }
      await stdout.write(renderPlanText(plan, file.display, fromStep));
      if (!plan.steps.some((p) => p.kind.behaviours.dryRun)) return EXIT_OK;
      ctx.dryRun = true;
    }
    if (args.junit) await checkWritableFile("--junit", args.junit);
    const logDir = args["log-dir"];
    // Renderers and checks that only some flags need are loaded only then.
    const logDirRenderer = logDir ? await import("../output/log-dir-renderer.ts") : undefined;
    if (logDir) {
      await logDirRenderer!.checkLogDir(logDir).catch((error: Error) => {
        if (error instanceof NotOwnFileError) throw untrustedOutput("--log-dir", logDir, error);
        throw new UsageError(`--log-dir ${JSON.stringify(logDir)}: cannot write there (${error.message.split("\n")[0]}); expected a directory muster may create files in`);
      });
    }

    const observers: RunObserver[] = [];
    let warn: (text: string) => void;
    const jsonRenderer = format === "json" || args.events ? await import("../output/json-renderer.ts") : undefined;
    if (format === "json") {
      // stdout carries the event stream and nothing else; muster's human lines go nowhere.
      const json = new jsonRenderer!.JsonRenderer({ write: (line) => stdout.write(line) });
      observers.push(json);
      warn = (message) => void json.emit({ type: "message", level: "warn", text: message });
    } else {
      const heartbeatMs = env.MUSTER_HEARTBEAT ? parseDuration(env.MUSTER_HEARTBEAT) : 30_000;
      if (heartbeatMs === undefined) throw new UsageError(`MUSTER_HEARTBEAT=${JSON.stringify(env.MUSTER_HEARTBEAT)}: expected a duration such as 30s (0 turns heartbeats off)`);
      // The status renderer owns the terminal's streams: everything else writes through it.
      const status = new StatusRenderer({
        stdout,
        stderr,
        live: stderr.isTerminal && !args.quiet,
        echo: stderr.isTerminal && !args.quiet && platform.isTerminal(0) ? sttyEcho() : undefined,
        heartbeatMs: stderr.isTerminal ? 0 : heartbeatMs,
        columns: platform.columns(2),
      });
      const text = new TextRenderer({ stdout: status.stdout, stderr: status.stderr, quiet: args.quiet, ci, liveViewport: status.viewportLive });
      observers.push(text, status);
      warn = (message) => void text.emit({ type: "message", level: "warn", text: message });
      const summary = ci?.provider.summaryFile?.(env);
      if (summary) observers.push(new (await import("../output/ci/summary-renderer.ts")).SummaryRenderer(summary));
    }
    if (logDir) observers.push(new logDirRenderer!.LogDirRenderer(logDir, warn));
    if (args.events) {
      const events = args.events;
      const sink = await jsonRenderer!.openEventsFile(events).catch((error: Error) => {
        if (error instanceof NotOwnFileError) throw untrustedOutput("--events", events, error);
        throw new UsageError(`--events ${JSON.stringify(events)}: cannot write there (${error.message})`);
      });
      observers.push(new jsonRenderer!.JsonRenderer(sink));
    }
    if (args.junit) observers.push(new (await import("../output/junit-renderer.ts")).JunitRenderer(args.junit));
    const observer = fanOut(observers);

    const cancellation = new Cancellation();
    // SIGHUP (a closed terminal or SSH session) and SIGQUIT stop a run like SIGTERM: steps get
    // SIGTERM, services are torn down; only the exit code tells them apart.
    let interrupted: StopSignal | undefined;
    const onSignal = (signal: StopSignal) => () => {
      // A step that owns Ctrl-C (interactive: true) gets it, and the run goes on (as in Atmos).
      if (signal === "SIGINT" && passInterrupt()) return;
      if (interrupted) {
        void observer.emit({ type: "message", level: "warn", text: `${signal} again: killing everything now` });
        cancellation.force();
        return;
      }
      interrupted = signal;
      void observer.emit({ type: "message", level: "warn", text: `${signal}: stopping (${formatDuration(graceMs)} grace; press Ctrl-C again to kill at once)` });
      cancellation.cancel(signal === "SIGINT" ? "SIGINT" : "SIGTERM", signal === "SIGINT" ? "interrupted" : signal === "SIGHUP" ? "hung up" : "terminated");
    };
    const offSignals = STOP_SIGNALS.map((signal) => platform.onSignal(signal, onSignal(signal)));
    // Esc or Ctrl-C at a prompt (raw mode: keys, not SIGINT) stops the run as Ctrl-C does.
    ctx.interrupt = (why) => {
      if (interrupted) return;
      interrupted = "SIGINT";
      void observer.emit({ type: "message", level: "warn", text: `${why}: stopping` });
      cancellation.cancel("SIGINT", "interrupted");
    };
    /** What the resume hint repeats of this run. */
    const runArgs = (): RunArgs => ({
      workflow: workflow.name,
      // With -C the display path is relative to that directory: the hint names the file absolutely.
      file: args.dir === undefined ? file.display : file.path,
      dir: args.dir,
      stack: args.stack,
      vars,
      answers: resumableAnswers(workflow, answers),
      grace: rawArgs.some((a) => a === "--grace" || a.startsWith("--grace=")) ? args.grace : undefined,
      jobs: args.jobs,
      logDir,
      identity: args.identity || undefined,
      restrictHost: args["restrict-host"] || undefined,
      quiet: args.quiet,
      force: args.force || undefined,
    });
    const started = performance.now();
    // A dry run changes nothing, so there is nothing to record or resume.
    const journaled = ctx.dryRun ? undefined : startJournal({
      project,
      workflow: defined,
      file,
      stack: ctx.stackFlag,
      vars,
      answers,
      ...(resumed ? { resumed: { record: resumed.record, fromStep: resumed.plan.fromStep, kept: resumed.plan.kept } } : {}),
    }, warn);
    /** The prompt the run suspended at (suspend mode): later steps are not recorded, the resume runs them. */
    let suspended: { question: SuspendedPrompt; since: string } | undefined;
    // Without a journal there is nothing to suspend into: the prompt still never takes its default (a gate is not passed unasked), the run fails there.
    if (suspendMode) {
      ctx.suspend = (question) => {
        if (suspended) return;
        suspended = { question, since: new Date().toISOString() };
        cancellation.cancel("SIGTERM", `waiting for an answer at step "${question.step}"`);
      };
    }
    let ended = false;
    try {
      await observer.emit({ type: "run.start", workflow: workflow.name, file: file.display });
      if (resumed) {
        const kept = resumed.plan.restored.map((e) => e.name);
        await observer.emit({ type: "message", level: "info", text: `resuming run ${resumed.record.id} at step "${resumed.plan.fromStep}"${kept.length > 0 ? `; stored results of ${kept.map((n) => `"${n}"`).join(", ")}` : ""}` });
        for (const note of resumed.plan.notes) await observer.emit({ type: "message", level: "info", text: note });
      }
      const result = await runWorkflow({
        run: ctx,
        plan,
        observer,
        cancellation,
        graceMs,
        fromStep,
        jobs: jobs === undefined ? undefined : new Semaphore(jobs),
        ...(resumed ? { restored: resumed.plan.restored, ask: resumed.plan.ask } : {}),
        ...(journaled ? { onStepEnd: (left) => (suspended ? undefined : journaled.writer.stepEnded(left, journaled.digestOf(left.name))) } : {}),
        force: args.force === true,
      });
      const durationMs = performance.now() - started;
      if (suspended && !journaled && !interrupted) {
        const step = suspended.question.step;
        await observer.emit({ type: "message", level: "error", text: `step "${step}" (${suspended.question.type}) needs an answer and the run cannot suspend to wait for one: the run journal is off or unusable (MUSTER_SUSPEND_AT_PROMPTS needs it); give --answer ${step}=VALUE` });
        await observer.emit({ type: "run.end", workflow: workflow.name, status: "failed", exitCode: EXIT_USAGE, failedStep: step, durationMs });
        return EXIT_USAGE;
      }
      if (suspended && journaled && !interrupted) {
        const { question, since } = suspended;
        const { check, ...shown } = question;
        const runId = env.MUSTER_RUN_ID || journaled.writer.id;
        const digest = platform.digest("sha256", `${runId}\n${journaled.digestOf(question.step)}\n${question.prompt}`);
        const waitingFor: WaitingFor = { ...shown, since, digest, check };
        journaled.writer.wait(waitingFor);
        ended = true;
        await observer.emit({ type: "message", level: "info", text: `run ${journaled.writer.id} waits for an answer at step "${question.step}" (${question.type}) after ${formatDuration(durationMs)}; resume with --resume=${journaled.writer.id} --answer ${question.step}=VALUE` });
        return EXIT_WAITING;
      }
      if (interrupted) {
        journaled?.writer.end("interrupted", exitCodeForStop(interrupted), result.failedStep);
        ended = true;
        const resume = journaled ? { resume: resumeWithJournal(runArgs(), journaled.writer.id) } : {};
        await observer.emit({ type: "run.end", workflow: workflow.name, status: "interrupted", signal: interrupted, exitCode: exitCodeForStop(interrupted), durationMs, ...resume });
        return exitCodeForStop(interrupted);
      }
      if (result.failedStep) {
        journaled?.writer.end("failed", result.exitCode, result.failedStep);
        ended = true;
        const resume = journaled ? resumeWithJournal(runArgs(), journaled.writer.id) : resumeCommand(runArgs(), resumeStep(workflow, result.failedStep));
        await observer.emit({ type: "run.end", workflow: workflow.name, status: "failed", exitCode: result.exitCode, failedStep: result.failedStep, durationMs, resume });
        return result.exitCode;
      }
      journaled?.writer.end("succeeded", EXIT_OK);
      ended = true;
      await observer.emit({ type: "run.end", workflow: workflow.name, status: "succeeded", exitCode: EXIT_OK, durationMs });
      return EXIT_OK;
    } catch (error) {
      // The engine could not run at all (no Docker engine): the run failed where it stood.
      if (!ended) journaled?.writer.end("failed", exitCodeOf(error));
      ended = true;
      throw error;
    } finally {
      for (const off of offSignals) off();
      await observer.close?.();
      const { releaseLimits } = await import("../engine/process-limit.ts");
      releaseLimits();
    }
  },
});
