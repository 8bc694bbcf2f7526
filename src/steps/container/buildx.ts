/**
 * BuildKit builds through the docker CLI, as Atmos does them
 * (pkg/container/common.go `buildBuildArgs`/`buildBakeArgs`,
 * pkg/container/docker.go `ensureBuilder`): `engine: buildx`, `bake`,
 * `driver` and `cache` run `docker buildx build` or `docker buildx bake`
 * with Atmos' exact arguments. The Engine API has no BuildKit front end,
 * so this is the one place muster uses the docker CLI; without the CLI or
 * its buildx plugin the step is refused, saying what to install.
 * @module
 */
import * as v from "valibot";
import { isAbsolute, join } from "node:path";
import { StepFailure } from "../../errors.ts";
import { EXIT_NOT_FOUND, EXIT_OK } from "../../exit-codes.ts";
import { findExecutable } from "../../engine/find-executable.ts";
import { lazy } from "../../util/lazy.ts";
import { formatDuration } from "../../workflow/duration.ts";
import { expect, mapOf, nonEmpty, str, stringMap } from "../../workflow/schema.ts";
import type { StepContext, StepOutcome } from "../kind.ts";
import { bool } from "./fields.ts";
import type { WithProblem } from "./types.ts";

const runProcessModule = lazy(() => import("../../engine/run-process.ts"));

const strings = v.array(str, expect("a list of strings"));
/** A BuildKit attribute set such as `{ type: registry, ref: app:cache, mode: max }`. */
const attributes = mapOf(v.string(), v.pipe(v.union([v.string(), v.number(), v.boolean()], expect("a string")), v.transform(String)), "a map of BuildKit attributes such as type: registry, ref: app:cache");

/** `bake:` (Atmos' ContainerBuildBakeStep). */
export const bakeSettings = v.strictObject(
  {
    file: v.optional(str),
    files: v.optional(strings),
    target: v.optional(str),
    targets: v.optional(strings),
    set: v.optional(strings),
    vars: v.optional(stringMap),
    load: v.optional(bool),
    push: v.optional(bool),
    print: v.optional(bool),
  },
  expect("a map with file, files, target, targets, set, vars, load, push, print"),
);

/** `driver:` (Atmos' ContainerDriverConfig): a bare string is the provider. */
export const driverSettings = v.union(
  [
    v.pipe(nonEmpty, v.transform((provider) => ({ provider }) as { name?: string; provider?: string; opts?: Record<string, string> })),
    v.strictObject({ name: v.optional(str), provider: v.optional(str), opts: v.optional(stringMap) }),
  ],
  expect("a driver name such as docker-container, or a map with name, provider, opts"),
);

/** `cache:` (Atmos' ContainerCacheConfig): lists of attribute sets. */
export const cacheSettings = v.strictObject(
  { from: v.optional(v.array(attributes, expect("a list of attribute maps"))), to: v.optional(v.array(attributes, expect("a list of attribute maps"))) },
  expect("a map with from and to, each a list of attribute maps"),
);

type Bake = v.InferOutput<typeof bakeSettings>;
type Driver = v.InferOutput<typeof driverSettings>;
type Cache = v.InferOutput<typeof cacheSettings>;

/** The BuildKit part of a build's `with:`, checked. */
export interface BuildkitWith {
  engine: string;
  provider?: string;
  load?: boolean;
  bake?: Bake;
  driver?: Driver;
  cache?: Cache;
}

/** Whether a build asks for BuildKit (then it runs through `docker buildx`). */
export const wantsBuildkit = (w: { engine: string; bake?: unknown; driver?: unknown; cache?: unknown }) =>
  w.engine === "buildx" || w.bake !== undefined;

/**
 * What Atmos refuses of a BuildKit build (pkg/runner/step/container_build.go
 * `validateBuildAction`), positioned; `provider` falls through from the step.
 */
export function buildkitProblems(w: BuildkitWith, stepProvider: string | undefined): WithProblem[] {
  const provider = w.provider ?? stepProvider;
  const problems: WithProblem[] = [];
  if (w.load && w.bake !== undefined) problems.push({ path: ["with", "load"], text: `field "with.load": a bake build loads with bake.load (expected bake: { load: true } instead)`, part: "key" });
  else if ((w.driver !== undefined || w.cache !== undefined) && w.engine !== "buildx" && w.bake === undefined) {
    const field = w.driver !== undefined ? "driver" : "cache";
    problems.push({ path: ["with", field], text: `field "with.${field}": a BuildKit ${field} needs engine: buildx or bake, as in Atmos (expected engine: buildx)`, part: "key" });
  } else if (w.load && w.engine !== "buildx") problems.push({ path: ["with", "load"], text: `field "with.load": load is a buildx option, as in Atmos (expected engine: buildx, or no load)`, part: "key" });
  else if (wantsBuildkit(w) && provider !== "docker") {
    const field = w.bake !== undefined ? "bake" : "engine";
    problems.push({ path: ["with", field], text: `field "with.${field}": Docker Buildx and Bake need provider: docker, as in Atmos (expected provider: docker on the step or in with:; got ${provider === undefined ? "no provider" : JSON.stringify(provider)})`, part: "key" });
  }
  return problems;
}

