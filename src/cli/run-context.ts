/**
 * The one run builder: the {@linkcode RunContext} and plan that `workflow`,
 * `workflow --dry-run` and `describe` all use, so they cannot disagree.
 * @internal
 * @module
 */
import type { Project } from "../load/discover.ts";
import type { RunContext } from "../workflow/run-context.ts";
import { buildPlan, type Plan } from "../load/plan.ts";
import type { Workflow } from "../workflow/types.ts";
import { platform } from "../platform/index.ts";
import { inCi } from "../workflow/condition.ts";

/** `-s STACK` */
export const stackArg = { type: "string", alias: "s", description: "Stack for every step (overrides workflow and step stacks; default $ATMOS_STACK)", valueHint: "STACK" } as const;
/** `--var KEY=VALUE` (repeatable) */
export const varArg = { type: "string", description: "Template variable {{ .vars.KEY }} (repeatable)", valueHint: "KEY=VALUE" } as const;

/** The context of a run of `workflow` in `project`. */
export function runContext(project: Project, workflow: Workflow, stack: string | undefined, vars: Record<string, string>, workflowFile?: string): RunContext {
  const env = platform.env();
  return {
    workflow,
    stackFlag: stack || env.ATMOS_STACK || undefined,
    vars,
    env,
    baseDir: project.basePath,
    atmosBin: env.ATMOS_BIN || "atmos",
    self: platform.selfCommand(),
    // Windows has no sh; cmd /C is what Atmos uses there too.
    shell: platform.os === "windows" ? ["cmd", "/C"] : ["sh", "-c"],
    workflowFile,
    ci: inCi(env),
  };
}

/** What a command knows of the run it prepares, beyond the workflow. */
export interface RunInputs {
  /** `-s/--stack`. */
  stack?: string;
  /** `--var`s over `MUSTER_VAR_*`/`ATMOS_VAR_*` from the environment. */
  vars: Record<string, string>;
  /** `--answer NAME=VALUE`. */
  answers?: Record<string, string>;
  /** `--restrict-host`. */
  restrictHost?: boolean;
  /** `--identity` (else ATMOS_IDENTITY). */
  identity?: string;
  /** CI log groups are open (text output in a CI that has them): nested tools must not open their own. */
  ciGroups?: boolean;
}

/**
 * The run of `workflow` as every command sees it: `!env`/`!exec` in prompt
 * fields evaluated once (as Atmos does, when the run starts), the answers,
 * identity, terminal and environment settled, and every step planned.
 *
 * @example
 * ```ts
 * const { ctx, plan } = await prepareRun(project, workflow, file.path, { vars: {} });
 * plan.errors; // templates that cannot be resolved, positioned
 * ```
 */
export async function prepareRun(project: Project, workflow: Workflow, workflowFile: string | undefined, inputs: RunInputs): Promise<{ ctx: RunContext; plan: Plan }> {
  const base = runContext(project, workflow, inputs.stack, inputs.vars, workflowFile);
  const { evaluateStepFunctions } = await import("../load/step-functions.ts");
  const evaluated = await evaluateStepFunctions(workflow, { env: base.env, cwd: base.baseDir, shell: base.shell });
  // What serve hands a run for muster itself (its answers, its suspend mode) is not the steps': a step never sees a password answer there.
  const { MUSTER_ANSWERS: _answers, MUSTER_SUSPEND_AT_PROMPTS: _suspend, ...stepEnv } = base.env;
  let env: Record<string, string> = stepEnv;
  if (inputs.restrictHost) env = { ...env, MUSTER_RESTRICT_HOST: "1" };
  if (inputs.ciGroups) env = { ...env, MUSTER_CI_LOG_GROUP_ACTIVE: "1", ATMOS_CI_LOG_GROUP_ACTIVE: "1" };
  const identity = inputs.identity || base.env.ATMOS_IDENTITY;
  const ctx: RunContext = {
    ...base,
    workflow: evaluated,
    env,
    ...(inputs.answers ? { answers: inputs.answers } : {}),
    ...(identity ? { identity } : {}),
    terminal: { stdin: platform.isTerminal(0), stdout: platform.isTerminal(1), stderr: platform.isTerminal(2), columns: platform.columns(2) },
  };
  return { ctx, plan: buildPlan(ctx) };
}
