/**
 * What a run knows that grows as steps finish: each succeeded step's result
 * (`.steps.NAME`), the variables `type: env` steps set (`.env`, and the
 * process environment when exported). Templates are rendered against it
 * immediately before each step.
 * @module
 */
import type { TemplateData } from "../template/index.ts";
import type { MatrixCombination } from "./types.ts";

/** What a step stores when it succeeds, before `outputs` are computed. */
export interface StepValue {
  /** The step's main value (a shell step's trimmed stdout). */
  value: string;
  /** Several values (a multi-select prompt), else empty. */
  values: string[];
  /** Everything else the step reports (`stdout`, `stderr`, `exit_code`); also flattened into the result. */
  metadata: Record<string, unknown>;
}

/** `.steps.NAME`: Atmos' result model. */
export type StoredResult = Record<string, unknown> & {
  value: string;
  values: string[];
  metadata: Record<string, unknown>;
  outputs: Record<string, string>;
  skipped: boolean;
  error: string;
};

/** The roots every template sees, whatever the run (`describe` prints them). */
export const TEMPLATE_ROOTS = ["steps", "env", "Env", "flags", "Flags", "vars", "stack", "workflow", "step", "matrix"] as const;

/**
 * The state of one run.
 *
 * @example
 * ```ts
 * const state = new RunState({ HOME: "/root" }, { region: "eu" }, "deploy");
 * state.store("version", { value: "1.2.3", values: [], metadata: {} }, {});
 * state.templateData("next", "dev").steps; // { version: { value: "1.2.3", ... } }
 * ```
 */
export class RunState {
  /** `.steps`: results of succeeded steps by name. */
  readonly steps: Record<string, StoredResult> = {};
  /** `.env`: muster's environment plus what `type: env` steps set. */
  env: Record<string, string>;
  /** What exported `type: env` steps add to later steps' processes. */
  exported: Record<string, string> = {};
  readonly #vars: Record<string, string>;
  readonly #workflow: string;

  constructor(env: Record<string, string>, vars: Record<string, string>, workflow: string) {
    this.env = { ...env };
    this.#vars = vars;
    this.#workflow = workflow;
  }

  /** Records a succeeded step's result under `name` (a later step of the same name replaces it, as in Atmos). */
  store(name: string, value: StepValue, outputs: Record<string, string>): StoredResult {
    const result = resultOf(value, outputs);
    this.steps[name] = result;
    return result;
  }

  /** Applies a `type: env` step: visible to later templates, and to later processes when exported. */
  setEnv(vars: Record<string, string>, exported: boolean): void {
    this.env = { ...this.env, ...vars };
    if (exported) this.exported = { ...this.exported, ...vars };
  }

  /**
   * The data a step's templates see. Atmos' roots: `.steps`, `.env`/`.Env`,
   * `.flags`/`.Flags` (`stack`); muster's: `.vars`, `.stack`,
   * `.workflow.name`, `.step.name` and, in a matrix, `.matrix`.
   */
  templateData(name: string, stack: string | undefined, matrix?: MatrixCombination, envOverlay?: Record<string, string>): TemplateData {
    const env = envOverlay ? { ...this.env, ...envOverlay } : this.env;
    const flags = { stack: stack ?? "" };
    return {
      steps: this.steps,
      env,
      Env: env,
      flags,
      Flags: flags,
      vars: this.#vars,
      stack: stack ?? "",
      workflow: { name: this.#workflow },
      step: { name },
      ...(matrix ? { matrix } : {}),
    };
  }
}

/**
 * A stored result: Atmos' fields plus every metadata key flattened
 * (`.steps.x.stdout` is `.steps.x.metadata.stdout`); the fixed fields win
 * over metadata of the same name.
 */
export function resultOf(value: StepValue, outputs: Record<string, string>): StoredResult {
  return { ...value.metadata, value: value.value, values: value.values, metadata: value.metadata, outputs, skipped: false, error: "" };
}
