/**
 * Errors from talking to the Docker engine.
 * @module
 */

/** The engine answered with an error; `message` is the engine's own. */
export class DockerApiError extends Error {
  constructor(readonly status: number, message: string, readonly operation: string) {
    super(message);
    this.name = "DockerApiError";
  }
}

/** No engine answered at the endpoint. */
export class DockerUnreachableError extends Error {
  constructor(endpoint: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot reach the Docker engine at ${endpoint}: ${reason}; is dockerd running?`, { cause });
    this.name = "DockerUnreachableError";
  }
}
