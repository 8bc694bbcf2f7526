/**
 * What a step type is: one object per type, one file per type under
 * `src/steps/`, written with `defineKind` (`./define-kind.ts`, which types
 * `build`'s fields from the kind's schema), listed in `src/steps/index.ts`. The parser, `validate`,
 * `describe`/`--dry-run`, the pre-run plan and the engine all iterate that
 * list; nothing else switches on a step's type.
 *
 * A kind owns its schema (defaults inside), its semantic checks, the
 * templates it renders, its start line and plan view, flags saying which
 * generic behaviours the engine applies to it (`LEAF`, `GROUP` in
 * `./behaviours.ts` give the usual ones), hooks for what depends on the
 * step, and its runner. A runner's heavy modules load on first use through
 * `lazy` (`src/util/lazy.ts`), declared at the top of the kind's file, so
 * that `--version` and simple runs stay fast.
 * @module
 */
import type * as v from "valibot";
import type { Cancellation } from "../engine/cancellation.ts";
import type { RunEvent, StepResult } from "../engine/events.ts";
import type { ChunkSink } from "../engine/run-process.ts";
import type { Semaphore } from "../engine/semaphore.ts";
import type { IdentityCache } from "../engine/identity.ts";
import type { DockerClient } from "../docker/client.ts";
import type { ContainerSpec } from "../docker/container-spec.ts";
import type { SandboxPlan } from "./container/fields.ts";
import type { ResultCapture } from "../engine/result-capture.ts";
import type { RunContext } from "../workflow/run-context.ts";
import type { StepValue } from "../workflow/run-state.ts";
import type { TemplateData } from "../template/index.ts";
import type { Dialect } from "../shell/dialect.ts";
import type { RenderedCode } from "../shell/render-code.ts";
import type { Inherited, MatrixCombination, StepBase } from "../workflow/types.ts";

/**
 * What the container kinds (and `wait`, `wait-all`, `cancel`, a sandboxed
 * process step) ask of the run's containers. `container/registry.ts`
 * implements it; the contract names only this, not the class.
 */
export interface Containers {
  /** Runs `fn` with the run's Engine API client; a failure that is not muster's own becomes an `EngineError` naming `step`. */
  withEngine<T>(step: string, fn: (docker: DockerClient) => Promise<T>): Promise<T>;
  /** Runs a shell or script step's argv inside its sandbox. */
  sandboxExec(
    plan: SandboxPlan,
    run: { argv: string[]; env: Record<string, string>; cwd: string; stdinText?: string; step: string },
    out: { stdout: (data: Uint8Array) => void | Promise<void>; stderr: (data: Uint8Array) => void | Promise<void> },
    cancellation: Cancellation,
  ): Promise<{ code: number; canceled: boolean }>;
  /** The run's environment now: muster's own plus what exported `type: env` steps set (registry credentials, the engine's address). */
  env(): Record<string, string>;
  /** Runs a `run` container step: in the foreground, or started as a background service. */
  run(name: string, spec: ContainerSpec, background: boolean, ctx: StepContext): Promise<StepOutcome>;
  /** A `wait` (named services) or `wait-all` (`names` undefined) step. */
  wait(names: string[] | undefined, forStep: string, cancellation?: Cancellation): Promise<StepOutcome>;
  /** A `cancel` step: stops and removes the named services. */
  cancel(names: string[]): Promise<StepOutcome>;
}

/** A path inside a step's YAML map, such as `["with", "ports", 0]`. */
export type FieldPath = ReadonlyArray<string | number>;

/** Which of the engine's generic behaviours apply to a kind. */
export interface Behaviours {
  /** `timeout:` is accepted, and the engine bounds each attempt with it. */
  timeout: boolean;
  /** `retry:` is accepted, and the engine retries failed attempts. */
  retry: boolean;
  /** The kind may be a child of `parallel`/`matrix`. */
  concurrent: boolean;
  /** The step needs a terminal (prompts). */
  interactive: boolean;
  /** The step talks to the Docker engine: the run connects to it and prunes orphans first. */
  usesEngine: boolean;
  /** The step runs processes on the streams it is handed: at the top level, the terminal itself. */
  usesStreams: boolean;
  /** The step runs children of its own (`parallel`, `matrix`): renderers show those, not the step. */
  hasChildren: boolean;
  /** The step takes over the end of the run (`exec`): it must be the last step, and background services are torn down before it starts. */
  teardownFirst?: boolean;
  /** The step runs under `--dry-run`, as in Atmos (messages, env, http); others are shown as not run. */
  dryRun?: boolean;
}

/** Where a step is written: at the top of a workflow, or as a child of a group. */
export type Placement = "top" | "child";

/** What a kind's `build` gets from the parser. */
export interface BuildContext {
  /** `workflow "w", step "s"`: the prefix of every message about this step. */
  where: string;
  /** Reports a problem at `path` (relative to the step); `where` replaces the step's own prefix. */
  report(path: FieldPath, text: string, part?: "key" | "value", where?: string): void;
  /** Warns about `path` (relative to the step): accepted as Atmos accepts it, but probably not meant. */
  warn(path: FieldPath, text: string, part?: "key" | "value"): void;
  /** Validates `value` (at `path`, relative to the step) against `schema`; reports problems and returns undefined when invalid. */
  check<S extends v.GenericSchema>(schema: S, value: unknown, path: FieldPath): v.InferOutput<S> | undefined;
  /** Builds the children of a group (`steps:`), reporting their problems. */
  children(raw: unknown[]): StepBase[] | undefined;
}

