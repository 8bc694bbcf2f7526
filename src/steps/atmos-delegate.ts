/**
 * Step types that belong to Atmos itself (`emulator`, `store`, `tflint`)
 * and have an `atmos` command that does the same work: muster runs that
 * command (the `atmos` on PATH, or `ATMOS_BIN`), streaming its output like
 * an `atmos` step, and stores what Atmos' own handler stores. Each type's
 * file says which command it runs.
 * @module
 */
import type * as v from "valibot";
import { EXIT_OK } from "../exit-codes.ts";
import { shellQuote } from "../util/shell-words.ts";
import type { StepValue } from "../workflow/run-state.ts";
import type { StepBase } from "../workflow/types.ts";
import type { BuildContext, StepKind } from "./kind.ts";
import { defineKind, type FieldsOf } from "./define-kind.ts";
import { LEAF } from "./behaviours.ts";
import { type MessageStep, messageParts } from "./message.ts";
import { planRunFields, type ProcessPlan, processViewText, runFieldTemplates, runPlannedProcess } from "./process.ts";
import { runFields } from "./schema.ts";

/** A delegated step: its templated texts (keyed by field path) and its environment. */
export interface DelegatedStep extends MessageStep {
  env: Record<string, string>;
  stack?: string;
  workingDirectory?: string;
}

/** A delegated step, planned: the atmos command, and its texts for the result. */
export interface DelegatedPlan extends ProcessPlan {
  texts: Record<string, string>;
  stdinText?: string;
}

/** What a delegated type's `texts` receives: the run fields and its own, validated. */
export type DelegatedFields<E extends v.ObjectEntries> = FieldsOf<typeof runFields> & FieldsOf<E>;

/** What makes one delegated type. */
export interface DelegateSpec<E extends v.ObjectEntries> {
  type: string;
  summary: string;
  /** The type's own fields (the run fields, `stack`, `env`, `working_directory`, are added). */
  fields: E;
  /** Checks and picks the templated texts from the validated fields (undefined after a report). */
  texts(fields: DelegatedFields<E>, ctx: BuildContext): Record<string, string> | undefined;
  /** The atmos arguments (and text for its stdin) from the rendered texts and the step's stack. */
  command(texts: Record<string, string>, stack: string | undefined): { args: string[]; stdin?: string };
  /** What `.steps.NAME` holds after success. */
  result(texts: Record<string, string>, stack: string | undefined): StepValue;
  /** Keys of the result's metadata. */
  produces: readonly string[];
}

/**
 * Builds the kind of a type that runs an atmos command.
 *
 * @example
 * ```ts
 * export const emulator = atmosDelegate({ type: "emulator", command: (t, stack) => ({ args: ["emulator", t.action!, t.component!, ...(stack ? ["-s", stack] : [])] }), ... });
 * ```
 */
export function atmosDelegate<E extends v.ObjectEntries>(spec: DelegateSpec<E>): StepKind<DelegatedStep, DelegatedPlan> {
  const parts = messageParts<DelegatedStep>(spec.type);
  return defineKind({
    type: spec.type,
    summary: spec.summary,
    behaviours: { ...LEAF, concurrent: false, usesStreams: true },
    produces: spec.produces,
    fields: () => ({ ...runFields, ...spec.fields }),
    build(parsed, base: StepBase, ctx) {
      // The output of `runFields` plus the type's entries: TypeScript does not split a generic intersection's output by itself, so it is named here, once.
      const fields = parsed as DelegatedFields<E>;
      const texts = spec.texts(fields, ctx);
      if (!texts) return undefined;
      return { ...base, type: spec.type, texts, env: fields.env, stack: fields.stack, workingDirectory: fields.working_directory };
    },
    templates: (step) => [...parts.templates(step), ...runFieldTemplates(step)],
    plan(step, scope) {
      const { env, cwd } = planRunFields(step, scope);
      const { texts } = parts.plan(step, scope);
      const { args, stdin } = spec.command(texts, scope.stack);
      const argv = [scope.run.atmosBin, ...args];
      return { stack: scope.stack, command: args.map(shellQuote).join(" "), argv, cwd, env, texts, stdinText: stdin };
    },
    describe: (planned) => `$ atmos ${planned.resolved.command}`,
    view: (planned) => ({ name: planned.name, type: spec.type, ...planned.resolved.texts, stack: planned.resolved.stack, argv: planned.resolved.argv, cwd: planned.resolved.cwd }),
    viewText: processViewText,
    async run(planned, ctx) {
      const outcome = await runPlannedProcess(planned, ctx);
      if (outcome.status !== "succeeded" || outcome.exitCode !== EXIT_OK) return outcome;
      const value = spec.result(planned.resolved.texts, planned.resolved.stack);
      const captured = outcome.value?.metadata ?? {};
      return { ...outcome, value: { ...value, metadata: { ...captured, ...value.metadata } } };
    },
  });
}
