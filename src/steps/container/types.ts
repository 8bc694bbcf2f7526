/**
 * What a container step is, as written and as planned, and what one of its
 * actions (`run`, `build`, `push`, `inspect`) provides: shared by the kind
 * (`../container.ts`), the action table (`actions.ts`) and each action's file.
 * @module
 */
import type * as v from "valibot";
import type { ContainerSpec } from "../../docker/container-spec.ts";
import type { Dialect } from "../../shell/dialect.ts";
import type { StepBase } from "../../workflow/types.ts";
import type { FieldPath, PlanScope, StepContext, StepOutcome } from "../kind.ts";

/** The actions of a container step. */
export type ContainerAction = "run" | "build" | "push" | "inspect";

/** A container step as written: `with:` stays raw (its strings are templates) until it is planned. */
export interface ContainerStep extends StepBase {
  type: "container";
  action: ContainerAction;
  background: boolean;
  /** The step's `env:` (templates). */
  env: Record<string, string>;
  workingDirectory?: string;
  stack?: string;
  with: Record<string, unknown>;
  /** `tty` / `interactive` (foreground `run` only): the container attaches to muster's terminal. */
  terminal?: { tty: boolean; interactive: boolean };
}

/** A `run`, planned: the container, and the step's directory (mounted at the workspace in the foreground). */
export interface RunPlan {
  action: "run";
  background: boolean;
  spec: ContainerSpec;
  cwd: string;
}

/** An image build, planned. */
export interface BuildPlan {
  action: "build";
  /** The context directory (absolute) and the Dockerfile (relative to it, or absolute). */
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  labels: Record<string, string>;
  /** Images whose layers the build may reuse (`cache.from` refs). */
  cacheFrom: string[];
  /** A BuildKit build: run as `docker buildx ...` (buildx.ts) instead of through the Engine API. */
  buildx?: { create?: string[]; args: string[]; env: Record<string, string>; cwd: string; stepEnv: Record<string, string> };
}

/** A push, planned: the image, and the tags it is pushed as (none: as itself). */
export interface PushPlan {
  action: "push";
  image: string;
  tags: string[];
}

/** An inspect, planned. */
export interface InspectPlan {
  action: "inspect";
  image: string;
}

/** Each action's plan, by action. */
export interface PlanOf {
  run: RunPlan;
  build: BuildPlan;
  push: PushPlan;
  inspect: InspectPlan;
}

/** What a container step resolves to. */
export type ContainerPlan = PlanOf[ContainerAction];

/** A problem with a step's `with:` known before anything runs, at a field of the step. */
export interface WithProblem {
  path: FieldPath;
  text: string;
  /** Whether the key or its value is at fault (default: the value). */
  part?: "key" | "value";
  /** Accepted as Atmos accepts it, but probably not meant: a warning, not a refusal. */
  warning?: true;
}

/**
 * One action of a container step, in the kind's table (`actions.ts`): its
 * `with:` schema, the checks `validate` makes on what it parsed, the plan
 * (the rendered `with:` to what runs), the start line, the `describe` view
 * and the runner.
 *
 * @example
 * ```ts
 * export const inspect: ContainerActionKind<InspectWith, InspectPlan> = {
 *   schema: inspectWith,
 *   problems: () => [],
 *   plan: (step, scope) => ({ action: "inspect", image: renderChecked(inspectWith, step.with, ["with"], scope).image }),
 *   describe: (plan) => `inspect ${plan.image}`,
 *   viewText: (plan) => ({ head: "container, inspect", lines: [`image ${plan.image}`] }),
 *   run: (name, plan, ctx) => ctx.services().withEngine(name, (docker) => inspectImage(docker, plan.image, ctx)),
 * };
 * ```
 */
export interface ContainerActionKind<W, P extends ContainerPlan> {
  /** The schema of `with:` (defaults inside; `muster schema` reads it too). */
  readonly schema: v.GenericSchema<unknown, W>;
  /** Problems with the parsed `with:` (`background` as written on the step). */
  problems(w: W, step: { background: boolean; provider?: string }): WithProblem[];
  /** Which `with:` fields are read as code, and by what (none when omitted). */
  codeOf?(step: ContainerStep): (path: FieldPath) => Dialect | undefined;
  /** Renders the step's `with:` and resolves it. Throws `PlanError` (exit 2) when it cannot. */
  plan(step: ContainerStep, scope: PlanScope): P;
  /** The detail of the step's start line. */
  describe(plan: P): string;
  /** The step for `describe` and `--dry-run`: the head after `name (`, and lines below it. */
  viewText(plan: P): { head: string; lines: string[] };
  /** Runs one attempt. */
  run(name: string, plan: P, ctx: StepContext): Promise<StepOutcome>;
}
