/**
 * Storing what steps leave for later ones: a succeeded step's result and
 * its `outputs` in `.steps.NAME`, a `type: env` step's variables in the
 * run's environment. Results are stored only on success, as in Atmos.
 * @module
 */
import type { PlannedStep, StepOutcome } from "../steps/kind.ts";
import { renderTemplate, TemplateError } from "../template/index.ts";
import type { RunContext } from "../workflow/run-context.ts";
import { resultOf, type RunState } from "../workflow/run-state.ts";
import { ResultCapture } from "../engine/result-capture.ts";

/**
 * Keeps results for one run.
 *
 * @example
 * ```ts
 * const keeper = new ResultKeeper(run, state, new Set(["version"]));
 * keeper.captureFor(planned); // a ResultCapture when a template reads .steps.version
 * ```
 */
export class ResultKeeper {
  #run: RunContext;
  #state: RunState;
  #readers: Set<string> | "all";

  constructor(run: RunContext, state: RunState, readers: Set<string> | "all") {
    this.#run = run;
    this.#state = state;
    this.#readers = readers;
  }

  /** A capture for the step's output when something reads its result (a later template or its own `outputs`). */
  captureFor(planned: PlannedStep): ResultCapture | undefined {
    const read = this.#readers === "all" || this.#readers.has(planned.name) || this.#readers.has(planned.step.name);
    if (!read && Object.keys(planned.step.outputs).length === 0) return undefined;
    return ResultCapture.forRun(this.#run.env);
  }

  /**
   * Stores the result of a step that succeeded: its value, its `outputs`
   * (rendered once, against its own result) and a `type: env` step's
   * variables. Returns why it could not, which fails the step; nothing is
   * stored then.
   */
  settle(planned: PlannedStep, outcome: StepOutcome): string | undefined {
    const value = outcome.value ?? { value: "", values: [], metadata: {} };
    const outputs: Record<string, string> = {};
    const templates = Object.entries(planned.step.outputs);
    // The step's own result is the root, beside the run's data.
    const data = templates.length > 0 ? { ...this.#state.templateData(planned.name, undefined, planned.matrix), ...resultOf(value, {}) } : {};
    for (const [name, text] of templates) {
      try {
        outputs[name] = renderTemplate(text, data, { env: this.#run.env });
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        const at = planned.step.sourceOf(["outputs", name], error.offset);
        return `${at.file}:${at.line}:${at.col}: output "${name}": ${error.message}`;
      }
    }
    this.#state.store(planned.name, value, outputs);
    if (outcome.env) this.#state.setEnv(outcome.env.vars, outcome.env.export);
    return undefined;
  }

  /**
   * Under `--dry-run`, a step that was not run (and a group's children)
   * stores an empty result with an empty string for each declared output,
   * so that later steps that do run can still render their templates.
   */
  settleDry(planned: PlannedStep): void {
    const empty = { value: "", values: [], metadata: {} };
    const outputs = Object.fromEntries(Object.keys(planned.step.outputs).map((name) => [name, ""]));
    this.#state.store(planned.name, empty, outputs);
    const children = (planned.resolved as { children?: PlannedStep[] } | undefined)?.children;
    for (const child of children ?? []) this.settleDry(child);
  }
}
