/**
 * `action: build`: an image from a context sent as a tar stream
 * (`.dockerignore` honoured), the engine's build output shown as progress.
 * The result follows Atmos: `value` is the first tag (else the image id),
 * with the image's metadata.
 * @module
 */
import { resolve } from "node:path";
import * as v from "valibot";
import type { DockerClient } from "../../docker/client.ts";
import { buildBounds, buildProblem, enginePolicy } from "../../docker/engine-policy.ts";
import { DockerApiError } from "../../docker/errors.ts";
import { EngineError, PlanError, StepFailure } from "../../errors.ts";
import { EXIT_FAILURE, EXIT_OK } from "../../exit-codes.ts";
import { lazy } from "../../util/lazy.ts";
import { formatDuration } from "../../workflow/duration.ts";
import { expect, nonEmpty, stringMap } from "../../workflow/schema.ts";
import type { StepContext, StepOutcome } from "../kind.ts";
import { planRunFields } from "../process.ts";
import { bool, imageReference, provider } from "./fields.ts";
import { buildRefusal, parsePolicy } from "./policy.ts";
import { renderChecked } from "./render.ts";
import { formatSize } from "./size.ts";
import type { BuildPlan, ContainerActionKind, WithProblem } from "./types.ts";
import { bakeSettings, buildkitProblems, buildxArgs, cacheSettings, driverSettings, runBuildx, wantsBuildkit } from "./buildx.ts";

/** `with:` of `action: build`. */
export const buildWith = v.strictObject(
  {
    provider,
    runtime_auto_start: v.optional(bool),
    engine: v.optional(v.picklist(["", "buildx"], expect('"" or buildx')), ""),
    context: v.optional(nonEmpty, "."),
    dockerfile: v.optional(nonEmpty, "Dockerfile"),
    tags: v.optional(v.array(imageReference, expect("a list of image references")), []),
    build_args: v.optional(stringMap, {}),
    target: v.optional(nonEmpty),
    no_cache: v.optional(bool, false),
    pull: v.optional(bool, false),
    load: v.optional(bool),
    labels: v.optional(stringMap, {}),
    // BuildKit (through the docker CLI, see buildx.ts).
    bake: v.optional(bakeSettings),
    driver: v.optional(driverSettings),
    cache: v.optional(cacheSettings),
  },
  expect("a map with context, dockerfile, tags, build_args, target, no_cache, pull, load, labels, engine, bake, driver, cache"),
);

export type BuildWith = v.InferOutput<typeof buildWith>;

/**
 * The image refs of a `cache:` the Engine API's builder can use (`from:`
 * registry refs only), or undefined when it asks for more: exporting a
 * cache (`to:`) and other sources need BuildKit.
 *
 * @example
 * ```ts
 * cacheSources({ from: [{ type: "registry", ref: "app:cache" }] }); // ["app:cache"]
 * cacheSources({ to: "type=local,dest=/c" }); // undefined
 * ```
 */
export function cacheSources(cache: unknown): string[] | undefined {
  if (cache === undefined) return [];
  if (cache === null || typeof cache !== "object") return undefined;
  if ("to" in cache && cache.to !== undefined) return undefined;
  const from: unknown = "from" in cache ? cache.from : undefined;
  if (from === undefined) return [];
  if (!Array.isArray(from)) return undefined;
  const refs: string[] = [];
  for (const source of from) {
    if (source === null || typeof source !== "object") return undefined;
    const ref: unknown = "ref" in source ? source.ref : undefined;
    const type: unknown = "type" in source ? source.type : undefined;
    if (typeof ref !== "string" || (type !== undefined && type !== "registry")) return undefined;
    refs.push(ref);
  }
  return refs;
}

/**
 * The BuildKit feature a `build` `with:` asks for, which the Engine API's
 * builder does not have: the field's name, or undefined.
 *
 * @example
 * ```ts
 * buildkitField({ ...w, cache: { to: "type=local" } }); // "cache"
 * ```
 */
export function buildkitField(w: BuildWith): "engine" | "bake" | "driver" | "cache" | undefined {
  const cacheProblem = cacheSources(w.cache) === undefined;
  return w.engine === "buildx" ? "engine" : w.bake !== undefined ? "bake" : w.driver !== undefined ? "driver" : cacheProblem ? "cache" : undefined;
}

