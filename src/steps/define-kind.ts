/**
 * `defineKind`: writes a step kind whose `build` receives its own fields
 * typed as the schema produces them, so no kind casts its fields back (a
 * cast is where a schema and the model it builds drift apart unseen).
 * @module
 */
import type * as v from "valibot";
import type { Behaviours, BuildContext, StepKind } from "./kind.ts";
import { lazy } from "../util/lazy.ts";
import type { StepBase } from "../workflow/types.ts";

/** What `build` receives for entries `E`: the schema's output (defaults applied, transforms run). */
export type FieldsOf<E> = E extends v.ObjectEntries ? v.InferOutput<v.StrictObjectSchema<E, undefined>> : never;

/** Entries, or a function returning them: a kind whose entries read modules of a circle gives a function, read when the schema is first built. */
export type Entries<E extends v.ObjectEntries> = E | (() => E);

/**
 * A kind as it is written: the contract, with its fields given as entries
 * and `build` typed by them. `S` (the step) and `R` (the plan) come from the
 * type the result is assigned to, never from the hooks, so a hook cannot
 * widen them by accident.
 */
export type KindSpec<T extends v.ObjectEntries, C extends v.ObjectEntries, S extends StepBase, R> = Omit<StepKind<NoInfer<S>, NoInfer<R>>, "fields" | "build" | "behaviours"> & {
  /** Start from `LEAF` or `GROUP` (`./behaviours.ts`) and say how the kind differs; what depends on the step is a hook (`gates`, `quietStart`). */
  readonly behaviours: Omit<Behaviours, "gated">;
  /** The kind's own fields (valibot entries, defaults inside), at the top of a workflow and, unless `childFields` says otherwise, inside a group. */
  readonly fields: Entries<T>;
  /** The fields inside `parallel`/`matrix`, when they differ: `build` then receives either output and tells them apart. */
  readonly childFields?: Entries<C>;
  /** Builds the step from its validated fields; semantic checks report through `ctx` and return undefined. */
  build(fields: FieldsOf<T> | FieldsOf<C>, base: StepBase, ctx: BuildContext): NoInfer<S> | undefined;
};

/**
 * Defines a step kind. The step and plan types are those of the variable
 * (or return type) it is assigned to; the fields' type is the schema's.
 *
 * @example
 * ```ts
 * export const sleep: StepKind<SleepStep, SleepPlan> = defineKind({
 *   type: "sleep",
 *   fields: { duration: v.optional(duration) },
 *   build: (fields, base) => ({ ...base, type: "sleep", durationMs: fields.duration ?? 1000 }), // fields.duration: number | undefined
 *   ...
 * });
 * ```
 */
export function defineKind<T extends v.ObjectEntries, C extends v.ObjectEntries = T, S extends StepBase = StepBase, R = unknown>(spec: KindSpec<T, C, S, R>): StepKind<S, R> {
  const { fields, childFields, ...rest } = spec;
  const top = typeof fields === "function" ? fields : () => fields;
  const child = childFields === undefined ? top : typeof childFields === "function" ? childFields : () => childFields;
  return {
    ...rest,
    fields: (placement) => (placement === "child" ? child() : top()),
    // The parser hands `build` the output of this kind's schema at the step's placement (`src/steps/schema.ts`).
    build: (parsed, base, ctx) => spec.build(parsed as FieldsOf<T> | FieldsOf<C>, base, ctx),
  } as StepKind<S, R>;
}

/**
 * A kind's runner kept in a module of its own (`x.run.ts`, exporting `run`),
 * imported on the first run, once: the kind file stays cheap to import,
 * and the runner imports what it needs statically.
 *
 * @example
 * ```ts
 * run: runFrom(() => import("./archive.run.ts")),
 * ```
 */
export function runFrom<S extends StepBase, R>(load: () => Promise<{ run: StepKind<S, R>["run"] }>): StepKind<S, R>["run"] {
  const runner = lazy(load);
  return async (planned, ctx) => (await runner()).run(planned, ctx);
}
