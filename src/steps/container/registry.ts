/**
 * A run's containers, behind the contract's `Containers` interface: every
 * container the run created (foreground runs, services, sandboxes) until
 * it is removed, the live services and the sandboxes, and the teardown
 * that stops and removes them all (keeping what a `cleanup` policy keeps).
 * The jobs themselves are beside it: `engine.ts` (the connection),
 * `run.ts` (foreground runs), `service.ts` (services and readiness),
 * `sandbox.ts`, and `docker/lifecycle.ts` (pull, create, remove, prune).
 * @module
 */
import { dirname } from "node:path";
import type { DockerClient } from "../../docker/client.ts";
import type { ContainerSpec } from "../../docker/container-spec.ts";
import { enginePolicy } from "../../docker/engine-policy.ts";
import { createContainer, ensureImage, newRunId, pruneOrphans, removeContainer } from "../../docker/lifecycle.ts";
import type { Cancellation } from "../../engine/cancellation.ts";
import type { RunEvent } from "../../engine/events.ts";
import { formatDuration } from "../../workflow/duration.ts";
import type { RunContext } from "../../workflow/run-context.ts";
import type { Containers, StepContext, StepOutcome } from "../kind.ts";
import { EngineConnection } from "./engine.ts";
import { runForeground } from "./run.ts";
import { Sandboxes } from "./sandbox.ts";
import type { ContainerScope } from "./scope.ts";
import { Services } from "./service.ts";

/** What a {@linkcode RunContainers} is handed. */
export interface RunContainersOptions {
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

/** How long a container without a stop timeout of its own (a sandbox, a container removed at teardown) may take to stop. */
const DEFAULT_STOP_MS = 5000;

/**
 * The containers of one run.
 *
 * @example
 * ```ts
 * const containers = new RunContainers({ run, emit, cancellation, graceMs: 5000, wantsLogs: false });
 * await containers.pruneOrphans();
 * await containers.run("db", spec, true, ctx); // a service, started
 * await containers.gate("migrate", cancellation); // waits until it is ready
 * await containers.teardown({ failed: false });
 * ```
 */
export class RunContainers implements Containers {
  readonly runId = newRunId();
  #options: RunContainersOptions;
  #engine: EngineConnection;
  /** Every container created and not yet removed: its step, by id. */
  #containers = new Map<string, string>();
  /** Sandboxes' cleanup policies, by id (`on_success` sandboxes are kept when the run failed). */
  #cleanup = new Map<string, "always" | "on_success" | "never">();
  #services: Services;
  #sandboxes: Sandboxes;

  constructor(options: RunContainersOptions) {
    this.#options = options;
    this.#engine = new EngineConnection(() => this.env());
    const scope = this.#scope();
    this.#services = new Services(scope, this.runId);
    this.#sandboxes = new Sandboxes(scope);
  }

  /** What the parts get: the one place containers are created, tracked and removed. */
  #scope(): ContainerScope {
    const options = this.#options;
    return {
      run: options.run,
      cancellation: options.cancellation,
      emit: (event) => options.emit(event),
      env: () => this.env(),
      withEngine: (step, fn) => this.withEngine(step, fn),
      connected: () => this.#engine.connected(),
      create: (docker, step, spec, cancellation) => this.#create(docker, step, spec, cancellation),
      sandboxed: (id, cleanup) => void this.#cleanup.set(id, cleanup),
      remove: (docker, id, name, spec) => this.#remove(docker, id, name, spec),
      forget: (id) => void this.#containers.delete(id),
    };
  }

  /** The run's environment now (see {@linkcode RunContainersOptions.env}). */
  env(): Record<string, string> {
    return this.#options.env?.() ?? this.#options.run.env;
  }

  /** The engine client, connected on first use. */
  docker(): Promise<DockerClient> {
    return this.#engine.docker();
  }

  /** Removes containers of musters that are gone. An engine that does not answer is reported by the first container step. */
  async pruneOrphans(): Promise<void> {
    await this.docker().then((docker) => pruneOrphans(docker)).catch(() => {});
  }

  /** Runs `fn` with the engine; an engine's failure that is not muster's own becomes an `EngineError` naming `step`. */
  withEngine<T>(step: string, fn: (docker: DockerClient) => Promise<T>): Promise<T> {
    return this.#engine.withEngine(step, fn);
  }

  /** Runs a shell or script step's argv inside its sandbox (see `sandbox.ts`). */
  sandboxExec(...args: Parameters<Containers["sandboxExec"]>): ReturnType<Containers["sandboxExec"]> {
    return this.#sandboxes.exec(...args);
  }

  /** Runs a `run` container step: in the foreground, or started as a background service. */
  run(name: string, spec: ContainerSpec, background: boolean, ctx: StepContext): Promise<StepOutcome> {
    return background ? this.#services.start(name, spec, ctx) : runForeground(this.#scope(), name, spec, ctx);
  }

