/**
 * A small Docker Engine API client over `fetch`: the unix socket by default,
 * or TCP (with TLS). Negotiates the API version from `/_ping`.
 *
 * @example
 * ```ts
 * const docker = await DockerClient.connect(platform.env());
 * const id = await docker.createContainer({ Image: "busybox" });
 * await docker.startContainer(id);
 * ```
 * @module
 */
import { platform } from "../platform/index.ts";
import { resolveEndpoint, type DockerEndpoint } from "./endpoint.ts";
import { DockerApiError, DockerUnreachableError } from "./errors.ts";
import { demuxLogs, jsonLines, type LogChunk } from "./streams.ts";
import { attachContainer, type AttachedStreams } from "./attach.ts";

const decoder = new TextDecoder();

/** The newest API version muster speaks; older engines are used at theirs. */
export const MAX_API_VERSION = "1.45";

/** Compares dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

/** Container state as `inspect` reports it (the parts muster reads). */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Config: { Tty?: boolean; Healthcheck?: { Test?: string[] }; Labels?: Record<string, string> };
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    Health?: { Status: string; Log?: Array<{ ExitCode: number; Output: string }> };
  };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> };
}

/** An image as `GET /images/{name}/json` reports it (the parts muster reads). */
export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Size?: number;
  Created?: string;
  Architecture?: string;
  Os?: string;
}

/** One message of a build or push stream. */
export interface ProgressMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** One engine event. */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

type Query = Record<string, string | number | boolean | undefined>;
/** Options of one request. @internal */
interface RequestOptions {
  query?: Query | URLSearchParams;
  body?: unknown;
  /** A body sent as it is (a build context, streamed), instead of JSON. */
  raw?: ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A connection to one engine. */
export class DockerClient {
  readonly endpoint: DockerEndpoint;
  readonly apiVersion: string;

  private constructor(endpoint: DockerEndpoint, apiVersion: string) {
    this.endpoint = endpoint;
    this.apiVersion = apiVersion;
  }

  /** Resolves the endpoint, pings the engine and negotiates the API version. */
  static async connect(env: Record<string, string | undefined>): Promise<DockerClient> {
    const endpoint = await resolveEndpoint(env);
    let response: Response;
    try {
      response = await platform.fetchVia(new Request(`${endpoint.baseUrl}/_ping`), endpoint.transport);
    } catch (error) {
      throw new DockerUnreachableError(endpoint.display, error);
    }
    await response.body?.cancel();
    if (!response.ok) throw new DockerUnreachableError(endpoint.display, new Error(`/_ping answered ${response.status}`));
    const server = response.headers.get("api-version") ?? "1.41";
    const version = compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    return new DockerClient(endpoint, version);
  }

  /** Whether the negotiated API is at least `version`. */
  supports(version: string): boolean {
    return compareVersions(this.apiVersion, version) >= 0;
  }