/** `action: build`. */
export const buildAction: ContainerActionKind<BuildWith, BuildPlan> = {
  schema: buildWith,
  problems(w, step): WithProblem[] {
    const { policy, judgePaths } = parsePolicy();
    const refused = judgePaths ? buildRefusal(w, policy) : undefined;
    if (refused) return [refused];
    // A plain build with cache.from registry refs goes through the Engine API (muster's own); the rest is BuildKit's, checked as Atmos checks it.
    if (!wantsBuildkit(w) && buildkitField(w) === undefined) return [];
    return buildkitProblems(w, step.provider);
  },
  plan(step, scope) {
    const w = renderChecked(buildWith, step.with, ["with"], scope);
    const { cwd } = planRunFields(step, scope);
    const refused = buildRefusal(w, enginePolicy(scope.run.env, scope.run.baseDir), cwd);
    if (refused) throw new PlanError(scope.name, refused.text);
    const plan = buildPlan(w, cwd);
    if (!wantsBuildkit(w)) return plan;
    const { env } = planRunFields(step, scope);
    return { ...plan, buildx: { ...buildxArgs(w, plan.context, cwd), cwd, stepEnv: env } };
  },
  describe: (plan) => (plan.buildx ? `docker ${plan.buildx.args.join(" ")}` : `build ${plan.tags[0] ?? "(untagged)"} from ${plan.context}`),
  viewText(plan) {
    if (plan.buildx) return { head: "container, build (docker buildx)", lines: [...(plan.buildx.create ? [`docker ${plan.buildx.create.join(" ")}`] : []), `docker ${plan.buildx.args.join(" ")}`, ...Object.entries(plan.buildx.env).map(([k, val]) => `bake var ${k}=${val}`)] };
    const lines = [`context ${plan.context}`, `dockerfile ${plan.dockerfile}`, ...plan.tags.map((t) => `tag ${t}`), ...Object.entries(plan.buildArgs).map(([k, val]) => `build arg ${k}=${val}`)];
    if (plan.target) lines.push(`target ${plan.target}`);
    if (plan.noCache) lines.push("no cache");
    if (plan.pull) lines.push("pull base images");
    return { head: "container, build", lines };
  },
  run: (name, plan, ctx) => {
    const buildx = plan.buildx;
    if (!buildx) return ctx.services().withEngine(name, (docker) => build(docker, plan, ctx));
    // The docker CLI is outside the engine policy muster enforces on its own requests: not under a restricted policy (muster serve).
    if (enginePolicy(ctx.run.env, ctx.run.baseDir).restricted) throw new StepFailure(`step "${name}": a BuildKit build runs the docker CLI, which the restricted engine policy (muster serve) does not allow (expected a build through the Engine API: no engine: buildx, bake, driver or cache.to)`, EXIT_FAILURE);
    const inspect = (image: string) => ctx.services().withEngine(name, (docker) => docker.inspectImage(image));
    return runBuildx({ ...buildx, tags: plan.tags }, ctx, inspect);
  },
};

/**
 * The build a rendered `with:` plans to, in the step's directory `cwd` (a pure function).
 *
 * @example
 * ```ts
 * buildPlan({ ...w, context: "app", tags: ["app:1"] }, "/repo"); // { action: "build", context: "/repo/app", dockerfile: "Dockerfile", tags: ["app:1"], … }
 * ```
 */
export function buildPlan(w: BuildWith, cwd: string): BuildPlan {
  // A cache the builder cannot use was refused when the file was parsed.
  const cacheFrom = cacheSources(w.cache) ?? [];
  return {
    action: "build", context: resolve(cwd, w.context), dockerfile: w.dockerfile, tags: w.tags, buildArgs: w.build_args,
    target: w.target, noCache: w.no_cache, pull: w.pull, labels: w.labels, cacheFrom,
  };
}

const encoder = new TextEncoder();
/** The tar writer and `.dockerignore` matching load only when a build runs. */
const contextWriter = lazy(() => import("../../docker/build-context.ts"));

async function build(docker: DockerClient, plan: BuildPlan, ctx: StepContext): Promise<StepOutcome> {
  const started = performance.now();
  // The plan refused what it could see; this is the check on what is really read (the same policy as every container's).
  const policy = enginePolicy(ctx.run.env, ctx.run.baseDir);
  const refused = buildProblem(plan, policy);
  if (refused) throw new StepFailure(refused.text, EXIT_FAILURE);
  const { buildContext } = await contextWriter();
  const context = await buildContext(plan.context, plan.dockerfile).catch((error: NodeJS.ErrnoException) => {
    throw new EngineError(`cannot read the build context ${plan.context} (${error.code ?? error.message})`);
  });
  const query = new URLSearchParams({ dockerfile: context.dockerfile, rm: "1", forcerm: "1" });
  for (const tag of plan.tags) query.append("t", tag);
  if (Object.keys(plan.buildArgs).length > 0) query.set("buildargs", JSON.stringify(plan.buildArgs));
  if (Object.keys(plan.labels).length > 0) query.set("labels", JSON.stringify(plan.labels));
  if (plan.target) query.set("target", plan.target);
  if (plan.noCache) query.set("nocache", "1");
  if (plan.pull) query.set("pull", "1");
  if (plan.cacheFrom.length > 0) query.set("cachefrom", JSON.stringify(plan.cacheFrom));
  if (policy.restricted) for (const [key, value] of Object.entries(buildBounds(policy.bounds))) query.set(key, value);
  const shown = plan.tags[0] ?? plan.context;
  await ctx.write(2, encoder.encode(`sending ${context.files} files (${formatSize(context.bytes)}) to the engine\n`));
  let id: string;
  try {
    id = await docker.buildImage(context.stream(), query, {
      signal: ctx.cancellation.signal,
      onMessage: (message) => {
        // The engine colours a RUN's stderr (SGR codes): muster decides about colour itself.
        const text = (message.stream ?? message.status ?? "").replace(/\x1b\[[0-9;]*m/g, "").trim();
        if (text) void ctx.emit({ type: "pull.progress", image: shown, verb: "building", status: text, id: message.id });
      },
    });
  } catch (error) {
    if (ctx.cancellation.canceled) return { status: "canceled", exitCode: ctx.cancellation.exitCode };
    if (error instanceof DockerApiError) return { status: "failed", exitCode: 1, error: `build failed: ${error.message}` };
    throw error;
  } finally {
    await ctx.emit({ type: "pull.progress", image: shown, verb: "building", done: true });
  }
  const image = await docker.inspectImage(id);
  await ctx.write(2, encoder.encode(`built ${plan.tags.join(", ") || id.slice(7, 19)} (${id.slice(0, 19)}, ${formatSize(image?.Size ?? 0)}) in ${formatDuration(performance.now() - started)}\n`));
  const value = plan.tags[0] ?? id;
  return {
    status: "succeeded",
    exitCode: EXIT_OK,
    value: { value, values: plan.tags, metadata: { image: value, image_id: id, repo_tags: image?.RepoTags ?? plan.tags, repo_digests: image?.RepoDigests ?? [], exit_code: 0 } },
  };
}
