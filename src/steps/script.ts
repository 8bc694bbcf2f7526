/**
 * `type: script`: runs `script` with `interpreter`, passing it as Atmos does
 * (pkg/process/script.go): python/python2/python3 and unknown interpreters
 * read it from stdin (`<i> -`), node gets `-e`, bash/dash/ksh/sh/zsh get
 * `-c`, pwsh/powershell read it from stdin after `-NoProfile
 * -NonInteractive -Command -`, cmd gets `/S /C`. `command` is refused.
 *
 * `output` (Atmos' modes, src/steps/output-mode.ts): `log` is a script's
 * default, as in Atmos; the renderers apply the mode. Stores the stdout
 * (untrimmed), with `stdout`, `stderr`, `exit_code`. No retry, as in Atmos.
 * @module
 */
import * as v from "valibot";
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_OK } from "../exit-codes.ts";
import { SpawnError } from "../platform/index.ts";
import { expect, nonEmpty, str } from "../workflow/schema.ts";

import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF } from "./behaviours.ts";
import { capturedValue, containerOf, planRunFields, planSandbox, runStepProcess, PROCESS_RESULT_KEYS, type ProcessPlan, runFieldsOf, type RunFieldsStep, runFieldTemplates } from "./process.ts";
import { runFields } from "./schema.ts";
import { dialectOf } from "../shell/dialect.ts";
import { DATA_VARIABLE_PREFIX } from "../shell/render-code.ts";
import { shellQuote } from "../util/shell-words.ts";
import { lazy } from "../util/lazy.ts";

// Loaded on first use (once): `validate`, `describe` and runs that never reach this code do not load them.
const resultCaptureModule = lazy(() => import("../engine/result-capture.ts"));

/** A script step. */
export interface ScriptStep extends RunFieldsStep {
  type: "script";
  interpreter: string;
  script: string;
}

/** A script step, planned: the argv, and the text sent to stdin when the interpreter reads the script there. */
export interface ScriptPlan extends ProcessPlan {
  stdinText?: string;
}

/**
 * The argv (and stdin) that runs `script` with `interpreter`, as Atmos builds them.
 *
 * @example
 * ```ts
 * scriptArgv("python3", "print(1)"); // { argv: ["python3", "-"], stdin: "print(1)" }
 * scriptArgv("bash", "echo hi"); // { argv: ["bash", "-c", "echo hi"] }
 * ```
 */
export function scriptArgv(interpreter: string, script: string): { argv: string[]; stdin?: string } {
  const [program = interpreter, ...args] = interpreter.trim().split(/\s+/);
  const name = program.split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, "");
  const head = [program, ...args];
  if (["python", "python2", "python3"].includes(name)) return { argv: [...head, "-"], stdin: script };
  if (name === "node" || name === "nodejs") return { argv: [...head, "-e", script] };
  if (["bash", "dash", "ksh", "sh", "zsh"].includes(name)) return { argv: [...head, "-c", script] };
  if (name === "pwsh" || name === "powershell") return { argv: [...head, "-NoProfile", "-NonInteractive", "-Command", "-"], stdin: script };
  if (name === "cmd") return { argv: [...head, "/S", "/C", script] };
  return { argv: [...head, "-"], stdin: script };
}

/** The script step kind. */
export const script: StepKind<ScriptStep, ScriptPlan> = defineKind({
  type: "script",
  summary: "Run a script with an interpreter (python, node, bash, ...)",
  // A child of parallel/matrix too, as Atmos allows (S/task_validate.go), though its docs list only shell, atmos, sleep.
  behaviours: { ...LEAF, retry: false },
  produces: PROCESS_RESULT_KEYS,
  refuse: (raw) => ("command" in raw ? { key: "command", text: `"command" is not allowed on a script step (expected the code in "script" and the program in "interpreter")` } : undefined),
  fields: () => ({
    ...runFields,
    interpreter: nonEmpty,
    script: str,
    container: v.optional(v.unknown()),
  }),
  build(fields, base, ctx) {
    const container = containerOf(fields.container, ctx);
    if (!container) return undefined;
    return {
      ...base,
      type: "script",
      ...runFieldsOf(fields),
      ...container,
      interpreter: fields.interpreter,
      script: fields.script,
    };
  },
  templates: (step) => [
    { field: "interpreter", path: ["interpreter"], text: step.interpreter },
    // A templated interpreter is known only once rendered: the run checks that script then.
    { field: "script", path: ["script"], text: step.script, code: step.interpreter.includes("{{") ? "argv" : dialectOf(step.interpreter) },
    ...runFieldTemplates(step),
  ],
  plan(step, scope) {
    const { env, cwd } = planRunFields(step, scope);
    const interpreter = scope.render({ field: "interpreter", path: ["interpreter"], text: step.interpreter });
    const rendered = scope.renderCode({ field: "script", path: ["script"], text: step.script, code: dialectOf(interpreter) }, env);
    const { argv, stdin } = scriptArgv(interpreter, rendered.text);
    return { stack: scope.stack, command: rendered.text, display: rendered.display, argv, cwd, env: { ...env, ...rendered.env }, stdinText: stdin, sandbox: planSandbox(step, scope, cwd) };
  },
  describe: (planned) => `${planned.resolved.argv[0]} script (${planned.resolved.command.split("\n").length} lines)`,
  view: (planned) => ({ name: planned.name, type: "script", argv: planned.resolved.argv, stdin: planned.resolved.stdinText, cwd: planned.resolved.cwd, env: planned.resolved.env }),
  viewText: (planned) => ({
    head: `script, ${planned.step.interpreter}, output ${planned.step.presentation?.output ?? "log"}`,
    lines: [
      ...planned.resolved.command.split("\n").map((line) => `| ${line}`),
      // The values the script refers to: what it will see, exactly.
      ...Object.entries(planned.resolved.env).filter(([key]) => key.startsWith(DATA_VARIABLE_PREFIX)).map(([key, value]) => `${key}=${shellQuote(value)}`),
    ],
  }),
  async run(planned, ctx) {
    const { ResultCapture } = await resultCaptureModule();
    const r = planned.resolved;
    const capture = ResultCapture.forRun(ctx.run.env);
    // The output goes out as it comes: the renderers show it per the step's output mode (log by default).
    const forward = (stream: 1 | 2) => (data: Uint8Array) => {
      capture.append(stream, data);
      return ctx.write(stream, data);
    };
    let outcome;
    try {
      outcome = await runStepProcess(planned, ctx, { stdout: forward(1), stderr: forward(2), stdin: "null" });
    } catch (error) {
      if (error instanceof SpawnError) {
        return { status: "failed", exitCode: error.code === "ENOENT" ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, error: `interpreter ${JSON.stringify(r.argv[0])}: ${error.message}` };
      }
      throw error;
    }
    if (outcome.canceled) return { status: "canceled", exitCode: outcome.code };
    if (outcome.code !== EXIT_OK) return { status: "failed", exitCode: outcome.code };
    return { status: "succeeded", exitCode: EXIT_OK, value: await capturedValue(capture, ctx, planned.name, { trim: false }) };
  },
});