/** Atmos' `joinAttrs`: `k=v,k=v`, keys sorted. */
const joinAttrs = (attrs: Record<string, string>) => Object.keys(attrs).sort().map((k) => `${k}=${attrs[k]}`).join(",");
/** Atmos' default builder name (so the builder and its cache persist across runs). */
const DEFAULT_BUILDER = "atmos";
const builderName = (driver: Driver) => (driver.name ? driver.name : DEFAULT_BUILDER);

/** A BuildKit build, planned: the `docker` arguments, in order. */
export interface BuildxPlan {
  /** `buildx create ...` when a driver is set (an existing builder of that name is fine). */
  create?: string[];
  /** `buildx build ...` or `buildx bake ...`. */
  args: string[];
  /** Bake variables as environment entries (buildx reads HCL variables from the environment). */
  env: Record<string, string>;
}

/**
 * The docker arguments of a BuildKit build, exactly as Atmos builds them;
 * `cwd` anchors relative bake files and local cache paths (Atmos anchors
 * them to the step's working directory).
 *
 * @example
 * ```ts
 * buildxArgs({ engine: "buildx", tags: ["app:1"], ... }, "/repo").args;
 * // ["buildx", "build", "-t", "app:1", "-f", "Dockerfile", "/repo"]
 * ```
 */
export function buildxArgs(
  w: BuildkitWith & { tags: string[]; build_args: Record<string, string>; target?: string; no_cache: boolean; pull: boolean; dockerfile: string },
  context: string,
  cwd: string,
): BuildxPlan {
  const anchor = (path: string) => (path === "" || isAbsolute(path) ? path : join(cwd, path));
  const cache = w.cache && {
    from: (w.cache.from ?? []).map((e) => anchorLocal(e, anchor)),
    to: (w.cache.to ?? []).map((e) => anchorLocal(e, anchor)),
  };
  const create = w.driver ? createArgs(w.driver) : undefined;
  if (w.bake) {
    const bake = w.bake;
    const args = ["buildx", "bake"];
    if (w.driver) args.push("--builder", builderName(w.driver));
    for (const entry of cache?.from ?? []) args.push("--set", `*.cache-from=${joinAttrs(entry)}`);
    for (const entry of cache?.to ?? []) args.push("--set", `*.cache-to=${joinAttrs(entry)}`);
    for (const file of [...(bake.file ? [bake.file] : []), ...(bake.files ?? [])]) args.push("--file", anchor(file));
    if (w.no_cache) args.push("--no-cache");
    if (w.pull) args.push("--pull");
    if (bake.load) args.push("--load");
    if (bake.push) args.push("--push");
    if (bake.print) args.push("--print");
    for (const value of bake.set ?? []) args.push("--set", value);
    args.push(...(bake.target ? [bake.target] : []), ...(bake.targets ?? []));
    return { create, args, env: { ...(bake.vars ?? {}) } };
  }
  const args = ["buildx", "build"];
  if (w.driver) args.push("--builder", builderName(w.driver));
  for (const entry of cache?.from ?? []) args.push("--cache-from", joinAttrs(entry));
  for (const entry of cache?.to ?? []) args.push("--cache-to", joinAttrs(entry));
  if (w.load) args.push("--load");
  if (w.no_cache) args.push("--no-cache");
  if (w.pull) args.push("--pull");
  if (w.target) args.push("--target", w.target);
  // Atmos ranges over a Go map here (random order); sorted, so a run is repeatable.
  for (const key of Object.keys(w.build_args).sort()) args.push("--build-arg", `${key}=${w.build_args[key]}`);
  for (const tag of w.tags) args.push("-t", tag);
  args.push("-f", w.dockerfile, context);
  return { create, args, env: {} };
}

/** A `type: local` cache entry's `src`/`dest`, anchored to the step's directory (Atmos' anchorCacheLocalPaths). */
function anchorLocal(entry: Record<string, string>, anchor: (p: string) => string): Record<string, string> {
  if (entry.type !== "local") return entry;
  const out = { ...entry };
  for (const key of ["src", "dest"]) if (out[key]) out[key] = anchor(out[key]!);
  return out;
}