  async #fetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.endpoint.baseUrl}/v${this.apiVersion}${path}`);
    if (options.query instanceof URLSearchParams) url.search = options.query.toString();
    else for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const request = new Request(url, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      signal: options.signal,
      // A streamed body is sent as it is produced (fetch requires saying so).
      ...(options.raw ? { duplex: "half" } : {}),
    } as RequestInit);
    try {
      return await platform.fetchVia(request, this.endpoint.transport);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new DockerUnreachableError(this.endpoint.display, error);
    }
  }

  /** Sends a request; throws {@linkcode DockerApiError} with the engine's message on failure. */
  async #call(operation: string, method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const response = await this.#fetch(method, path, options);
    if (response.ok) return response;
    const text = await response.text();
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    throw new DockerApiError(response.status, message || `${operation}: HTTP ${response.status}`, operation);
  }

  async #json<T>(operation: string, method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#call(operation, method, path, options);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Whether the image is present locally. */
  async hasImage(image: string): Promise<boolean> {
    const response = await this.#fetch("GET", `/images/${encodeURIComponent(image)}/json`);
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw new DockerApiError(response.status, `inspecting image ${image} failed`, "image inspect");
    return true;
  }

  /**
   * Pulls `image`, reporting each progress message; throws on the first error message.
   */
  async pullImage(image: string, options: { auth?: string; onProgress?: (event: { status?: string; id?: string; progress?: string }) => void; signal?: AbortSignal } = {}): Promise<void> {
    const { name, tag } = splitImage(image);
    const response = await this.#call("pull", "POST", "/images/create", {
      query: { fromImage: name, tag },
      headers: options.auth ? { "X-Registry-Auth": options.auth } : {},
      signal: options.signal,
    });
    for await (const event of jsonLines<{ status?: string; id?: string; progress?: string; error?: string; errorDetail?: { message?: string } }>(response.body!)) {
      if (event.error || event.errorDetail) throw new DockerApiError(500, event.errorDetail?.message ?? event.error ?? "pull failed", "pull");
      options.onProgress?.(event);
    }
  }

  /** An image's metadata, or undefined when it is not present. */
  async inspectImage(image: string): Promise<ImageInspect | undefined> {
    const response = await this.#fetch("GET", `/images/${encodeURIComponent(image)}/json`);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw new DockerApiError(response.status, (await response.text()).trim() || `inspecting image ${image} failed`, "image inspect");
    return (await response.json()) as ImageInspect;
  }

  /**
   * Builds an image from a tar `context` (`POST /build`), reporting each
   * message; returns the image id. The engine's own error messages fail it.
   */
  async buildImage(context: ReadableStream<Uint8Array>, query: URLSearchParams, options: { onMessage?: (message: ProgressMessage) => void; signal?: AbortSignal; registryConfig?: string } = {}): Promise<string> {
    const response = await this.#call("build", "POST", "/build", {
      query,
      raw: context,
      headers: { "content-type": "application/x-tar", ...(options.registryConfig ? { "X-Registry-Config": options.registryConfig } : {}) },
      signal: options.signal,
    });
    const id = (await progressStream(response, "build", options.onMessage)).ID;
    if (!id) throw new DockerApiError(500, "the engine reported no image id for the build", "build");
    return id;
  }

  /** Gives `image` another name (`repo:tag`). */
  async tagImage(image: string, target: string): Promise<void> {
    const { name, tag } = splitImage(target);
    await (await this.#call("tag", "POST", `/images/${encodeURIComponent(image)}/tag`, { query: { repo: name, tag } })).body?.cancel();
  }

  /** Pushes `image` (`name:tag`); returns the digest the registry reported. */
  async pushImage(image: string, options: { auth?: string; onProgress?: (message: ProgressMessage) => void; signal?: AbortSignal } = {}): Promise<string> {
    const { name, tag } = splitImage(image);
    // The engine requires the header even without credentials: "{}".
    const response = await this.#call("push", "POST", `/images/${encodeURIComponent(name)}/push`, {
      query: { tag },
      headers: { "X-Registry-Auth": options.auth ?? "e30=" },
      signal: options.signal,
    });
    return (await progressStream(response, "push", options.onProgress)).Digest ?? "";
  }

  /**
   * Runs `cmd` in a running container (`exec`), streaming its output, and
   * returns its exit code.
   */
  async exec(id: string, options: { cmd: string[]; env?: string[]; workdir?: string; user?: string; signal?: AbortSignal }, onOutput: (chunk: LogChunk) => void | Promise<void>): Promise<number> {
    const created = await this.#json<{ Id: string }>("exec create", "POST", `/containers/${id}/exec`, {
      body: { Cmd: options.cmd, Env: options.env, WorkingDir: options.workdir, User: options.user, AttachStdout: true, AttachStderr: true, Tty: false },
    });
    const response = await this.#call("exec start", "POST", `/exec/${created.Id}/start`, { body: { Detach: false, Tty: false }, signal: options.signal });
    for await (const chunk of demuxLogs(response.body!, false)) await onOutput(chunk);
    for (;;) {
      const state = await this.#json<{ ExitCode: number | null; Running: boolean }>("exec inspect", "GET", `/exec/${created.Id}/json`);
      if (!state.Running) return state.ExitCode ?? 1;
      await new Promise((resolve) => setTimeout(resolve, 20)); // the stream ended a moment before the engine noted the exit
    }
  }

  /** Creates a container; returns its id. */
  async createContainer(body: Record<string, unknown>, name?: string): Promise<string> {
    const created = await this.#json<{ Id: string }>("create", "POST", "/containers/create", { query: { name }, body });
    return created.Id;
  }

  /** Attaches to a created container's stdin (with `stdin`) and output, over a hijacked connection (`attach.ts`). */
  attach(id: string, options: { stdin: boolean }): Promise<AttachedStreams> {
    return attachContainer(this.endpoint, this.apiVersion, id, options);
  }

  /** Sets the size of a running container's TTY. */
  async resizeContainer(id: string, size: { columns: number; rows: number }): Promise<void> {
    await (await this.#call("resize", "POST", `/containers/${id}/resize`, { query: { h: size.rows, w: size.columns } })).body?.cancel();
  }

  /** Sends `signal` to a running container's main process; a stopped or gone container is fine. */
  async signalContainer(id: string, signal: string): Promise<void> {
    const response = await this.#fetch("POST", `/containers/${id}/kill`, { query: { signal } });
    await response.body?.cancel();
  }

  async startContainer(id: string): Promise<void> {
    await (await this.#call("start", "POST", `/containers/${id}/start`)).body?.cancel();
  }

  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.#json<ContainerInspect>("inspect", "GET", `/containers/${id}/json`);
  }

  /** Waits for the container to stop; returns its exit code. */
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const result = await this.#json<{ StatusCode: number }>("wait", "POST", `/containers/${id}/wait`, { signal });
    return result.StatusCode;
  }

  /** Stops (SIGTERM, then SIGKILL after `timeoutSeconds`); an already stopped container is fine. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const response = await this.#fetch("POST", `/containers/${id}/stop`, { query: { t: timeoutSeconds } });
    await response.body?.cancel();
    if (!response.ok && response.status !== 304 && response.status !== 404) {
      throw new DockerApiError(response.status, `stopping ${id.slice(0, 12)} failed`, "stop");
    }
  }

  /** Removes a container and its anonymous volumes; a gone container is fine. */
  async removeContainer(id: string, options: { force?: boolean } = {}): Promise<void> {
    const response = await this.#fetch("DELETE", `/containers/${id}`, { query: { force: options.force ?? false, v: true } });
    const text = await response.text();
    if (!response.ok && response.status !== 404) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // keep text
      }
      // "removal already in progress" means someone else is removing it.
      if (response.status === 409 && /already in progress/.test(message)) return;
      throw new DockerApiError(response.status, message, "remove");
    }
  }

  /** Containers carrying all of `labels` (`key` or `key=value`), running or not. */
  listContainers(labels: string[]): Promise<Array<{ Id: string; Names: string[]; Labels: Record<string, string>; State: string; Created?: number }>> {
    return this.#json("list", "GET", "/containers/json", { query: { all: true, filters: JSON.stringify({ label: labels }) } });
  }

  /** Creates a network; returns its id. */
  async createNetwork(body: Record<string, unknown>): Promise<string> {
    return (await this.#json<{ Id: string }>("network create", "POST", "/networks/create", { body })).Id;
  }

  /** Removes a network; a gone network is fine. */
  async removeNetwork(id: string): Promise<void> {
    const response = await this.#fetch("DELETE", `/networks/${id}`);
    const text = await response.text();
    if (!response.ok && response.status !== 404) throw new DockerApiError(response.status, text, "network remove");
  }

  /** Networks carrying all of `labels` (`key` or `key=value`). */
  listNetworks(labels: string[]): Promise<Array<{ Id: string; Name: string; Labels: Record<string, string> }>> {
    return this.#json("network list", "GET", "/networks", { query: { filters: JSON.stringify({ label: labels }) } });
  }

  /** The container's output, demultiplexed; `follow` streams until it stops. */
  async *logs(id: string, options: { follow: boolean; tail?: number; tty?: boolean; timestamps?: boolean; signal?: AbortSignal }): AsyncGenerator<LogChunk> {
    const response = await this.#call("logs", "GET", `/containers/${id}/logs`, {
      query: { follow: options.follow, stdout: true, stderr: true, tail: options.tail ?? "all", timestamps: options.timestamps ?? false },
      signal: options.signal,
    });
    yield* demuxLogs(response.body!, options.tty ?? false);
  }

  /**
   * A stopped or running container's log as lines, stdout and stderr in the
   * order the container wrote them: the engine stores the two streams as
   * separate copiers read them, so its log can hold them out of order; each
   * line's timestamp puts them back.
   */
  async orderedLog(id: string, tail?: number): Promise<string[]> {
    const lines: Array<{ at: string; text: string; n: number }> = [];
    let partial = "";
    for await (const chunk of this.logs(id, { follow: false, tail, timestamps: true })) {
      const text = partial + decoder.decode(chunk.data);
      const complete = text.split("\n");
      partial = complete.pop()!;
      for (const line of complete) {
        const space = line.indexOf(" ");
        lines.push({ at: line.slice(0, space), text: line.slice(space + 1), n: lines.length });
      }
    }
    if (partial) {
      const space = partial.indexOf(" ");
      lines.push({ at: partial.slice(0, space), text: partial.slice(space + 1), n: lines.length });
    }
    // RFC 3339 with nanoseconds, all UTC: compared as text after padding the fraction.
    const key = (at: string) => at.replace(/\.(\d+)Z$/, (_, f: string) => `.${f.padEnd(9, "0")}Z`);
    return lines.sort((a, b) => (key(a.at) < key(b.at) ? -1 : key(a.at) > key(b.at) ? 1 : a.n - b.n)).map((l) => l.text);
  }

  /**
   * Subscribes to the events stream, filtered. Resolves once the engine has
   * accepted the subscription, so nothing that happens afterwards is missed;
   * the stream ends when `signal` aborts.
   */
  async events(filters: Record<string, string[]>, signal: AbortSignal): Promise<AsyncGenerator<DockerEvent>> {
    const response = await this.#call("events", "GET", "/events", { query: { filters: JSON.stringify(filters) }, signal });
    return (async function* () {
      try {
        yield* jsonLines<DockerEvent>(response.body!);
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    })();
  }
}

/**
 * Reads a build or push stream to its end, handing each message on; the
 * engine's error message (it answers 200 and fails in the stream) throws.
 * Returns what the `aux` messages said.
 */
async function progressStream(response: Response, operation: string, onMessage?: (message: ProgressMessage) => void): Promise<NonNullable<ProgressMessage["aux"]>> {
  const aux: NonNullable<ProgressMessage["aux"]> = {};
  for await (const message of jsonLines<ProgressMessage>(response.body!)) {
    if (message.error || message.errorDetail) throw new DockerApiError(500, (message.errorDetail?.message ?? message.error ?? `${operation} failed`).trim(), operation);
    Object.assign(aux, message.aux);
    onMessage?.(message);
  }
  return aux;
}

/** Splits `name[:tag][@digest]` for the pull endpoint (tag `latest` when none). */
export function splitImage(image: string): { name: string; tag: string } {
  const at = image.indexOf("@");
  if (at >= 0) return { name: image.slice(0, at), tag: image.slice(at + 1) };
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? { name: image.slice(0, colon), tag: image.slice(colon + 1) } : { name: image, tag: "latest" };
}
