/**
 * Container steps: foreground containers that run to completion, and
 * background services that become ready (healthy, or running without a
 * health check), gate later steps, and are always torn down.
 *
 * Readiness is observed from the engine's events stream, with an inspect
 * after subscribing to close the race, so the next step starts the moment
 * the engine reports `healthy`.
 * @module
 */
import { dirname } from "node:path";
import { DockerClient, type ContainerInspect } from "../docker/client.ts";
import { createBody, readyTimeoutMs } from "../docker/container-config.ts";
import { registryAuthHeader } from "../docker/auth.ts";
import { DockerApiError } from "../docker/errors.ts";
import { isOwnerGone, LABELS, ownerLabel } from "../docker/owner.ts";
import { pullProgress } from "../output/pull-progress.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { formatDuration } from "../workflow/duration.ts";
import type { ContainerStep, Step } from "../workflow/types.ts";
import type { StepResult } from "./run-step.ts";
import { StepFailure, type EngineContext } from "./run-workflow.ts";

/** Exit code for failures of the engine itself (as `docker run` uses). */
export const DOCKER_ERROR_EXIT_CODE = 125;

interface Service {
  name: string;
  id: string;
  step: ContainerStep;
  ready: boolean;
}

const decoder = new TextDecoder();

const WAITING = "waiting";

/** Readiness from an inspect: ready, failed, or still waiting. */
function judge(state: ContainerInspect): { ready: true } | { ready: false; why: string } {
  if (!state.State.Running) return { ready: false, why: `exited with code ${state.State.ExitCode}` };
  const test = state.Config.Healthcheck?.Test ?? [];
  const hasCheck = test.length > 0 && test[0] !== "NONE";
  const health = state.State.Health?.Status;
  // Without a health check, running is ready.
  if (!hasCheck || health === undefined || health === "healthy") return { ready: true };
  if (health === "unhealthy") return { ready: false, why: "became unhealthy" };
  return { ready: false, why: WAITING };
}

