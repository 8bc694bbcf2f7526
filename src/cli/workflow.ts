/**
 * `muster workflow <name>`: runs a workflow.
 * @module
 */
import { defineCommand } from "citty";
import { Cancellation } from "../engine/cancellation.ts";
import { runWorkflow, type EngineContext } from "../engine/run-workflow.ts";
import { Semaphore } from "../engine/semaphore.ts";
import { planErrors, planView, renderPlanText } from "../output/plan-view.ts";
import { Reporter } from "../output/reporter.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { findWorkflow } from "../workflow/discover.ts";
import { formatDuration, parseDuration } from "../workflow/duration.ts";
import { shellQuote } from "../workflow/shell-words.ts";
import { dirArg, fileArg, loadProject, parseVars } from "./common.ts";
import { EXIT_SIGINT, EXIT_SIGTERM, UsageError } from "./exit-codes.ts";
import { runContext, stackArg, varArg } from "./run-context.ts";
import { stepRunners } from "./step-runners.ts";

export default defineCommand({
  meta: { name: "workflow", description: "Run a workflow" },
  args: {
    name: { type: "positional", description: "Workflow name", required: true },
    file: fileArg,
    stack: stackArg,
    "from-step": { type: "string", description: "Start at this top-level step, skipping those before it", valueHint: "STEP" },
    "dry-run": { type: "boolean", description: "Print what would run and touch nothing" },
    var: varArg,
    dir: dirArg,
    grace: { type: "string", description: "How long an interrupted or canceled step may take to exit before it is killed", default: "5s", valueHint: "DURATION" },
    jobs: { type: "string", alias: "j", description: "Cap on concurrently running children across the whole run", valueHint: "N" },
    "log-dir": { type: "string", description: "Also write each step's full output to its own file in DIR", valueHint: "DIR" },
    quiet: { type: "boolean", alias: "q", description: "Only print failures and the final result" },
  },
  async run({ args, rawArgs }) {
    const graceMs = parseDuration(args.grace);
    if (graceMs === undefined) throw new UsageError(`--grace ${JSON.stringify(args.grace)}: expected a duration such as 5s`);
    const jobs = args.jobs === undefined ? undefined : Number(args.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs must be a whole number of at least 1: current value is ${args.jobs}`);
    const vars = parseVars(rawArgs);
    const project = await loadProject(args.dir);
    const { file, workflow } = await findWorkflow(project, args.name, args.file);
    const fromStep = args["from-step"];
    if (fromStep && !workflow.steps.some((s) => s.name === fromStep)) {
      throw new UsageError(`--from-step "${fromStep}": workflow "${workflow.name}" has no such step (expected one of: ${workflow.steps.map((s) => s.name).join(", ")})`);
    }
    const ctx = runContext(project, workflow, args.stack, vars, file.path);
    const steps = planView(ctx);
    // Templates are checked before anything runs: a missing --var must not
    // surface halfway through a deployment.
    const unresolved = planErrors(steps);
    if (unresolved.length > 0) {
      throw new UsageError(`workflow "${workflow.name}" (${file.display}) cannot be resolved:\n${unresolved.map((e) => `  ${e}`).join("\n")}`);
    }
    if (args["dry-run"]) {
      const start = fromStep ? steps.findIndex((s) => s.name === fromStep) : 0;
      await stdout.write(renderPlanText(workflow.name, file.display, steps.slice(start)));
      return 0;
    }

    const reporter = new Reporter(stderr, { quiet: args.quiet });
    const cancellation = new Cancellation();
    let interrupted: "SIGINT" | "SIGTERM" | undefined;
    const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
      if (interrupted) {
        reporter.warn(`${signal} again: killing everything now`);
        cancellation.force();
        return;
      }
      interrupted = signal;
      reporter.warn(`${signal}: stopping (${formatDuration(graceMs)} grace; press Ctrl-C again to kill at once)`);
      cancellation.cancel(signal, signal === "SIGINT" ? "interrupted" : "terminated");
    };
    const offInt = platform.onSignal("SIGINT", onSignal("SIGINT"));
    const offTerm = platform.onSignal("SIGTERM", onSignal("SIGTERM"));
    const engine: EngineContext = {
      run: ctx, reporter, cancellation, graceMs, logDir: args["log-dir"],
      jobsSemaphore: jobs === undefined ? undefined : new Semaphore(jobs),
    };
    const started = performance.now();
    const runtime = await stepRunners(engine);
    let result;
    try {
      result = await runWorkflow(engine, { fromStep, runners: runtime.runners, beforeStep: runtime.beforeStep });
    } finally {
      await runtime.teardown();
      offInt();
      offTerm();
    }
    const took = formatDuration(performance.now() - started);
    const c = stderr.colors;
    if (interrupted) {
      reporter.line(`${c.yellow("■")} workflow ${workflow.name} ${c.yellow(interrupted === "SIGINT" ? "interrupted" : "terminated")} after ${took}`);
      return interrupted === "SIGINT" ? EXIT_SIGINT : EXIT_SIGTERM;
    }
    if (result.failedStep) {
      reporter.line(`${c.red("✗")} workflow ${workflow.name} ${c.red("failed")} at step "${result.failedStep}" (exit ${result.exitCode}) after ${took}`);
      const resume = ["muster", "workflow", workflow.name, "-f", file.display, "--from-step", result.failedStep].map(shellQuote).join(" ");
      reporter.hint(`resume with: ${resume}`);
      return result.exitCode;
    }
    reporter.line(`${c.green("✓")} workflow ${workflow.name} ${c.green("succeeded")} in ${took}`);
    return 0;
  },
});
