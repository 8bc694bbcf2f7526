/**
 * The life of a muster container on the engine: pulling its image, creating
 * it with muster's labels under the engine policy, removing it (gracefully,
 * or at once when forced), and pruning those whose muster is gone. Knows no
 * step or run: callers pass what the container is for and how to report.
 * @module
 */
import { registryAuthHeader } from "./auth.ts";
import type { DockerClient } from "./client.ts";
import { createBody } from "./container-config.ts";
import type { ContainerSpec } from "./container-spec.ts";
import { confineBody, createBodyProblems, type EnginePolicy } from "./engine-policy.ts";
import { DockerApiError } from "./errors.ts";
import { LABELS, ownerLabel, ownerState } from "./owner.ts";
import { EngineError, StepFailure } from "../errors.ts";
import { EXIT_FAILURE } from "../exit-codes.ts";

/**
 * A fresh random run id (12 hex digits): names and labels the run's containers.
 *
 * @example
 * ```ts
 * newRunId(); // "3f9a0c17be42"
 * ```
 */
export function newRunId(): string {
  return [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a pull reports while it runs (to the run's events). */
export interface PullReport {
  /** The image is missing (or `pull: always`): a pull starts. */
  pulling(): void | Promise<void>;
  /** One progress message of the pull. */
  progress(event: { status?: string; id?: string; progress?: string }): void;
  /** The pull ended, however it ended. */
  done(): void | Promise<void>;
}

/**
 * Makes `image` present as `pull` says (`missing`, `always`, `never`),
 * with registry credentials from `env` (`DOCKER_CONFIG`). A registry's
 * refusal becomes an `EngineError` naming the image.
 *
 * @example
 * ```ts
 * await ensureImage(docker, { image: "alpine:3.20", pull: "missing" }, env, report, signal);
 * ```
 */
export async function ensureImage(
  docker: DockerClient,
  { image, pull }: Pick<ContainerSpec, "image" | "pull">,
  env: Record<string, string | undefined>,
  report: PullReport,
  signal?: AbortSignal,
): Promise<void> {
  if (pull !== "always" && (await docker.hasImage(image))) return;
  if (pull === "never") throw new EngineError(`image "${image}" is not present locally and pull is "never"`);
  await report.pulling();
  try {
    await docker.pullImage(image, { auth: await registryAuthHeader(image, env), onProgress: report.progress, signal });
  } catch (error) {
    if (error instanceof DockerApiError) throw new EngineError(`pulling image "${image}" failed: ${error.message}`);
    throw error;
  } finally {
    await report.done();
  }
}

/** What a container is created for: the run and step its labels name, and the rules it is created under. */
export interface CreateFor {
  runId: string;
  workflow: string;
  /** The step (or `sandbox`, `NAME-sandbox`) the container is for. */
  step: string;
  /** The dispatch's run id, under `muster serve`. */
  dispatch?: string;
  /** The folder relative bind sources are taken from. */
  baseDir: string;
  /** Every container passes the one engine policy, whatever asked for it, and gets the run's bounds when restricted. */
  policy: EnginePolicy;
}

/** The container name of `step` in run `runId`: `muster-RUN-STEP`, with characters the engine refuses replaced. */
export const containerName = (runId: string, step: string) => `muster-${runId}-${step.replace(/[^a-zA-Z0-9_.-]+/g, "-")}`;

/**
 * Creates (does not start) the container of `spec`, labelled with its run,
 * owner, workflow and step, after the engine policy's check; returns its id.
 * A refusal is a `StepFailure` naming the step.
 */
export async function createContainer(docker: DockerClient, spec: ContainerSpec, what: CreateFor): Promise<string> {
  const labels = {
    [LABELS.run]: what.runId,
    [LABELS.owner]: ownerLabel(),
    [LABELS.workflow]: what.workflow,
    [LABELS.step]: what.step,
    ...(what.dispatch ? { [LABELS.dispatch]: what.dispatch } : {}),
  };
  const asked = createBody(spec, { labels, baseDir: what.baseDir, supportsStartInterval: docker.supports("1.44") });
  const refused = createBodyProblems(asked, what.policy)[0];
  if (refused) throw new StepFailure(`step "${what.step}": ${refused.text}`, EXIT_FAILURE);
  const body = what.policy.restricted ? confineBody(asked, what.policy) : asked;
  return docker.createContainer(body, containerName(what.runId, what.step));
}

/** How a container is removed: stopped within `stopMs` then removed, unless a force comes first. */
export interface RemoveHow {
  /** How long the container may take to stop after SIGTERM (rounded up to whole seconds, as the engine takes it). */
  stopMs: number;
  /** Already forced (a second Ctrl-C): kill and remove at once, no stop. */
  forced: boolean;
  /** Fires on a force during the graceful stop: switches to kill-and-remove. */
  forceSignal: AbortSignal;
}

/**
 * Stops and removes a container; a force (already, or during the stop)
 * kills and removes it at once.
 *
 * @example
 * ```ts
 * await removeContainer(docker, id, { stopMs: 5000, forced: cancellation.forced, forceSignal: cancellation.forceSignal });
 * ```
 */
export async function removeContainer(docker: Pick<DockerClient, "stopContainer" | "removeContainer">, id: string, how: RemoveHow): Promise<void> {
  const removeForce = () => docker.removeContainer(id, { force: true });
  if (how.forced) return removeForce();
  const done = new AbortController();
  const forced = new Promise<void>((resolve) => {
    how.forceSignal.addEventListener("abort", () => resolve(), { once: true, signal: done.signal });
  });
  const graceful = (async () => {
    await docker.stopContainer(id, Math.ceil(how.stopMs / 1000));
    await docker.removeContainer(id);
  })();
  try {
    await Promise.race([graceful, forced.then(removeForce)]);
  } finally {
    done.abort(); // removes the listener on the force signal
  }
}

/** Which containers a prune may remove beyond those whose owner is certainly gone. */
export interface PruneOptions {
  /** Also containers whose owner cannot be observed from here (another host or PID namespace, an older muster). */
  force?: boolean;
  /** Also unobservable owners' containers created longer ago than this. */
  olderThanMs?: number;
  /** The clock, in ms since the epoch (tests). */
  now?: number;
}

/** A container a prune removed, and why. */
export interface Pruned {
  name: string;
  id: string;
  owner: string;
  why: "owner gone" | "forced" | "older than the limit";
}

/**
 * Removes containers whose muster process is gone. A container whose owner
 * cannot be observed (a runner in another PID namespace, another host) is
 * left alone unless `force` or `olderThanMs` says otherwise: a live run's
 * services are never removed by guesswork.
 */
export async function pruneOrphans(docker: Pick<DockerClient, "listContainers" | "removeContainer">, options: PruneOptions = {}): Promise<Pruned[]> {
  const removed: Pruned[] = [];
  const containers = await docker.listContainers([LABELS.owner]);
  const now = options.now ?? Date.now();
  await Promise.all(
    containers.map(async (c) => {
      const owner = c.Labels[LABELS.owner] ?? "";
      const state = ownerState(owner);
      let why: Pruned["why"] | undefined;
      if (state === "gone") why = "owner gone";
      else if (state === "unobservable" && options.force) why = "forced";
      else if (state === "unobservable" && options.olderThanMs !== undefined && c.Created !== undefined && now - c.Created * 1000 > options.olderThanMs) why = "older than the limit";
      if (!why) return;
      await docker.removeContainer(c.Id, { force: true });
      removed.push({ name: (c.Names[0] ?? c.Id).replace(/^\//, ""), id: c.Id, owner, why });
    }),
  );
  return removed;
}