/** A field of a step that holds a template. */
export interface TemplateField {
  /** `command`, `env.TOKEN`, `output.prefix`. */
  field: string;
  /** Where it is written, relative to the step (or to `owner`). */
  path: FieldPath;
  text: string;
  /** The step the field is written on, when not the step being planned (a group's `output.prefix`). */
  owner?: StepBase;
  /** Where `text` starts inside the field's value (a word of a command), or -1 when unknown; 0 by default. */
  textOffset?: number;
  /** `shell` for text that becomes shell code or command words: `quote`/`squote` then quote for sh. */
  quoteStyle?: "shell";
  /**
   * The language that reads the field (a shell command, a script, command
   * words): values from outside the workflow file are passed to it as data,
   * never as code. Such a field renders only through `PlanScope.renderCode`.
   */
  code?: Dialect;
}

/** What a kind's `plan` gets: the run, the defaults handed down, and a renderer. */
export interface PlanScope {
  run: RunContext;
  /** The name this step is shown and templated as (a matrix child's carries its values). */
  name: string;
  /** Defaults from the workflow (and the group, for children). */
  inherited: Inherited;
  matrix?: MatrixCombination;
  /** The step's effective stack: `-s` > step > group > workflow, rendered. */
  stack?: string;
  /** The data templates see. */
  data: TemplateData;
  /** What exported `type: env` steps set, for the step's processes (between the workflow's env and the step's own). */
  exported: Record<string, string>;
  /**
   * Renders one of the step's templates (a failure is recorded, positioned,
   * and the text returned as written). `envOverlay` is added to `.env` for
   * this field only: a command sees its step's own environment.
   */
  render(field: TemplateField, envOverlay?: Record<string, string>): string;
  /**
   * Renders a command-like field (`field.code` names its language): the
   * file's text stays code, every value from outside becomes a reference to
   * a variable in `env`, which the step adds to its process's environment.
   */
  renderCode(field: TemplateField & { code: Dialect }, envOverlay?: Record<string, string>): RenderedCode;
  /** Plans the children of a group. */
  planChildren(children: ReadonlyArray<ChildToPlan>, inherited: Inherited): Array<{ planned: PlannedStep; scope: PlanScope }>;
}

/** A child of a group, expanded (matrix combinations applied). */
export interface ChildToPlan {
  name: string;
  step: StepBase;
  matrix?: MatrixCombination;
  needs: string[];
}

/** A step with everything it needs resolved: what the engine runs and `describe` shows. */
export interface PlannedStep<S extends StepBase = StepBase, R = unknown> {
  step: S;
  kind: StepKind<S, R>;
  /** The name shown (a matrix child's carries its values). */
  name: string;
  /** Names of group siblings that must succeed first. */
  needs: string[];
  matrix?: MatrixCombination;
  /** What the kind resolved at plan time (a group's includes its planned children). */
  resolved: R;
  /** True when planning failed (the plan's errors say why): `resolved` is not usable. */
  unresolved?: boolean;
  /** Some template was kept as written because it reads what only the run knows: the engine plans the step again just before it runs. */
  deferred?: boolean;
  /** What it was planned from, so the engine can plan it again against the run's state just before it runs. */
  origin: { child: ChildToPlan; inherited: Inherited; where: string };
}

/** A step as `describe --json` shows it. */
export type StepView = { name: string; type: string } & Record<string, unknown>;

/** How one attempt of a step ended, as the kind's runner reports it. */
export interface StepOutcome {
  status: "succeeded" | "failed" | "canceled";
  exitCode: number;
  /** Why it failed, when the exit code alone does not say. */
  error?: string;
  /** The results of a group's children, in definition order. */
  children?: Array<{ name: string; result: StepResult }>;
  /** What the step stores in `.steps.NAME` when it succeeds (an empty value when unset). */
  value?: StepValue;
  /** The step ended the workflow successfully (`type: exit` with code 0): later steps only run if their `when` holds after a stop. */
  endsRun?: boolean;
  /** Variables a `type: env` step sets for the rest of the run. */
  env?: { vars: Record<string, string>; export: boolean };
}

