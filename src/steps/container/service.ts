/**
 * Background services: started by a `run` step with `background: true`,
 * ready once healthy (or running, without a health check), gating later
 * steps, watched for the whole run, stopped by `cancel` or at teardown.
 *
 * Readiness is observed from the engine's events stream, with an inspect
 * after subscribing to close the race, so the next step starts the moment
 * the engine reports `healthy`. What an inspect or an event says about
 * readiness is decided by pure functions (`judge`, `eventVerdict`), as are
 * the lines a waiting or failed service shows (`probeLine`,
 * `publishedPorts`, `failureReport`).
 * @module
 */
import type { ContainerInspect, DockerClient, DockerEvent } from "../../docker/client.ts";
import { readyTimeoutMs } from "../../docker/container-config.ts";
import type { ContainerSpec } from "../../docker/container-spec.ts";
import { LABELS } from "../../docker/owner.ts";
import type { Cancellation } from "../../engine/cancellation.ts";
import type { RunEvent } from "../../engine/events.ts";
import { InterruptError, StepFailure } from "../../errors.ts";
import { EXIT_OK } from "../../exit-codes.ts";
import { formatDuration } from "../../workflow/duration.ts";
import type { StepContext, StepOutcome } from "../kind.ts";
import type { ContainerScope } from "./scope.ts";

/** Readiness from an inspect or an event: ready, failed (and why), or still waiting. */
export type Readiness = { state: "ready" } | { state: "failed"; why: string } | { state: "waiting" };

/**
 * What an inspect says about a service's readiness.
 *
 * @example
 * ```ts
 * judge({ State: { Running: true, Health: { Status: "starting" } }, Config: { Healthcheck: { Test: ["CMD", "true"] } }, … }); // { state: "waiting" }
 * judge({ State: { Running: false, ExitCode: 3 }, … }); // { state: "failed", why: "exited with code 3" }
 * ```
 */
export function judge(state: Pick<ContainerInspect, "State" | "Config">): Readiness {
  if (!state.State.Running) return { state: "failed", why: `exited with code ${state.State.ExitCode}` };
  const test = state.Config.Healthcheck?.Test ?? [];
  const hasCheck = test.length > 0 && test[0] !== "NONE";
  const health = state.State.Health?.Status;
  // Without a health check, running is ready. An engine that reports no
  // health status for a container with a check (very old engines) counts as ready too.
  if (!hasCheck || health === undefined || health === "healthy") return { state: "ready" };
  if (health === "unhealthy") return { state: "failed", why: "became unhealthy" };
  return { state: "waiting" };
}

/**
 * What an engine event says about readiness: undefined for events that
 * say nothing (`start`, `exec_start`, `exec_die`, ...). Older engines name
 * the action `status` instead of `Action`.
 *
 * @example
 * ```ts
 * eventVerdict({ Action: "health_status: healthy" }); // { state: "ready" }
 * eventVerdict({ Action: "die", Actor: { ID: "…", Attributes: { exitCode: "137" } } }); // { state: "failed", why: "exited with code 137" }
 * ```
 */
export function eventVerdict(event: Pick<DockerEvent, "Action" | "status" | "Actor">): Readiness | undefined {
  const action = event.Action ?? event.status ?? "";
  // "health_status: healthy" or "health_status: unhealthy".
  if (action.startsWith("health_status")) return action.includes("unhealthy") ? { state: "failed", why: "became unhealthy" } : { state: "ready" };
  if (action === "die") return { state: "failed", why: `exited with code ${event.Actor?.Attributes?.exitCode ?? "?"}` };
  return undefined;
}

/** Whether an event is a health probe ending (the engine runs a probe as an exec): the wait then shows what it said. */
export const isProbeEnd = (event: Pick<DockerEvent, "Action" | "status">): boolean => (event.Action ?? event.status ?? "").startsWith("exec_die");

/**
 * The last health probe as a waiting service's detail: its exit code and
 * first output line (80 characters at most); undefined before any probe.
 *
 * @example
 * ```ts
 * probeLine({ State: { Health: { Status: "starting", Log: [{ ExitCode: 1, Output: "connection refused\n" }] } }, … }); // "last probe: exit 1, connection refused"
 * ```
 */
export function probeLine(state: Pick<ContainerInspect, "State"> | undefined): string | undefined {
  const probe = state?.State.Health?.Log?.at(-1);
  if (!probe) return undefined;
  const said = probe.Output.trim().split("\n")[0]?.slice(0, 80) || "no output";
  return `last probe: exit ${probe.ExitCode}, ${said}`;
}

/**
 * The host ports a ready service published, for its `ready` line: ` (127.0.0.1:8080->80/tcp)`, or "".
 *
 * @example
 * ```ts
 * publishedPorts({ NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] } } }); // " (127.0.0.1:8080->80/tcp)"
 * ```
 */