/** A fresh random run id. */
export function newRunId(): string {
  return [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Removes containers whose muster process is gone. Returns what was removed. */
export async function pruneOrphans(docker: DockerClient): Promise<Array<{ name: string; id: string; owner: string }>> {
  const removed: Array<{ name: string; id: string; owner: string }> = [];
  const containers = await docker.listContainers([LABELS.owner]);
  await Promise.all(
    containers.map(async (c) => {
      const owner = c.Labels[LABELS.owner] ?? "";
      if (!isOwnerGone(owner)) return;
      await docker.removeContainer(c.Id, { force: true });
      removed.push({ name: (c.Names[0] ?? c.Id).replace(/^\//, ""), id: c.Id, owner });
    }),
  );
  return removed;
}

/** The container steps of one run. */
export class ServiceManager {
  readonly runId = newRunId();
  #engine: EngineContext;
  #docker?: Promise<DockerClient>;
  /** Live background services by name. */
  #services = new Map<string, Service>();
  /** Every container created and not yet removed, by id. */
  #containers = new Map<string, string>();

  constructor(engine: EngineContext) {
    this.#engine = engine;
  }

  /** The engine client, connected on first use. */
  docker(): Promise<DockerClient> {
    this.#docker ??= DockerClient.connect(process.env);
    return this.#docker;
  }

  async #withEngine<T>(step: string, fn: (docker: DockerClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.docker());
    } catch (error) {
      if (error instanceof StepFailure) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new StepFailure(`${step}: ${message}`, DOCKER_ERROR_EXIT_CODE);
    }
  }

  async #ensureImage(docker: DockerClient, step: ContainerStep): Promise<void> {
    const { image, pull } = step.container;
    if (pull !== "always" && (await docker.hasImage(image))) return;
    if (pull === "never") throw new StepFailure(`image "${image}" is not present locally and pull is "never"`, DOCKER_ERROR_EXIT_CODE);
    const progress = pullProgress(image, stderr);
    try {
      await docker.pullImage(image, {
        auth: await registryAuthHeader(image, process.env),
        onProgress: (event) => progress.update(event),
        signal: this.#engine.cancellation.signal,
      });
    } catch (error) {
      if (error instanceof DockerApiError) throw new StepFailure(`pulling image "${image}" failed: ${error.message}`, DOCKER_ERROR_EXIT_CODE);
      throw error;
    } finally {
      progress.done();
    }
  }

  async #create(docker: DockerClient, step: ContainerStep): Promise<string> {
    await this.#ensureImage(docker, step);
    const labels = {
      [LABELS.run]: this.runId,
      [LABELS.owner]: ownerLabel(),
      [LABELS.workflow]: this.#engine.run.workflow.name,
      [LABELS.step]: step.name,
    };
    const body = createBody(step.container, {
      labels,
      baseDir: this.#engine.run.workflowFile ? dirname(this.#engine.run.workflowFile) : this.#engine.run.baseDir,
      supportsStartInterval: docker.supports("1.44"),
    });
    const name = `muster-${this.runId}-${step.name.replace(/[^a-zA-Z0-9_.-]+/g, "-")}`;
    const id = await docker.createContainer(body, name);
    this.#containers.set(id, step.name);
    return id;
  }

  /** Runs a container step (foreground or background). */
  run(step: Step): Promise<StepResult> {
    if (step.type !== "container") throw new Error(`not a container step: ${step.type}`);
    return step.background ? this.#startService(step) : this.#runForeground(step);
  }

  async #startService(step: ContainerStep): Promise<StepResult> {
    const started = performance.now();
    return this.#withEngine(step.name, async (docker) => {
      const id = await this.#create(docker, step);
      await docker.startContainer(id);
      this.#services.set(step.name, { name: step.name, id, step, ready: false });
      return { status: "succeeded", exitCode: 0, durationMs: performance.now() - started, attempts: 1, timedOut: false };
    });
  }

  async #runForeground(step: ContainerStep): Promise<StepResult> {
    const started = performance.now();
    const { cancellation } = this.#engine;
    return this.#withEngine(step.name, async (docker) => {
      const id = await this.#create(docker, step);
      const onCancel = () => void docker.stopContainer(id, Math.ceil(step.container.stopTimeoutMs / 1000)).catch(() => {});
      const onForce = () => void docker.removeContainer(id, { force: true }).catch(() => {});
      cancellation.signal.addEventListener("abort", onCancel, { once: true });
      cancellation.forceSignal.addEventListener("abort", onForce, { once: true });
      try {
        await docker.startContainer(id);
        const tty = false;
        for await (const chunk of docker.logs(id, { follow: true, tty })) await (chunk.stream === 1 ? stdout : stderr).write(chunk.data);
        const code = await docker.waitContainer(id);
        const durationMs = performance.now() - started;
        if (cancellation.canceled) return { status: "canceled", exitCode: code, durationMs, attempts: 1, timedOut: false };
        return code === 0
          ? { status: "succeeded", exitCode: 0, durationMs, attempts: 1, timedOut: false }
          : { status: "failed", exitCode: code, durationMs, attempts: 1, timedOut: false, error: `container exited with code ${code}` };
      } finally {
        cancellation.signal.removeEventListener("abort", onCancel);
        cancellation.forceSignal.removeEventListener("abort", onForce);
        await docker.removeContainer(id, { force: true }).catch(() => {});
        this.#containers.delete(id);
      }
    });
  }

  /** The readiness gate before a foreground step: waits for every started service that is not ready yet. */
  async gate(step: Step): Promise<void> {
    if (step.type === "container" && step.background) return;
    const pending = [...this.#services.values()].filter((s) => !s.ready);
    if (pending.length > 0) await this.#waitAll(pending, step.name);
  }

  /** A `wait` (named services) or `wait-all` step. */
  async wait(step: Step): Promise<StepResult> {
    const started = performance.now();
    const services =
      step.type === "wait"
        ? step.targets.map((name) => {
            const service = this.#services.get(name);
            if (!service) throw new StepFailure(`wait: service "${name}" is not running (it was canceled or never started)`);
            return service;
          })
        : [...this.#services.values()];
    await this.#waitAll(services.filter((s) => !s.ready), step.name);
    return { status: "succeeded", exitCode: 0, durationMs: performance.now() - started, attempts: 1, timedOut: false };
  }

  async #waitAll(services: Service[], forStep: string): Promise<void> {
    await this.#withEngine(forStep, async (docker) => {
      // Wait for all in parallel; the first failure fails the wait at once.
      const controller = new AbortController();
      try {
        await Promise.all(services.map((s) => this.#waitReady(docker, s, controller.signal).catch((error) => {
          controller.abort();
          throw error;
        })));
      } finally {
        controller.abort();
      }
    });
  }

  async #waitReady(docker: DockerClient, service: Service, stop: AbortSignal): Promise<void> {
    const { cancellation, reporter } = this.#engine;
    const limit = readyTimeoutMs(service.step.container);
    const timeout = AbortSignal.timeout(limit);
    const signal = AbortSignal.any([timeout, cancellation.signal, stop]);
    const started = performance.now();
    let outcome: { ready: true } | { ready: false; why: string };
    // Subscribe first, then inspect: an event between the two cannot be missed.
    const events = await docker.events({ container: [service.id], type: ["container"] }, signal);
    try {
      outcome = judge(await docker.inspectContainer(service.id));
      if (!outcome.ready && outcome.why === WAITING) {
        outcome = { ready: false, why: `did not become ready within ${formatDuration(limit)}` };
        for await (const event of events) {
          const action = event.Action ?? event.status ?? "";
          if (action.startsWith("health_status")) {
            outcome = action.includes("unhealthy") ? { ready: false, why: "became unhealthy" } : { ready: true };
            if (action.includes("healthy")) break;
          } else if (action === "die") {
            outcome = { ready: false, why: `exited with code ${event.Actor?.Attributes?.exitCode ?? "?"}` };
            break;
          }
        }
      }
    } finally {
      void events.return(undefined);
    }
    if (outcome.ready) {
      service.ready = true;
      reporter.info(`service ${service.name} ready in ${formatDuration(performance.now() - started)}${await this.#ports(docker, service)}`);
      return;
    }
    if (cancellation.canceled) throw new StepFailure(`waiting for service "${service.name}" was interrupted`, 130);
    if (stop.aborted && !timeout.aborted) return; // another service failed; that failure is reported
    throw new StepFailure(await this.#failure(docker, service, outcome.why));
  }

  async #ports(docker: DockerClient, service: Service): Promise<string> {
    if (service.step.container.ports.length === 0) return "";
    const state = await docker.inspectContainer(service.id).catch(() => undefined);
    const published = Object.entries(state?.NetworkSettings?.Ports ?? {}).flatMap(([port, binds]) => (binds ?? []).map((b) => `${b.HostIp}:${b.HostPort}->${port}`));
    return published.length > 0 ? ` (${published.join(", ")})` : "";
  }

  /** A failure message with the last probe output and the last 50 log lines. */
  async #failure(docker: DockerClient, service: Service, what: string): Promise<string> {
    const lines = [`service "${service.name}" ${what}`];
    const state = await docker.inspectContainer(service.id).catch(() => undefined);
    const probe = state?.State.Health?.Log?.at(-1);
    if (probe) lines.push(`  last health probe (exit ${probe.ExitCode}): ${probe.Output.trim() || "(no output)"}`);
    const logs: string[] = [];
    try {
      for await (const chunk of docker.logs(service.id, { follow: false, tail: 50 })) logs.push(decoder.decode(chunk.data));
    } catch {
      // the container may be gone already
    }
    const text = logs.join("").trimEnd();
    if (text) lines.push("  last 50 log lines:", ...text.split("\n").map((l) => `    ${l}`));
    return lines.join("\n");
  }

  /** A `cancel` step: stops and removes the named services. */
  async cancel(step: Step): Promise<StepResult> {
    if (step.type !== "cancel") throw new Error(`not a cancel step: ${step.type}`);
    const started = performance.now();
    await this.#withEngine(step.name, async (docker) => {
      await Promise.all(
        step.targets.map(async (name) => {
          const service = this.#services.get(name);
          if (!service) return;
          this.#services.delete(name);
          await this.#remove(docker, service.id, service.step, false);
          this.#engine.reporter.info(`removed service ${name} (${service.id.slice(0, 12)})`);
        }),
      );
    });
    return { status: "succeeded", exitCode: 0, durationMs: performance.now() - started, attempts: 1, timedOut: false };
  }

  async #remove(docker: DockerClient, id: string, step: ContainerStep | undefined, force: boolean): Promise<void> {
    const removeForce = () => docker.removeContainer(id, { force: true });
    if (force || this.#engine.cancellation.forced) await removeForce();
    else {
      // A second Ctrl-C during a graceful stop switches to kill-and-remove.
      const forced = new Promise<void>((resolve) => this.#engine.cancellation.forceSignal.addEventListener("abort", () => resolve(), { once: true }));
      await Promise.race([
        (async () => {
          await docker.stopContainer(id, Math.ceil((step?.container.stopTimeoutMs ?? 5000) / 1000));
          await docker.removeContainer(id);
        })(),
        forced.then(removeForce),
      ]);
    }
    this.#containers.delete(id);
  }

  /** Stops and removes every container of this run, all in parallel. */
  async teardown(): Promise<void> {
    if (this.#containers.size === 0 || !this.#docker) return;
    const docker = await this.#docker.catch(() => undefined);
    if (!docker) return;
    const steps = new Map([...this.#services.values()].map((s) => [s.id, s.step]));
    const started = performance.now();
    const ids = [...this.#containers.entries()];
    await Promise.all(
      ids.map(async ([id, name]) => {
        try {
          await this.#remove(docker, id, steps.get(id), false);
          this.#engine.reporter.info(`removed service ${name} (${id.slice(0, 12)})`);
        } catch (error) {
          this.#engine.reporter.error(`could not remove container ${id.slice(0, 12)} of step "${name}": ${(error as Error).message}`);
        }
      }),
    );
    this.#services.clear();
    if (ids.length > 1) this.#engine.reporter.info(`tore down ${ids.length} containers in ${formatDuration(performance.now() - started)}`);
  }
}
