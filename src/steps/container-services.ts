/**
 * Container steps: foreground containers that run to completion, and
 * background services that become ready (healthy, or running without a
 * health check), gate later steps, and are always torn down.
 *
 * Readiness is observed from the engine's events stream, with an inspect
 * after subscribing to close the race, so the next step starts the moment
 * the engine reports `healthy`. Everything users see goes out as run
 * events (`service`, `pull.progress`, `step.output`).
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { registryAuthHeader } from "../docker/auth.ts";
import { DockerClient, type ContainerInspect } from "../docker/client.ts";
import { createBody, readyTimeoutMs } from "../docker/container-config.ts";
import { confineBody, createBodyProblems, enginePolicy } from "../docker/engine-policy.ts";
import { DockerApiError } from "../docker/errors.ts";
import { LABELS, ownerLabel, ownerState } from "../docker/owner.ts";
import { EngineError, InterruptError, MusterError, StepFailure } from "../errors.ts";
import { type ContainerSpec, mountsOf, portsOf } from "../docker/container-spec.ts";
import type { Containers, StepContext, StepOutcome } from "./kind.ts";
import type { SandboxPlan } from "./container-fields.ts";
import { parseRunArgs } from "../docker/run-args.ts";
import { formatDuration } from "../workflow/duration.ts";
import type { RunContext } from "../workflow/run-context.ts";
import type { Cancellation } from "../engine/cancellation.ts";
import type { RunEvent } from "../engine/events.ts";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.ts";

interface Service {
  name: string;
  id: string;
  spec: ContainerSpec;
  ready: boolean;
  /** Why the service stopped serving after it was ready (it exited, or became unhealthy). */
  died?: string;
}

/** What a {@linkcode ServiceManager} is handed. */
export interface ServiceManagerOptions {
  run: RunContext;
  emit(event: RunEvent): void | Promise<void>;
  /** The run's cancellation: services stop on it, and a second Ctrl-C force-removes. */
  cancellation: Cancellation;
  /** After an interrupt, a container gets at most this long to stop (`--grace`), however long its own stop_timeout. */
  graceMs?: number;
  /**
   * The run's environment now: muster's own (`run.env`) plus what exported
   * `type: env` steps have set, as a process step gets it. The engine's
   * address and registry credentials (`DOCKER_HOST`, `DOCKER_CONFIG`) come from here. Default: `run.env`.
   */
  env?: () => Record<string, string>;
  /** Whether an observer uses `service.logs` (`--log-dir`, JSON): only then is each container's log downloaded at teardown. */
  wantsLogs?: boolean;
}


/** Readiness from an inspect: ready, failed, or still waiting. */
type Readiness = { state: "ready" } | { state: "failed"; why: string } | { state: "waiting" };

