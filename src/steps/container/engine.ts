/**
 * A run's connection to the Docker engine: made on first use, with the
 * run's environment of that moment (an exported `DOCKER_HOST` counts), and
 * the one place an engine's failure becomes an `EngineError` naming the step.
 * @module
 */
import { DockerClient } from "../../docker/client.ts";
import { EngineError, MusterError } from "../../errors.ts";

/** The engine of one run. */
export class EngineConnection {
  #env: () => Record<string, string>;
  #docker?: Promise<DockerClient>;

  /** `env` is the run's environment now, read when the connection is made. */
  constructor(env: () => Record<string, string>) {
    this.#env = env;
  }

  /** The engine client, connected on first use. */
  docker(): Promise<DockerClient> {
    this.#docker ??= DockerClient.connect(this.#env());
    return this.#docker;
  }

  /** The client if a connection was asked for already (undefined: no step used the engine). */
  connected(): Promise<DockerClient> | undefined {
    return this.#docker;
  }

  /**
   * Runs `fn` with the engine; a failure that is not muster's own becomes
   * an `EngineError` (exit 125) naming `step`.
   *
   * @example
   * ```ts
   * await engine.withEngine("build", (docker) => docker.inspectImage("app:1"));
   * // an engine that refuses: EngineError('build: connect ECONNREFUSED /var/run/docker.sock')
   * ```
   */
  async withEngine<T>(step: string, fn: (docker: DockerClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.docker());
    } catch (error) {
      if (error instanceof MusterError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new EngineError(`${step}: ${message}`);
    }
  }
}