export function publishedPorts(state: Pick<ContainerInspect, "NetworkSettings"> | undefined): string {
  const published = Object.entries(state?.NetworkSettings?.Ports ?? {}).flatMap(([port, binds]) => (binds ?? []).map((b) => `${b.HostIp}:${b.HostPort}->${port}`));
  return published.length > 0 ? ` (${published.join(", ")})` : "";
}

/**
 * A service's failure report: what happened, its last health probe, and
 * its last log lines (trailing blank lines dropped).
 *
 * @example
 * ```ts
 * failureReport("db", "became unhealthy", state, ["FATAL: bad config", ""]);
 * // 'service "db" became unhealthy\n  last health probe (exit 1): …\n  last 50 log lines:\n    FATAL: bad config'
 * ```
 */
export function failureReport(name: string, what: string, state: Pick<ContainerInspect, "State"> | undefined, logs: string[]): string {
  const lines = [`service "${name}" ${what}`];
  const probe = state?.State.Health?.Log?.at(-1);
  if (probe) lines.push(`  last health probe (exit ${probe.ExitCode}): ${probe.Output.trim() || "(no output)"}`);
  const kept = [...logs];
  while (kept.length > 0 && kept.at(-1)!.trim() === "") kept.pop();
  if (kept.length > 0) lines.push("  last 50 log lines:", ...kept.map((l) => `    ${l}`));
  return lines.join("\n");
}

/** A started background service. */
interface Service {
  name: string;
  id: string;
  spec: ContainerSpec;
  ready: boolean;
  /** Why the service stopped serving after it was ready (it exited, or became unhealthy). */
  died?: string;
}

/** The run's live background services. */
export class Services {
  #scope: ContainerScope;
  #runId: string;
  /** Live services by name. */
  #live = new Map<string, Service>();
  /** Watches the run's services for the whole run (started with the first service). */
  #watch?: AbortController;

  constructor(scope: ContainerScope, runId: string) {
    this.#scope = scope;
    this.#runId = runId;
  }

  /** Each live service's spec, by container id (teardown stops each within its own stop timeout). */
  specsById(): Map<string, ContainerSpec> {
    return new Map([...this.#live.values()].map((s) => [s.id, s.spec]));
  }

  /** Ends the run's watch: what dies from now on is muster's doing. */
  stopWatching(): void {
    this.#watch?.abort();
  }

  /** Forgets every service (they were torn down). */
  clear(): void {
    this.#live.clear();
  }

  /** Starts a service; its readiness is awaited by the next gated step or `wait`. */
  start(name: string, spec: ContainerSpec, ctx: StepContext): Promise<StepOutcome> {
    return this.#scope.withEngine(name, async (docker) => {
      const id = await this.#scope.create(docker, name, spec, ctx.cancellation);
      await this.#scope.emit({ type: "service", name, state: "starting", id, detail: `${spec.image}, container ${id.slice(0, 12)}` });
      await docker.startContainer(id);
      this.#live.set(name, { name, id, spec, ready: false });
      await this.#watchServices(docker);
      return { status: "succeeded", exitCode: EXIT_OK };
    });
  }

  /**
   * Notices a service that dies after it was ready, for the whole run: one
   * events subscription for the run's containers, until teardown. The next
   * gated step or `wait` fails with the reason; the status display shows it at once.
   */
  async #watchServices(docker: DockerClient): Promise<void> {
    if (this.#watch) return;
    const watch = (this.#watch = new AbortController());
    const events = await docker.events({ label: [`${LABELS.run}=${this.#runId}`], type: ["container"] }, watch.signal);
    void (async () => {
      for await (const event of events) {
        const service = [...this.#live.values()].find((s) => s.id === event.id || s.id === event.Actor?.ID);
        if (!service || !service.ready || service.died) continue;
        // (A death found by an inspect first is reported there; this one is not reported twice.)
        const verdict = eventVerdict(event);
        if (verdict?.state !== "failed") continue;
        await this.#died(service, verdict.why);
      }
    })().catch(() => {});
  }

  async #died(service: Service, why: string): Promise<void> {
    service.died = `${why} after it was ready`;
    await this.#scope.emit({ type: "service", name: service.name, state: "died", id: service.id, detail: service.died });
  }

  /**
   * A service that died after it was ready fails whatever needs it. The
   * events watch reports deaths as they happen; an inspect here closes the
   * window between a container's exit and its event.
   */
  async #checkAlive(iterable: Iterable<Service>): Promise<void> {
    const services = [...iterable];
    const ready = services.filter((s) => s.ready && !s.died);
    const connected = this.#scope.connected();
    if (ready.length > 0 && connected) {
      const docker = await connected;
      await Promise.all(ready.map(async (service) => {
        const state = await docker.inspectContainer(service.id).catch(() => undefined);
        const verdict = state && judge(state);
        if (verdict?.state === "failed") await this.#died(service, verdict.why);
      }));
    }
    for (const service of services) if (service.died) throw new StepFailure(`service "${service.name}" ${service.died}`);
  }

