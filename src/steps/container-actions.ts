/**
 * The image actions of container steps: `build` (a context sent as a tar
 * stream, `.dockerignore` honoured, the engine's build output shown as
 * progress), `push` (credentials from `config.json` or its credential
 * helpers) and `inspect` (curated metadata as a table). Results follow
 * Atmos: `value` is the image (the first tag for a build), with the
 * metadata each action stores.
 * @module
 */
import { registryAuthHeader } from "../docker/auth.ts";
import { buildContext } from "../docker/build-context.ts";
import type { DockerClient } from "../docker/client.ts";
import { buildBounds, buildProblem, enginePolicy } from "../docker/engine-policy.ts";
import { DockerApiError } from "../docker/errors.ts";
import { EngineError, StepFailure } from "../errors.ts";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.ts";
import type { BuildPlan, ContainerPlan } from "./container-plan.ts";
import type { StepContext, StepOutcome } from "./kind.ts";
import { formatDuration } from "../workflow/duration.ts";

const encoder = new TextEncoder();

/** A size in bytes for people: `12.4 MB`. */
export function formatSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`;
}

/** Runs a `build`, `push` or `inspect` step. */
export function runImageAction(name: string, plan: Exclude<ContainerPlan, { action: "run" }>, ctx: StepContext): Promise<StepOutcome> {
  switch (plan.action) {
    case "build":
      return ctx.services().withEngine(name, (docker) => build(docker, plan, ctx));
    case "push":
      return ctx.services().withEngine(name, (docker) => push(docker, plan.image, plan.tags, ctx));
    case "inspect":
      return ctx.services().withEngine(name, (docker) => inspect(docker, plan.image, ctx));
  }
}

async function build(docker: DockerClient, plan: BuildPlan, ctx: StepContext): Promise<StepOutcome> {
  const started = performance.now();
  // The plan refused what it could see; this is the check on what is really read (the same policy as every container's).
  const policy = enginePolicy(ctx.run.env, ctx.run.baseDir);
  const refused = buildProblem(plan, policy);
  if (refused) throw new StepFailure(refused.text, EXIT_FAILURE);
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

async function push(docker: DockerClient, image: string, tags: string[], ctx: StepContext): Promise<StepOutcome> {
  const targets = tags.length > 0 ? tags : [image];
  const results: Array<{ image: string; digest: string }> = [];
  for (const target of targets) {
    if (target !== image) await docker.tagImage(image, target);
    const started = performance.now();
    try {
      const digest = await docker.pushImage(target, {
        auth: await registryAuthHeader(target, ctx.services().env()),
        signal: ctx.cancellation.signal,
        onProgress: (message) => {
          if (message.status) void ctx.emit({ type: "pull.progress", image: target, verb: "pushing", id: message.id, status: message.status, progress: message.progress });
        },
      });
      results.push({ image: target, digest });
      await ctx.write(2, encoder.encode(`pushed ${target}${digest ? ` (${digest})` : ""} in ${formatDuration(performance.now() - started)}\n`));
    } catch (error) {
      if (ctx.cancellation.canceled) return { status: "canceled", exitCode: ctx.cancellation.exitCode };
      if (error instanceof DockerApiError) return { status: "failed", exitCode: 1, error: `push of ${target} failed: ${error.message}` };
      throw error;
    } finally {
      await ctx.emit({ type: "pull.progress", image: target, verb: "pushing", done: true });
    }
  }
  const first = results[0]!;
  return {
    status: "succeeded",
    exitCode: EXIT_OK,
    value: { value: first.image, values: results.map((r) => r.image), metadata: { image: first.image, digest: first.digest, push_results: results, exit_code: 0 } },
  };
}

async function inspect(docker: DockerClient, image: string, ctx: StepContext): Promise<StepOutcome> {
  const found = await docker.inspectImage(image);
  if (!found) return { status: "failed", exitCode: 1, error: `image "${image}" is not present on the engine (expected a built or pulled image)` };
  const rows: Array<[string, string]> = [
    ["image", image],
    ["id", found.Id],
    ["tags", (found.RepoTags ?? []).join(", ") || "(none)"],
    ["digests", (found.RepoDigests ?? []).join(", ") || "(none: not pushed or pulled)"],
    ["size", formatSize(found.Size ?? 0)],
    ["created", found.Created ?? ""],
    ["platform", `${found.Os ?? "?"}/${found.Architecture ?? "?"}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  await ctx.write(1, encoder.encode(rows.map(([k, val]) => `${k.padEnd(width)}  ${val}\n`).join("")));
  return {
    status: "succeeded",
    exitCode: EXIT_OK,
    value: {
      value: image,
      values: found.RepoTags ?? [],
      metadata: {
        image, image_id: found.Id, repo_tags: found.RepoTags ?? [], repo_digests: found.RepoDigests ?? [], size: found.Size ?? 0,
        created: found.Created ?? "", architecture: found.Architecture ?? "", os: found.Os ?? "", exit_code: 0,
      },
    },
  };
}
