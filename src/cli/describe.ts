/**
 * `muster describe <name> [-f FILE] [--json]`: the resolved plan.
 * @module
 */
import { defineCommand } from "citty";
import { EXIT_OK } from "../exit-codes.ts";
import { planJson, renderPlanText } from "../output/plan-view.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { findWorkflow } from "../load/discover.ts";
import { buildPlan } from "../load/plan.ts";
import { dirArg, fileArg, jsonArg, loadProject, parseVars } from "./common.ts";
import { runContext, stackArg, varArg } from "./run-context.ts";
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
    const ctx = runContext(project, workflow, args.stack, parseVars(rawArgs), file.path);
    // Templates that cannot be resolved yet are shown, not fatal: describe works before every --var is known.
    const plan = buildPlan(ctx);
    if (args.json) await stdout.write(`${JSON.stringify(planJson(plan, file.display, ctx.stackFlag), null, 2)}\n`);
    else await stdout.write(renderPlanText(plan, file.display));
    return EXIT_OK;
  },
});