  /** The readiness gate before a foreground step: waits for every started service that is not ready yet. */
  gate(forStep: string, cancellation: Cancellation = this.#options.cancellation): Promise<void> {
    return this.#services.gate(forStep, cancellation);
  }

  /** A `wait` (named services) or `wait-all` (`names` undefined) step. */
  wait(names: string[] | undefined, forStep: string, cancellation: Cancellation = this.#options.cancellation): Promise<StepOutcome> {
    return this.#services.wait(names, forStep, cancellation);
  }

  /** A `cancel` step: stops and removes the named services. */
  cancel(names: string[]): Promise<StepOutcome> {
    return this.#services.cancel(names);
  }

  async #create(docker: DockerClient, step: string, spec: ContainerSpec, cancellation: Cancellation): Promise<string> {
    const { run, emit } = this.#options;
    const image = spec.image;
    await ensureImage(docker, spec, this.env(), {
      pulling: () => emit({ type: "service", name: step, state: "pulling", detail: image }),
      progress: (event) => void emit({ type: "pull.progress", image, id: event.id, status: event.status, progress: event.progress }),
      done: () => emit({ type: "pull.progress", image, done: true }),
    }, cancellation.signal);
    const id = await createContainer(docker, spec, {
      runId: this.runId,
      workflow: run.workflow.name,
      step,
      dispatch: run.env.MUSTER_RUN_ID,
      baseDir: run.workflowFile ? dirname(run.workflowFile) : run.baseDir,
      // Under serve (and with --restrict-host) every container passes the one engine policy, whatever asked for it, then gets the run's bounds.
      policy: enginePolicy(run.env, run.baseDir),
    });
    this.#containers.set(id, step);
    return id;
  }

  async #remove(docker: DockerClient, id: string, name: string, spec: ContainerSpec | undefined): Promise<void> {
    const { cancellation, emit, graceMs } = this.#options;
    const what = this.#cleanup.has(id) ? "sandbox" as const : spec === undefined ? "container" as const : undefined;
    await emit({ type: "service", name, state: "removing", id, what });
    const own = spec?.stopTimeoutMs ?? DEFAULT_STOP_MS;
    const stopMs = cancellation.canceled && graceMs !== undefined ? Math.min(own, graceMs) : own;
    // A second Ctrl-C during a graceful stop switches to kill-and-remove.
    await removeContainer(docker, id, { stopMs, forced: cancellation.forced, forceSignal: cancellation.forceSignal });
    this.#containers.delete(id);
    await emit({ type: "service", name, state: "removed", id, what });
  }

  /**
   * Stops and removes every container of this run, all in parallel; a
   * sandbox whose `cleanup` says so is kept (`never`, or `on_success` when
   * the run `failed`), unless the run was interrupted. Each container's log
   * is downloaded first only when an observer wants it (`wantsLogs`), and
   * never after a second Ctrl-C, which must not wait for a download.
   */
  async teardown(options: { failed?: boolean } = {}): Promise<void> {
    const { cancellation, emit } = this.#options;
    this.#services.stopWatching(); // what dies now is our doing
    await this.#sandboxes.settled();
    const connected = this.#engine.connected();
    if (this.#containers.size === 0 || !connected) return;
    const docker = await connected.catch(() => undefined);
    if (!docker) return;
    const specs = this.#services.specsById();
    const started = performance.now();
    const keep = (id: string) => {
      const policy = this.#cleanup.get(id);
      return !cancellation.canceled && (policy === "never" || (policy === "on_success" && options.failed === true));
    };
    for (const [id, name] of [...this.#containers.entries()].filter(([id]) => keep(id))) {
      this.#containers.delete(id);
      await emit({ type: "message", level: "warn", text: `kept ${name} container ${id.slice(0, 12)} (cleanup: ${this.#cleanup.get(id)}); remove it with docker rm -f ${id.slice(0, 12)}` });
    }
    this.#sandboxes.clear();
    const ids = [...this.#containers.entries()];
    if (this.#options.wantsLogs === true && !cancellation.forced) await this.#collectLogs(docker, ids);
    await Promise.all(
      ids.map(async ([id, name]) => {
        try {
          await this.#remove(docker, id, name, specs.get(id));
        } catch (error) {
          await emit({ type: "message", level: "error", text: `could not remove container ${id.slice(0, 12)} of step "${name}": ${(error as Error).message}` });
        }
      }),
    );
    this.#services.clear();
    if (ids.length > 1) await emit({ type: "message", level: "info", text: `tore down ${ids.length} containers in ${formatDuration(performance.now() - started)}` });
  }

  /** Each container's whole log as a `service.logs` event (stdout and stderr in the container's own order), before it goes. */
  async #collectLogs(docker: DockerClient, ids: Array<[string, string]>): Promise<void> {
    await Promise.all(ids.map(async ([id, name]) => {
      const lines = await docker.orderedLog(id).catch(() => undefined);
      if (lines === undefined) return; // gone already
      await this.#options.emit({ type: "service.logs", name, id, data: new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")) });
    }));
  }
}
