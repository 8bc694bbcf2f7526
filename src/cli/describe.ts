/**
 * `muster describe <name> [-f FILE] [--json]`: the resolved plan.
 * @module
 */
import { defineCommand } from "./command.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { planJson, renderPlanText } from "../output/plan-view.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { findWorkflow } from "../load/discover.ts";
import { detectCi } from "../output/ci/providers.ts";
import { platform } from "../platform/index.ts";
import { dirArg, fileArg, jsonArg, loadProject, parseVars, varsFromEnv } from "./common.ts";
import { prepareRun, stackArg, varArg } from "./run-context.ts";
import { SUMMARIES } from "./summaries.ts";

export default defineCommand({
  meta: { name: "describe", description: SUMMARIES.describe },
  args: {
    name: { type: "positional", description: "Workflow name", required: true },
    file: fileArg, dir: dirArg, stack: stackArg, var: varArg, json: jsonArg,
  },
  async run({ args, rawArgs }) {
    const project = await loadProject(args.dir);
    const { file, workflow, warnings } = await findWorkflow(project, args.name, args.file);
    for (const warning of warnings) await stderr.write(`! ${warning}\n`);
    // The run builder of `workflow` and `--dry-run`: the same vars, !env/!exec, identity and environment, so the plans agree.
    const ci = args.json ? undefined : detectCi(platform.env(), undefined, project.ci);
    const vars = { ...varsFromEnv(platform.env()), ...parseVars(rawArgs) };
    // Templates that cannot be resolved yet are shown, not fatal: describe works before every --var is known.
    const { ctx, plan } = await prepareRun(project, workflow, file.path, { stack: args.stack, vars, ciGroups: Boolean(ci?.groups) });
    if (args.json) await stdout.write(`${JSON.stringify(planJson(plan, file.display, ctx.stackFlag), null, 2)}\n`);
    else await stdout.write(renderPlanText(plan, file.display));
    return EXIT_OK;
  },
});