function judge(state: ContainerInspect): Readiness {
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

/** What an engine event says about readiness: undefined for events that say nothing. */
function eventVerdict(event: { Action?: string; status?: string; Actor?: { Attributes?: Record<string, string> } }): Readiness | undefined {
  const action = event.Action ?? event.status ?? "";
  // "health_status: healthy" or "health_status: unhealthy".
  if (action.startsWith("health_status")) return action.includes("unhealthy") ? { state: "failed", why: "became unhealthy" } : { state: "ready" };
  if (action === "die") return { state: "failed", why: `exited with code ${event.Actor?.Attributes?.exitCode ?? "?"}` };
  return undefined;
}

/** A fresh random run id. */
export function newRunId(): string {
  return [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, "0")).join("");
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
export async function pruneOrphans(docker: DockerClient, options: PruneOptions = {}): Promise<Pruned[]> {
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

/** A sandbox container, started at the first step that runs in it. */
interface Sandbox {
  id: string;
  plan: SandboxPlan;
}

/** The container steps of one run. */
export class ServiceManager implements Containers {
  readonly runId = newRunId();
  #options: ServiceManagerOptions;
  #docker?: Promise<DockerClient>;
  /** Live background services by name. */
  #services = new Map<string, Service>();
  /** Every container created and not yet removed, by id. */
  #containers = new Map<string, string>();
  /** Watches the run's services for the whole run (started with the first service). */
  #watch?: AbortController;
  /** Sandboxes by key (`workflow`, `step:NAME`), started when first needed; the promise is shared by steps that need it at once. */
  #sandboxes = new Map<string, Promise<Sandbox>>();
  /** Containers kept at teardown, with their cleanup policy (`on_success` sandboxes: kept when the run failed). */
  #cleanup = new Map<string, "always" | "on_success" | "never">();

  constructor(options: ServiceManagerOptions) {
    this.#options = options;
  }

  /** The run's environment now (see {@linkcode ServiceManagerOptions.env}). */
  env(): Record<string, string> {
    return this.#options.env?.() ?? this.#options.run.env;
  }

  /** The engine client, connected on first use. */
  docker(): Promise<DockerClient> {
    this.#docker ??= DockerClient.connect(this.env());
    return this.#docker;
  }

  /** Removes containers of mustrs that are gone. An engine that does not answer is reported by the first container step. */
  async pruneOrphans(): Promise<void> {
    await this.docker().then(pruneOrphans).catch(() => {});
  }

  /** Runs `fn` with the engine; an engine's failure that is not muster's own becomes an `EngineError` naming `step`. */
  async withEngine<T>(step: string, fn: (docker: DockerClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.docker());
    } catch (error) {
      if (error instanceof MusterError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new EngineError(`${step}: ${message}`);
    }
  }

  async #ensureImage(docker: DockerClient, name: string, spec: ContainerSpec, cancellation: Cancellation): Promise<void> {
    const { image, pull } = spec;
    if (pull !== "always" && (await docker.hasImage(image))) return;
    if (pull === "never") throw new EngineError(`image "${image}" is not present locally and pull is "never"`);
    const emit = this.#options.emit;
    await emit({ type: "service", name, state: "pulling", detail: image });
    try {
      await docker.pullImage(image, {
        auth: await registryAuthHeader(image, this.env()),
        onProgress: (event) => void emit({ type: "pull.progress", image, id: event.id, status: event.status, progress: event.progress }),
        signal: cancellation.signal,
      });
    } catch (error) {
      if (error instanceof DockerApiError) throw new EngineError(`pulling image "${image}" failed: ${error.message}`);
      throw error;
    } finally {
      await emit({ type: "pull.progress", image, done: true });
    }
  }

  async #create(docker: DockerClient, stepName: string, spec: ContainerSpec, cancellation: Cancellation): Promise<string> {
    await this.#ensureImage(docker, stepName, spec, cancellation);
    const { run } = this.#options;
    const labels = {
      [LABELS.run]: this.runId,
      [LABELS.owner]: ownerLabel(),
      [LABELS.workflow]: run.workflow.name,
      [LABELS.step]: stepName,
      ...(run.env.MUSTER_RUN_ID ? { [LABELS.dispatch]: run.env.MUSTER_RUN_ID } : {}),
    };
    const baseDir = run.workflowFile ? dirname(run.workflowFile) : run.baseDir;
    // Under serve (and with --restrict-host) every container passes the one engine policy, whatever asked for it, then gets the run's bounds.
    const policy = enginePolicy(run.env, run.baseDir);
    const asked = createBody(spec, {
      labels,
      baseDir,
      supportsStartInterval: docker.supports("1.44"),
    });
    const refused = createBodyProblems(asked, policy)[0];
    if (refused) throw new StepFailure(`step "${stepName}": ${refused.text}`, EXIT_FAILURE);
    const body = policy.restricted ? confineBody(asked, policy) : asked;
    const name = `muster-${this.runId}-${stepName.replace(/[^a-zA-Z0-9_.-]+/g, "-")}`;
    const id = await docker.createContainer(body, name);
    this.#containers.set(id, stepName);
    return id;
  }

  /** The sandbox for `plan`, started (image pulled, workspace mounted) when first needed. */
  #sandbox(plan: SandboxPlan, cancellation: Cancellation): Promise<Sandbox> {
    let sandbox = this.#sandboxes.get(plan.key);
    if (sandbox) return sandbox;
    const name = plan.key === "workflow" ? "sandbox" : `${plan.key.slice(5)}-sandbox`;
    sandbox = this.withEngine(name, async (docker) => {
      const s = plan.settings;
      const runArgs = parseRunArgs(s.run_args);
      if ("problem" in runArgs) throw new StepFailure(`sandbox: run_args: ${runArgs.problem}`);
      const spec: ContainerSpec = {
        image: s.image,
        // Kept alive until teardown; steps run in it through exec.
        entrypoint: [s.shell, "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"],
        env: s.env,
        ports: portsOf(s.ports),
        volumes: [{ type: "bind", source: plan.hostRoot, target: s.workspace, readOnly: s.workspace_read_only }, ...mountsOf(s.mounts, plan.hostRoot, this.#options.run.env)],
        workdir: s.workspace,
        user: s.user,
        labels: {},
        pull: s.pull,
        stopTimeoutMs: 2000,
        cleanup: s.cleanup,
        runArgs: runArgs.settings,
      };
      const id = await this.#create(docker, name, spec, cancellation);
      await docker.startContainer(id);
      this.#cleanup.set(id, s.cleanup);
      await this.#options.emit({ type: "message", level: "info", text: `${name} started: ${s.image}, ${plan.hostRoot} at ${s.workspace}${s.workspace_read_only ? " (read-only)" : ""} (container ${id.slice(0, 12)})` });
      return { id, plan };
    });
    this.#sandboxes.set(plan.key, sandbox);
    sandbox.catch(() => this.#sandboxes.delete(plan.key));
    return sandbox;
  }

  /**
   * Runs a shell or script step's argv inside its sandbox (Engine API exec):
   * the step's directory maps under the workspace, the step's environment is
   * passed. An interrupted step stops its sandbox (exec has no kill): the
   * next step that needs one gets a new one.
   */
  async sandboxExec(
    plan: SandboxPlan,
    run: { argv: string[]; env: Record<string, string>; cwd: string; stdinText?: string; step: string },
    out: { stdout: (data: Uint8Array) => void | Promise<void>; stderr: (data: Uint8Array) => void | Promise<void> },
    cancellation: Cancellation,
  ): Promise<{ code: number; canceled: boolean }> {
    const rel = relative(plan.hostRoot, run.cwd);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new StepFailure(`step "${run.step}": its working directory ${run.cwd} is outside the sandbox's workspace ${plan.hostRoot} (expected a directory under it, or container: false)`);
    }
    const sandbox = await this.#sandbox(plan, cancellation);
    return this.withEngine(run.step, async (docker) => {
      const env = Object.entries(run.env).map(([k, v]) => `${k}=${v}`);
      // exec over HTTP carries no stdin: a script the interpreter reads from stdin travels in a variable.
      const argv = run.stdinText === undefined ? run.argv : [plan.settings.shell, "-c", 'printf "%s" "$MUSTER_STDIN" | "$@"', "muster", ...run.argv];
      if (run.stdinText !== undefined) env.push(`MUSTER_STDIN=${run.stdinText}`);
      const stop = () => {
        this.#sandboxes.delete(plan.key);
        void docker.removeContainer(sandbox.id, { force: true }).then(() => this.#containers.delete(sandbox.id)).catch(() => {});
      };
      cancellation.signal.addEventListener("abort", stop, { once: true });
      try {
        const code = await docker.exec(sandbox.id, { cmd: argv, env, workdir: rel === "" ? plan.settings.workspace : join(plan.settings.workspace, rel), user: plan.settings.user, signal: cancellation.signal }, (chunk) =>
          chunk.stream === 1 ? out.stdout(chunk.data) : out.stderr(chunk.data));
        return { code, canceled: cancellation.canceled };
      } catch (error) {
        if (cancellation.canceled) return { code: cancellation.exitCode, canceled: true };
        throw error;
      } finally {
        cancellation.signal.removeEventListener("abort", stop);
      }
    });
  }

  /** Runs a `run` container step: in the foreground, or started as a background service. */
  run(name: string, spec: ContainerSpec, background: boolean, ctx: StepContext): Promise<StepOutcome> {
    return background ? this.#startService(name, spec, ctx) : this.#runForeground(name, spec, ctx);
  }

  #startService(name: string, spec: ContainerSpec, ctx: StepContext): Promise<StepOutcome> {
    return this.withEngine(name, async (docker) => {
      const id = await this.#create(docker, name, spec, ctx.cancellation);
      await this.#options.emit({ type: "service", name, state: "starting", id, detail: `${spec.image}, container ${id.slice(0, 12)}` });
      await docker.startContainer(id);
      this.#services.set(name, { name, id, spec, ready: false });
      await this.#watchServices(docker);
      return { status: "succeeded", exitCode: EXIT_OK };
    });
  }

  #runForeground(name: string, spec: ContainerSpec, ctx: StepContext): Promise<StepOutcome> {
    const { cancellation } = ctx;
    return this.withEngine(name, async (docker) => {
      const id = await this.#create(docker, name, spec, cancellation);
      const onCancel = () => void docker.stopContainer(id, Math.ceil(spec.stopTimeoutMs / 1000)).catch(() => {});
      const onForce = () => void docker.removeContainer(id, { force: true }).catch(() => {});
      cancellation.signal.addEventListener("abort", onCancel, { once: true });
      cancellation.forceSignal.addEventListener("abort", onForce, { once: true });
      let keep = spec.cleanup === "never";
      try {
        await docker.startContainer(id);
        // Through the step's sinks: a later template reading this step's result gets its stdout.
        const seen = { 1: 0, 2: 0 };
        const forward = async (stream: 1 | 2, data: Uint8Array) => {
          seen[stream] += data.length;
          const sink = ctx.streams[stream === 1 ? "stdout" : "stderr"];
          await (typeof sink === "function" ? sink(data) : ctx.write(stream, data));
        };
        for await (const chunk of docker.logs(id, { follow: true, tty: false })) await forward(chunk.stream === 1 ? 1 : 2, chunk.data);
        const code = await docker.waitContainer(id);
        // A follow stream can end before the engine copied a container's last bytes (a last line without a newline, at exit): read the log again for what it missed.
        const read = { 1: 0, 2: 0 };
        for await (const chunk of docker.logs(id, { follow: false, tty: false })) {
          const stream = chunk.stream === 1 ? 1 : 2;
          const skip = Math.max(0, Math.min(chunk.data.length, seen[stream] - read[stream]));
          read[stream] += chunk.data.length;
          if (skip < chunk.data.length) await forward(stream, chunk.data.subarray(skip));
        }
        if (cancellation.canceled) return { status: "canceled", exitCode: code };
        if (code !== EXIT_OK) {
          keep ||= spec.cleanup === "on_success";
          const kept = keep ? ` (kept for inspection: docker logs ${id.slice(0, 12)}; docker rm ${id.slice(0, 12)} when done)` : "";
          return { status: "failed", exitCode: code, error: `container exited with code ${code}${kept}` };
        }
        if (!ctx.capture) return { status: "succeeded", exitCode: EXIT_OK };
        const { capturedValue } = await import("./process.ts");
        const value = await capturedValue(ctx.capture, ctx, name, { trim: true });
        return { status: "succeeded", exitCode: EXIT_OK, value: { ...value, metadata: { ...value.metadata, container_id: id } } };
      } finally {
        cancellation.signal.removeEventListener("abort", onCancel);
        cancellation.forceSignal.removeEventListener("abort", onForce);
        // cleanup: never (and on_success after a failure) keeps the container, as Atmos; an interrupt always removes it.
        if (keep && !cancellation.canceled) {
          this.#containers.delete(id);
          await this.#options.emit({ type: "message", level: "warn", text: `step "${name}": kept container ${id.slice(0, 12)} (cleanup: ${spec.cleanup}); remove it with docker rm ${id.slice(0, 12)}` });
        } else {
          await docker.removeContainer(id, { force: true }).catch(() => {});
          this.#containers.delete(id);
        }
      }
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
    const events = await docker.events({ label: [`${LABELS.run}=${this.runId}`], type: ["container"] }, watch.signal);
    void (async () => {
      for await (const event of events) {
        const service = [...this.#services.values()].find((s) => s.id === event.id || s.id === event.Actor?.ID);
        if (!service || !service.ready || service.died) continue;
        // (A death found by an inspect first is reported there; this one is not reported twice.)
        const verdict = eventVerdict(event);
        if (verdict?.state !== "failed") continue;
        service.died = `${verdict.why} after it was ready`;
        await this.#options.emit({ type: "service", name: service.name, state: "died", id: service.id, detail: service.died });
      }
    })().catch(() => {});
  }

  /**
   * A service that died after it was ready fails whatever needs it. The
   * events watch reports deaths as they happen; an inspect here closes the
   * window between a container's exit and its event.
   */
  async #checkAlive(iterable: Iterable<Service>): Promise<void> {
    const services = [...iterable];
    const ready = services.filter((s) => s.ready && !s.died);
    if (ready.length > 0 && this.#docker) {
      const docker = await this.#docker;
      await Promise.all(ready.map(async (service) => {
        const state = await docker.inspectContainer(service.id).catch(() => undefined);
        const verdict = state && judge(state);
        if (verdict?.state !== "failed") return;
        service.died = `${verdict.why} after it was ready`;
        await this.#options.emit({ type: "service", name: service.name, state: "died", id: service.id, detail: service.died });
      }));
    }
    for (const service of services) if (service.died) throw new StepFailure(`service "${service.name}" ${service.died}`);
  }

  /** The readiness gate before a foreground step: waits for every started service that is not ready yet. */
  async gate(forStep: string, cancellation: Cancellation = this.#options.cancellation): Promise<void> {
    await this.#checkAlive(this.#services.values());
    const pending = [...this.#services.values()].filter((s) => !s.ready);
    if (pending.length > 0) await this.#waitAll(pending, forStep, cancellation);
  }

  /** A `wait` (named services) or `wait-all` (`names` undefined) step. */
  async wait(names: string[] | undefined, forStep: string, cancellation: Cancellation = this.#options.cancellation): Promise<StepOutcome> {
    const services = names === undefined
      ? [...this.#services.values()]
      : names.map((name) => {
        const service = this.#services.get(name);
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
    await this.#options.emit({ type: "message", level: "info", text });
    return { status: "succeeded", exitCode: EXIT_OK };
  }

  async #waitAll(services: Service[], forStep: string, cancellation: Cancellation): Promise<void> {
    await this.withEngine(forStep, async (docker) => {
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
    const limit = readyTimeoutMs(service.spec);
    const timeout = AbortSignal.timeout(limit);
    const signal = AbortSignal.any([timeout, stop]);
    const started = performance.now();
    await this.#options.emit({ type: "service", name: service.name, state: "waiting", id: service.id });
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
          // A health probe ended (the engine runs it as an exec): show what it said while the wait goes on.
          if ((event.Action ?? event.status ?? "").startsWith("exec_die")) await this.#probeResult(docker, service);
        }
      }
    } finally {
      void events.return(undefined);
    }
    const waited = formatDuration(performance.now() - started);
    if (outcome.state === "ready") {
      service.ready = true;
      await this.#options.emit({ type: "service", name: service.name, state: "ready", id: service.id, detail: `ready in ${waited}${await this.#ports(docker, service)}` });
      return;
    }
    if (cancellation.canceled) throw new InterruptError(cancellation.signalName, `waiting for service "${service.name}" was interrupted after ${waited}`);
    if (stop.aborted && !timeout.aborted) return; // another service failed; that failure is reported
    const why = outcome.state === "failed" ? outcome.why : "did not become ready";
    // The service's failure is reported as the service's (with its last probe and log); the step it gates did not start.
    await this.#options.emit({ type: "service", name: service.name, state: "failed", id: service.id, detail: await this.#failure(docker, service, why) });
    throw new StepFailure(`not started: service "${service.name}" ${why}`);
  }

  /** Emits the last health probe's exit code and first output line as the waiting service's detail. */
  async #probeResult(docker: DockerClient, service: Service): Promise<void> {
    const probe = (await docker.inspectContainer(service.id).catch(() => undefined))?.State.Health?.Log?.at(-1);
    if (!probe) return;
    const said = probe.Output.trim().split("\n")[0]?.slice(0, 80) || "no output";
    await this.#options.emit({ type: "service", name: service.name, state: "waiting", id: service.id, detail: `last probe: exit ${probe.ExitCode}, ${said}` });
  }

  async #ports(docker: DockerClient, service: Service): Promise<string> {
    if (service.spec.ports.length === 0) return "";
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
    // The container's own order of stdout and stderr (the engine's log may hold them out of order).
    const logs = await docker.orderedLog(service.id, 50).catch(() => [] as string[]);
    while (logs.length > 0 && logs.at(-1)!.trim() === "") logs.pop();
    if (logs.length > 0) lines.push("  last 50 log lines:", ...logs.map((l) => `    ${l}`));
    return lines.join("\n");
  }

  /** A `cancel` step: stops and removes the named services. */
  async cancel(names: string[]): Promise<StepOutcome> {
    await this.withEngine("cancel", async (docker) => {
      await Promise.all(
        names.map(async (name) => {
          const service = this.#services.get(name);
          if (!service) return;
          this.#services.delete(name); // no longer watched: its end is ours
          await this.#remove(docker, service.id, service.name, service.spec);
        }),
      );
    });
    return { status: "succeeded", exitCode: EXIT_OK };
  }

  async #remove(docker: DockerClient, id: string, name: string, spec: ContainerSpec | undefined): Promise<void> {
    const { cancellation, emit } = this.#options;
    const what = this.#cleanup.has(id) ? "sandbox" as const : spec === undefined ? "container" as const : undefined;
    await emit({ type: "service", name, state: "removing", id, what });
    const removeForce = () => docker.removeContainer(id, { force: true });
    if (cancellation.forced) await removeForce();
    else {
      // A second Ctrl-C during a graceful stop switches to kill-and-remove.
      const done = new AbortController();
      const forced = new Promise<void>((resolve) => {
        cancellation.forceSignal.addEventListener("abort", () => resolve(), { once: true, signal: done.signal });
      });
      const own = spec?.stopTimeoutMs ?? 5000;
      const stopMs = cancellation.canceled && this.#options.graceMs !== undefined ? Math.min(own, this.#options.graceMs) : own;
      const graceful = (async () => {
        await docker.stopContainer(id, Math.ceil(stopMs / 1000));
        await docker.removeContainer(id);
      })();
      try {
        await Promise.race([graceful, forced.then(removeForce)]);
      } finally {
        done.abort(); // removes the listener on the run's force signal
      }
    }
    this.#containers.delete(id);
    await emit({ type: "service", name, state: "removed", id, what });
  }

  /**
   * Stops and removes every container of this run, all in parallel; a
   * sandbox whose `cleanup` says so is kept (`never`, or `on_success` when
   * the run `failed`), unless the run was interrupted.
   */
  async teardown(options: { failed?: boolean } = {}): Promise<void> {
    this.#watch?.abort(); // what dies now is our doing
    await Promise.allSettled(this.#sandboxes.values());
    if (this.#containers.size === 0 || !this.#docker) return;
    const docker = await this.#docker.catch(() => undefined);
    if (!docker) return;
    const steps = new Map([...this.#services.values()].map((s) => [s.id, s.spec]));
    const started = performance.now();
    const keep = (id: string) => {
      const policy = this.#cleanup.get(id);
      return !this.#options.cancellation.canceled && (policy === "never" || (policy === "on_success" && options.failed === true));
    };
    for (const [id, name] of [...this.#containers.entries()].filter(([id]) => keep(id))) {
      this.#containers.delete(id);
      await this.#options.emit({ type: "message", level: "warn", text: `kept ${name} container ${id.slice(0, 12)} (cleanup: ${this.#cleanup.get(id)}); remove it with docker rm -f ${id.slice(0, 12)}` });
    }
    this.#sandboxes.clear();
    const ids = [...this.#containers.entries()];
    // Each service's log, for --log-dir or JSON, before it goes (stdout and stderr in the container's own order);
    // not when nothing uses it, nor after a second Ctrl-C, which must not wait for a download.
    const collect = this.#options.wantsLogs === true && !this.#options.cancellation.forced;
    if (collect) await Promise.all(ids.map(async ([id, name]) => {
      const lines = await docker.orderedLog(id).catch(() => undefined);
      if (lines === undefined) return; // gone already
      await this.#options.emit({ type: "service.logs", name, id, data: new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")) });
    }));
    await Promise.all(
      ids.map(async ([id, name]) => {
        try {
          await this.#remove(docker, id, name, steps.get(id));
        } catch (error) {
          await this.#options.emit({ type: "message", level: "error", text: `could not remove container ${id.slice(0, 12)} of step "${name}": ${(error as Error).message}` });
        }
      }),
    );
    this.#services.clear();
    if (ids.length > 1) await this.#options.emit({ type: "message", level: "info", text: `tore down ${ids.length} containers in ${formatDuration(performance.now() - started)}` });
  }
}