  /** The readiness gate before a foreground step: waits for every started service that is not ready yet. */
  async gate(forStep: string, cancellation: Cancellation): Promise<void> {
    await this.#checkAlive(this.#live.values());
    const pending = [...this.#live.values()].filter((s) => !s.ready);
    if (pending.length > 0) await this.#waitAll(pending, forStep, cancellation);
  }

  /** A `wait` (named services) or `wait-all` (`names` undefined) step. */
  async wait(names: string[] | undefined, forStep: string, cancellation: Cancellation): Promise<StepOutcome> {
    const services = names === undefined
      ? [...this.#live.values()]
      : names.map((name) => {
        const service = this.#live.get(name);
        if (!service) throw new StepFailure(`wait: service "${name}" is not running (it was canceled or never started)`);
        return service;
      });
    await this.#checkAlive(services);
    const pending = services.filter((s) => !s.ready);
    const started = performance.now();
    await this.#waitAll(pending, forStep, cancellation);
    const list = (of: Service[]) => of.map((s) => s.name).join(", ");
    const text = pending.length > 0
      ? `${forStep}: waited ${formatDuration(performance.now() - started)} for ${list(pending)}${pending.length < services.length ? ` (${list(services.filter((s) => !pending.includes(s)))} already ready)` : ""}`
      : `${forStep}: ${list(services) || "no services"} already ready, no wait`;
    await this.#scope.emit({ type: "message", level: "info", text });
    return { status: "succeeded", exitCode: EXIT_OK };
  }

  /** A `cancel` step: stops and removes the named services (a name not running is no error). */
  async cancel(names: string[]): Promise<StepOutcome> {
    await this.#scope.withEngine("cancel", async (docker) => {
      await Promise.all(
        names.map(async (name) => {
          const service = this.#live.get(name);
          if (!service) return;
          this.#live.delete(name); // no longer watched: its end is ours
          await this.#scope.remove(docker, service.id, service.name, service.spec);
        }),
      );
    });
    return { status: "succeeded", exitCode: EXIT_OK };
  }

  async #waitAll(services: Service[], forStep: string, cancellation: Cancellation): Promise<void> {
    await this.#scope.withEngine(forStep, async (docker) => {
      // Wait for all in parallel; the first failure fails the wait at once.
      const controller = new AbortController();
      try {
        await Promise.all(services.map((s) => this.#waitReady(docker, s, AbortSignal.any([controller.signal, cancellation.signal]), cancellation).catch((error) => {
          controller.abort();
          throw error;
        })));
      } finally {
        controller.abort();
      }
    });
  }

  async #waitReady(docker: DockerClient, service: Service, stop: AbortSignal, cancellation: Cancellation): Promise<void> {
    const emit = (event: RunEvent) => this.#scope.emit(event);
    const limit = readyTimeoutMs(service.spec);
    const timeout = AbortSignal.timeout(limit);
    const signal = AbortSignal.any([timeout, stop]);
    const started = performance.now();
    await emit({ type: "service", name: service.name, state: "waiting", id: service.id });
    let outcome: Readiness;
    // Subscribe first, then inspect: an event between the two cannot be missed.
    const events = await docker.events({ container: [service.id], type: ["container"] }, signal);
    try {
      outcome = judge(await docker.inspectContainer(service.id));
      if (outcome.state === "waiting") {
        outcome = { state: "failed", why: `did not become ready within ${formatDuration(limit)}` };
        for await (const event of events) {
          const verdict = eventVerdict(event);
          if (verdict) {
            outcome = verdict; // healthy, unhealthy or gone: any of them ends the wait
            break;
          }
          if (isProbeEnd(event)) {
            const detail = probeLine(await docker.inspectContainer(service.id).catch(() => undefined));
            if (detail) await emit({ type: "service", name: service.name, state: "waiting", id: service.id, detail });
          }
        }
      }
    } finally {
      void events.return(undefined);
    }
    const waited = formatDuration(performance.now() - started);
    if (outcome.state === "ready") {
      service.ready = true;
      const ports = service.spec.ports.length === 0 ? "" : publishedPorts(await docker.inspectContainer(service.id).catch(() => undefined));
      await emit({ type: "service", name: service.name, state: "ready", id: service.id, detail: `ready in ${waited}${ports}` });
      return;
    }
    if (cancellation.canceled) throw new InterruptError(cancellation.signalName, `waiting for service "${service.name}" was interrupted after ${waited}`);
    if (stop.aborted && !timeout.aborted) return; // another service failed; that failure is reported
    const why = outcome.state === "failed" ? outcome.why : "did not become ready";
    // The service's failure is reported as the service's (with its last probe and log); the step it gates did not start.
    const state = await docker.inspectContainer(service.id).catch(() => undefined);
    // The container's own order of stdout and stderr (the engine's log may hold them out of order).
    const logs = await docker.orderedLog(service.id, 50).catch(() => [] as string[]);
    await emit({ type: "service", name: service.name, state: "failed", id: service.id, detail: failureReport(service.name, why, state, logs) });
    throw new StepFailure(`not started: service "${service.name}" ${why}`);
  }
}
