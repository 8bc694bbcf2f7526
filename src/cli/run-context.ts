/**
 * Building the {@linkcode RunContext} shared by `workflow` and `describe`.
 * @internal
 * @module
 */
import type { Project } from "../load/discover.ts";
import type { RunContext } from "../workflow/run-context.ts";
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