/** What a kind's runner gets from the engine. */
export interface StepContext {
  run: RunContext;
  /** The step's path: `["checks", "lint"]` for a child. */
  path: string[];
  /** Cancels this attempt: Ctrl-C, a group's failure mode, or the step's timeout. */
  cancellation: Cancellation;
  /** How long a signaled process may take to exit before it is killed. */
  graceMs: number;
  /** Where a child process's stdin comes from. */
  stdin: "inherit" | "null";
  /** Where a child process's output goes: the terminal itself, or a sink that emits output events. */
  streams: { stdout: "inherit" | ChunkSink; stderr: "inherit" | ChunkSink };
  /** Reports output the step produces itself (not through a process's inherited streams). */
  write(stream: 1 | 2, data: Uint8Array): void | Promise<void>;
  /** Emits a run event. */
  emit(event: RunEvent): void | Promise<void>;
  /** The run's background services and container steps. */
  services(): Containers;
  /** Caps concurrently running children across the whole run (`--jobs`). */
  jobs?: Semaphore;
  /** The run's Atmos identities, each fetched once under the run's scope. */
  identities?: IdentityCache;
  /** Set when a later template reads this step's result: the step's process output is kept (a bounded tail) as it streams. */
  capture?: ResultCapture;
  /** Runs a planned child step with the generic behaviours (timeout, retry), under `cancellation`. */
  runChild(child: PlannedStep, path: string[], cancellation: Cancellation): Promise<StepResult>;
}

/**
 * One step type.
 *
 * @example
 * ```ts
 * export const sleep: StepKind<SleepStep, { durationMs: number }> = defineKind({
 *   type: "sleep",
 *   summary: "Wait for a duration",
 *   behaviours: LEAF,
 *   fields: { duration: v.optional(duration, 1000) },
 *   build: (fields, base) => ({ ...base, type: "sleep", durationMs: fields.duration }), // a number: no cast
 *   ...
 * });
 * ```
 */
export interface StepKind<S extends StepBase = StepBase, R = unknown> {
  readonly type: string;
  /** Built by muster itself (the `dependencies` group's children), never written by users. */
  readonly internal?: boolean;
  /** One line for help texts and the README. */
  readonly summary: string;
  readonly behaviours: Behaviours;
  /**
   * The kind's own fields (valibot entries, defaults inside). The common
   * ones (`name`, `type`, `when` or `needs`, and `timeout`/`retry` where
   * the behaviours say so) are added by `src/steps/schema.ts`.
   */
  fields(placement: Placement): v.ObjectEntries;
  /** Fields that are refused with a message of their own before the schema runs (`for` on wait-all). */
  refuse?(raw: Record<string, unknown>): { key: string; text: string } | undefined;
  /** Builds the step from its validated fields; semantic checks report through `ctx` and return undefined. */
  build(fields: Record<string, unknown>, base: StepBase, ctx: BuildContext): S | undefined;
  /**
   * Whether this step's own start and end lines are left out: what it prints
   * is its whole report (`toast`, a prompt), or its events report it (a
   * background service's `✓` comes once it is ready). Default: no. Read
   * through `startsQuietly` (`./behaviours.ts`).
   */
  quietStart?(step: S): boolean;
  /**
   * Whether this step waits for started background services to be ready
   * before it starts. Default: yes (`wait`, `cancel`, messages and prompts
   * say no). Read through `waitsForServices` (`./behaviours.ts`).
   */
  gates?(step: S): boolean;
  /**
   * Whether this step attaches to muster's terminal itself (`tty: true` or
   * `interactive: true`): the live status region stays hidden while it
   * runs, whatever happens to its output. Default: no. Read through
   * `attachesTerminal` (`./behaviours.ts`).
   */
  attaches?(step: S): boolean;
  /** How the step takes part in the life of background services, for the workflow's checks. */
  services?: {
    /** The service this step starts, if any. */
    starts?(step: S): string | undefined;
    /** Services this step needs running (wait) or stops (cancel). */
    targets?(step: S): string[];
    /** Whether the targets stop running after this step. */
    stops?: boolean;
  };
  /** Keys the kind puts in its result's metadata (`stdout`, `exit_code`), which `validate` accepts in `.steps.NAME.KEY`. */
  readonly produces?: readonly string[];
  /**
   * Evaluates the step's `!env`/`!exec` values, once, at the start of a run
   * (prompts: Atmos does it for `default`, `prompt`, `placeholder`, `options`).
   */
  functions?(step: S, evaluate: (text: string, field: string) => Promise<string>): Promise<S>;
  /** Why `--answer NAME=answer` cannot be right, known before the run (prompts whose choices are fixed); undefined when it may be. */
  answerProblem?(answer: string, planned: PlannedStep<S, R>): Promise<string | undefined>;
  /** Every template the step renders (so the plan checks them all before anything runs). */
  templates(step: S): TemplateField[];
  /** Resolves the step's templates and defaults. Throws `PlanError` (exit 2) when it cannot. */
  plan(step: S, scope: PlanScope): R;
  /** The detail of the step's start line: `$ atmos terraform plan vpc -s dev`. */
  describe(planned: PlannedStep<S, R>): string;
  /** The step for `describe --json`. */
  view(planned: PlannedStep<S, R>): StepView;
  /** The step for `describe` and `--dry-run`: a head (after `name (`) and lines below it. */
  viewText(planned: PlannedStep<S, R>): { head: string; lines: string[] };
  /** Runs one attempt. Failures are outcomes; a thrown `MusterError` fails the step with its exit code. */
  run(planned: PlannedStep<S, R>, ctx: StepContext): Promise<StepOutcome>;
}

/** Any kind, for lists. */
// deno-lint-ignore no-explicit-any
export type AnyKind = StepKind<any, any>;
