/**
 * `!env` and `!exec` in prompt fields, evaluated once at the start of a run
 * (Atmos: internal/exec/workflow_step_functions.go). `!env NAME [DEFAULT]`
 * is the variable, else the default, else empty; `!exec COMMAND` is the
 * command's stdout (through `sh -c`, in the project's base directory, trailing
 * newlines dropped). An `!exec` output that is JSON is decoded as Atmos does:
 * a JSON string gives its text, a number or boolean its text, a list or map
 * is refused (a prompt field is one string). Any other text is kept as written.
 * @module
 */
import { MusterError } from "../errors.ts";
import { EXIT_FAILURE } from "../exit-codes.ts";
import { kindOfStep } from "../steps/index.ts";
import { splitShellWords } from "../util/shell-words.ts";
import type { StepBase, Workflow } from "../workflow/types.ts";
import { lazy } from "../util/lazy.ts";

// Loaded by the first `!exec` (once): most runs have none.
const runProcessModule = lazy(() => import("../engine/run-process.ts"));
const cancellationModule = lazy(() => import("../engine/cancellation.ts"));

/** Where functions run. */
export interface FunctionScope {
  env: Record<string, string>;
  /** `!exec` commands run here. */
  cwd: string;
  shell: string[];
}

const tagged = (text: string, tag: string) => text === tag || text.startsWith(`${tag} `) || text.startsWith(`${tag}\n`);

/**
 * The workflow with the `!env`/`!exec` values of its steps evaluated (the
 * same workflow when it has none).
 *
 * @example
 * ```ts
 * // default: !env STAGE dev
 * const ready = await evaluateStepFunctions(workflow, { env: { STAGE: "prod" }, cwd, shell: ["sh", "-c"] });
 * ```
 */
export async function evaluateStepFunctions(workflow: Workflow, scope: FunctionScope): Promise<Workflow> {
  let changed = false;
  const steps: StepBase[] = [];
  for (const step of workflow.steps) {
    const kind = kindOfStep(step);
    if (!kind.functions) {
      steps.push(step);
      continue;
    }
    steps.push(await kind.functions(step, async (text, field) => {
      if (!tagged(text, "!env") && !tagged(text, "!exec")) return text;
      changed = true;
      try {
        return tagged(text, "!env") ? envFunction(text.slice(4).trim(), scope.env) : await execFunction(text.slice(5).trim(), scope);
      } catch (error) {
        throw new MusterError(`workflow "${workflow.name}", step "${step.name}", ${field}: ${(error as Error).message}`, EXIT_FAILURE);
      }
    }));
  }
  return changed ? { ...workflow, steps } : workflow;
}

/** `!env NAME [DEFAULT]`. */
function envFunction(args: string, env: Record<string, string>): string {
  const words = splitShellWords(args);
  if (words.length === 0 || words.length > 2) throw new Error(`!env ${args}: expected a variable name and an optional default (!env NAME [DEFAULT])`);
  return env[words[0]!] ?? words[1] ?? "";
}

/** `!exec COMMAND`. */
async function execFunction(command: string, scope: FunctionScope): Promise<string> {
  if (command === "") throw new Error("!exec needs a command (!exec COMMAND)");
  const { runProcess } = await runProcessModule();
  const { Cancellation } = await cancellationModule();
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const outcome = await runProcess([...scope.shell, command], {
    cwd: scope.cwd,
    env: scope.env,
    stdin: "null",
    stdout: (chunk) => void out.push(chunk),
    stderr: (chunk) => void err.push(chunk),
    graceMs: 1000,
    cancellation: new Cancellation(),
  });
  const text = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));
  if (outcome.code !== 0) {
    const why = text(err).trim().split("\n").pop() ?? "";
    throw new Error(`!exec ${JSON.stringify(command)} failed with exit code ${outcome.code}${why ? `: ${why}` : ""}`);
  }
  const output = text(out).replace(/\n+$/, "");
  let decoded: unknown = output;
  try {
    decoded = JSON.parse(output);
  } catch {
    return output;
  }
  if (typeof decoded === "string" || typeof decoded === "number" || typeof decoded === "boolean") return String(decoded);
  throw new Error(`!exec ${JSON.stringify(command)} printed JSON ${decoded === null ? "null" : Array.isArray(decoded) ? "list" : "map"} (expected one string for a prompt field)`);
}
