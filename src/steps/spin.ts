/**
 * `type: spin`: runs `command` (`sh -c`) with its output captured, not
 * shown, and reports one line: `✓ title` on stderr when it succeeds. While
 * it runs, muster's live status line shows it on a terminal (without one,
 * nothing until it ends). A non-zero exit fails the step with the last
 * lines of its stderr. `timeout` bounds it. Stores the stdout (untrimmed),
 * with `stdout`, `stderr` and `exit_code`.
 * @module
 */
import { EXIT_OK } from "../exit-codes.ts";
import { str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { always, LEAF } from "./behaviours.ts";
import { say } from "./message.ts";
import { capturedValue, type CommandStep, planShellCommand, PROCESS_RESULT_KEYS, type ProcessPlan, processView, processViewText, runFieldsOf, shellCommandTemplates } from "./process.ts";
import { runFields } from "./schema.ts";

/** A spin step. */
export interface SpinStep extends Omit<CommandStep, "type"> {
  type: "spin";
  title: string;
}

/** A spin step, planned. */
export interface SpinPlan extends ProcessPlan {
  title: string;
}

/** The spin step kind. */
export const spin: StepKind<SpinStep, SpinPlan> = defineKind({
  type: "spin",
  summary: "Run a command quietly and report one line (stderr)",
  behaviours: { ...LEAF, retry: false, concurrent: false },
  quietStart: always,
  produces: PROCESS_RESULT_KEYS,
  fields: () => ({ ...runFields, title: str, command: str }),
  build: (fields, base) => ({ ...base, type: "spin", ...runFieldsOf(fields), title: fields.title, command: fields.command }),
  templates: (step) => [
    { field: "title", path: ["title"], text: step.title },
    ...shellCommandTemplates(step),
  ],
  plan: (step, scope) => ({ ...planShellCommand(step, scope), title: scope.render({ field: "title", path: ["title"], text: step.title }) }),
  describe: (planned) => planned.resolved.title,
  view: (planned) => ({ name: planned.name, type: "spin", title: planned.resolved.title, ...processView(planned) }),
  viewText: (planned) => ({ ...processViewText(planned), head: `spin "${planned.resolved.title}"` }),
  async run(planned, ctx) {
    const { runProcess } = await import("../engine/run-process.ts");
    const { ResultCapture } = await import("../engine/result-capture.ts");
    const r = planned.resolved;
    const capture = ResultCapture.forRun(ctx.run.env);
    const outcome = await runProcess(r.argv, {
      cwd: r.cwd,
      env: await (await import("../engine/identity.ts")).processEnv(planned.step, r.env, ctx.run, ctx.cancellation, ctx.identities),
      stdout: (data) => capture.append(1, data),
      stderr: (data) => capture.append(2, data),
      stdin: "null",
      graceMs: ctx.graceMs,
      cancellation: ctx.cancellation,
    });
    if (outcome.canceled) return { status: "canceled", exitCode: outcome.code };
    if (outcome.code !== EXIT_OK) {
      const tail = capture.text(2).trimEnd().split("\n").slice(-5).join("\n");
      return { status: "failed", exitCode: outcome.code, error: `${r.title}: exit code ${outcome.code}${tail ? `\n${tail}` : ""}` };
    }
    await say(ctx, 2, `✓ ${r.title}`);
    return { status: "succeeded", exitCode: EXIT_OK, value: await capturedValue(capture, ctx, planned.name, { trim: false }) };
  },
});
