/**
 * `action: push`: an image pushed as itself or as each of its `tags`, with
 * credentials from `config.json` or its credential helpers (found through
 * the run's environment: an exported `DOCKER_CONFIG` counts). The result
 * follows Atmos: `value` is the first image pushed, with each digest.
 * @module
 */
import * as v from "valibot";
import { registryAuthHeader } from "../../docker/auth.ts";
import type { DockerClient } from "../../docker/client.ts";
import { DockerApiError } from "../../docker/errors.ts";
import { EXIT_OK } from "../../exit-codes.ts";
import { formatDuration } from "../../workflow/duration.ts";
import { expect } from "../../workflow/schema.ts";
import type { StepContext, StepOutcome } from "../kind.ts";
import { bool, imageReference, provider } from "./fields.ts";
import { renderChecked } from "./render.ts";
import type { ContainerActionKind, PushPlan } from "./types.ts";

/** `with:` of `action: push`. */
export const pushWith = v.strictObject(
  { provider, runtime_auto_start: v.optional(bool), image: imageReference, tags: v.optional(v.array(imageReference, expect("a list of image references")), []) },
  expect("a map with image and tags"),
);

export type PushWith = v.InferOutput<typeof pushWith>;

/** The images a push sends: each tag (the image tagged so first), or the image itself. */
export const pushTargets = (plan: PushPlan): string[] => (plan.tags.length > 0 ? plan.tags : [plan.image]);

/** `action: push`. */
export const pushAction: ContainerActionKind<PushWith, PushPlan> = {
  schema: pushWith,
  problems: () => [],
  plan(step, scope) {
    const w = renderChecked(pushWith, step.with, ["with"], scope);
    return { action: "push", image: w.image, tags: w.tags };
  },
  describe: (plan) => `push ${pushTargets(plan).join(", ")}`,
  viewText: (plan) => ({ head: "container, push", lines: [`image ${plan.image}`, ...plan.tags.map((t) => `as ${t}`)] }),
  run: (name, plan, ctx) => ctx.services().withEngine(name, (docker) => push(docker, plan, ctx)),
};

const encoder = new TextEncoder();

async function push(docker: DockerClient, plan: PushPlan, ctx: StepContext): Promise<StepOutcome> {
  const results: Array<{ image: string; digest: string }> = [];
  for (const target of pushTargets(plan)) {
    if (target !== plan.image) await docker.tagImage(plan.image, target);
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
