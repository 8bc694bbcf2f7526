/**
 * What the parts of a run's containers (foreground runs, services, the
 * sandbox) get from the registry that owns them (`registry.ts`): the
 * engine, the run's events and cancellation, and the one place that
 * creates, tracks and removes containers, so teardown knows every one.
 * @module
 */
import type { DockerClient } from "../../docker/client.ts";
import type { ContainerSpec } from "../../docker/container-spec.ts";
import type { Cancellation } from "../../engine/cancellation.ts";
import type { RunEvent } from "../../engine/events.ts";
import type { RunContext } from "../../workflow/run-context.ts";

/** The run's containers, as their parts see them. */
export interface ContainerScope {
  readonly run: RunContext;
  /** The run's cancellation: services stop on it, and a second Ctrl-C force-removes. */
  readonly cancellation: Cancellation;
  emit(event: RunEvent): void | Promise<void>;
  /** The run's environment now (muster's own plus what exported `type: env` steps set). */
  env(): Record<string, string>;
  /** Runs `fn` with the engine; a failure that is not muster's own becomes an `EngineError` naming `step`. */
  withEngine<T>(step: string, fn: (docker: DockerClient) => Promise<T>): Promise<T>;
  /** The engine, when a step has connected to it already (undefined otherwise: nothing to ask it). */
  connected(): Promise<DockerClient> | undefined;
  /** Pulls the image as `spec.pull` says and creates (not starts) the container of `step`, tracked until removed; returns its id. */
  create(docker: DockerClient, step: string, spec: ContainerSpec, cancellation: Cancellation): Promise<string>;
  /** Marks a started container as a sandbox with its `cleanup` policy (teardown may keep it). */
  sandboxed(id: string, cleanup: "always" | "on_success" | "never"): void;
  /** Stops (within its stop timeout, or `--grace` once interrupted) and removes a container, reporting it; a force kills it at once. */
  remove(docker: DockerClient, id: string, name: string, spec: ContainerSpec | undefined): Promise<void>;
  /** No longer tracks a container (removed by its step, or kept on purpose). */
  forget(id: string): void;
}