/** Atmos' `buildBuilderCreateArgs`. */
function createArgs(driver: Driver): string[] {
  const args = ["buildx", "create", "--name", builderName(driver)];
  if (driver.provider) args.push("--driver", driver.provider);
  for (const key of Object.keys(driver.opts ?? {}).sort()) args.push("--driver-opt", `${key}=${driver.opts![key]}`);
  return args;
}

const INSTALL = "install Docker's buildx plugin (the docker-buildx-plugin package, or https://github.com/docker/buildx#installing), or build without engine/bake/driver/cache.to through the Engine API";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Runs `docker ARGS`, its output kept (Atmos shows it only when the command fails). */
async function docker(bin: string, args: string[], env: Record<string, string>, cwd: string, ctx: StepContext) {
  const { runProcess } = await runProcessModule();
  const chunks: Uint8Array[] = [];
  const keep = (chunk: Uint8Array) => void chunks.push(chunk);
  const outcome = await runProcess([bin, ...args], { cwd, env, stdin: "null", stdout: keep, stderr: keep, graceMs: ctx.graceMs, cancellation: ctx.cancellation });
  return { ...outcome, output: chunks.map((c) => decoder.decode(c, { stream: true })).join("") };
}

/**
 * Runs a planned BuildKit build. Refused, with what to install, when the
 * docker CLI or its buildx plugin is missing.
 */
export async function runBuildx(plan: BuildxPlan & { tags: string[]; cwd: string; stepEnv: Record<string, string> }, ctx: StepContext, inspect: (image: string) => Promise<{ Id?: string; RepoTags?: string[] | null; RepoDigests?: string[] | null } | undefined>): Promise<StepOutcome> {
  const started = performance.now();
  const env = { ...ctx.run.env, ...plan.stepEnv };
  const bin = findExecutable("docker", env.PATH ?? "");
  if (!bin) throw new StepFailure(`a BuildKit build (engine: buildx, bake) runs through the docker CLI, and no docker is on PATH (expected the docker CLI with its buildx plugin: ${INSTALL})`, EXIT_NOT_FOUND);
  const version = await docker(bin, ["buildx", "version"], env, plan.cwd, ctx);
  if (version.canceled) return { status: "canceled", exitCode: version.code };
  if (version.code !== 0) {
    const said = version.output.trim().split("\n")[0] ?? "";
    throw new StepFailure(`a BuildKit build (engine: buildx, bake) needs docker's buildx plugin, and "docker buildx version" failed${said ? ` (${said})` : ""} (expected buildx: ${INSTALL})`, EXIT_NOT_FOUND);
  }
  if (plan.create) {
    const created = await docker(bin, plan.create, env, plan.cwd, ctx);
    if (created.canceled) return { status: "canceled", exitCode: created.code };
    // An existing builder of that name is the one to use (Atmos: idempotent create).
    if (created.code !== 0 && !created.output.includes("existing instance")) {
      await ctx.write(2, encoder.encode(created.output));
      return { status: "failed", exitCode: 1, error: `docker ${plan.create.join(" ")} failed (exit ${created.code})` };
    }
  }
  await ctx.write(2, encoder.encode(`docker ${plan.args.join(" ")}\n`));
  // Bake variables reach only the build (Atmos' bakeCommandEnv).
  const built = await docker(bin, plan.args, { ...env, ...plan.env }, plan.cwd, ctx);
  if (built.canceled) return { status: "canceled", exitCode: built.code };
  if (built.code !== 0) {
    await ctx.write(2, encoder.encode(built.output));
    return { status: "failed", exitCode: 1, error: `docker ${plan.args[1]} ${plan.args[2]} failed (exit ${built.code})` };
  }
  const image = plan.tags[0] ?? "";
  // As Atmos: the image's metadata when the engine has it (a bake without --load may leave it elsewhere).
  const info = image ? await inspect(image).catch(() => undefined) : undefined;
  await ctx.write(2, encoder.encode(`built ${image || "(no tag)"} with buildx in ${formatDuration(performance.now() - started)}\n`));
  return {
    status: "succeeded",
    exitCode: EXIT_OK,
    value: { value: image, values: plan.tags, metadata: { image, exit_code: 0, ...(info ? { image_id: info.Id ?? "", repo_tags: info.RepoTags ?? plan.tags, repo_digests: info.RepoDigests ?? [] } : {}) } },
  };
}
