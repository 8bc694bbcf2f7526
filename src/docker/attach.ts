/**
 * Docker's attach stream: `POST /containers/{id}/attach` with `Upgrade:
 * tcp`, after which the engine answers `101 UPGRADED` and the HTTP
 * connection becomes a raw two-way stream: the container's stdin one way,
 * its output the other (raw bytes with a TTY, multiplexed frames without).
 * `fetch` cannot do this (it never hands the connection over), so the
 * request is written on a raw socket (`platform.connectRaw`).
 * @module
 */
import { platform, type RawSocket, type RawTarget } from "../platform/index.ts";
import type { DockerEndpoint } from "./endpoint.ts";
import { DockerApiError, DockerUnreachableError } from "./errors.ts";

/** An attached container's streams. */
export interface AttachedStreams {
  /** The container's output after the response head: raw with a TTY, multiplexed without (`demuxLogs`). */
  output: ReadableStream<Uint8Array>;
  /** Writes to the container's stdin. */
  write(data: Uint8Array | string): Promise<void>;
  /** Ends the container's stdin (with `StdinOnce`, the container sees end of input). */
  closeInput(): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

const decoder = new TextDecoder();
const HEAD_LIMIT = 64 * 1024;

/** The raw socket target of an endpoint. @internal */
export function rawTargetOf(endpoint: DockerEndpoint): RawTarget {
  if (endpoint.transport.unixSocket) return { unixSocket: endpoint.transport.unixSocket };
  const url = new URL(endpoint.baseUrl);
  const tls = endpoint.transport.tls;
  return { hostname: url.hostname, port: Number(url.port) || (tls ? 443 : 80), ...(tls ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}) };
}

/**
 * The request that hijacks the connection (HTTP/1.1, no body).
 *
 * @example
 * ```ts
 * attachRequest("1.45", "abc", { stdin: true }, "docker");
 * // "POST /v1.45/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
 * ```
 */
export function attachRequest(apiVersion: string, id: string, options: { stdin: boolean }, host: string): string {
  const query = `stream=1&stdin=${options.stdin ? 1 : 0}&stdout=1&stderr=1`;
  return `POST /v${apiVersion}/containers/${encodeURIComponent(id)}/attach?${query} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;
}

/**
 * Splits the response head off what was read so far: undefined while the
 * head is incomplete, else the status, the head's text and the bytes after
 * it (the start of the stream). @internal
 *
 * @example
 * ```ts
 * responseHead(bytes("HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\nhi"));
 * // { status: 101, head: "HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp", rest: bytes("hi") }
 * ```
 */
export function responseHead(buffer: Uint8Array): { status: number; head: string; rest: Uint8Array } | undefined {
  for (let i = 0; i + 3 < buffer.length; i++) {
    if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) {
      const head = decoder.decode(buffer.subarray(0, i));
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      return { status, head, rest: buffer.subarray(i + 4) };
    }
  }
  return undefined;
}

/**
 * Attaches to container `id` (created, not started yet: nothing it writes
 * is missed) and returns its streams.
 */
export async function attachContainer(endpoint: DockerEndpoint, apiVersion: string, id: string, options: { stdin: boolean }): Promise<AttachedStreams> {
  let socket: RawSocket;
  try {
    socket = await platform.connectRaw(rawTargetOf(endpoint));
  } catch (error) {
    throw new DockerUnreachableError(endpoint.display, error);
  }
  const host = endpoint.transport.unixSocket ? "docker" : new URL(endpoint.baseUrl).host;
  await socket.write(attachRequest(apiVersion, id, options, host));
  const reader = socket.readable.getReader();
  let buffered = new Uint8Array(0);
  let parsed: ReturnType<typeof responseHead>;
  while (!(parsed = responseHead(buffered))) {
    const { done, value } = await reader.read();
    if (done || buffered.length > HEAD_LIMIT) {
      socket.close();
      throw new DockerApiError(502, `the engine closed the attach connection before answering`, "attach");
    }
    const next = new Uint8Array(buffered.length + value.length);
    next.set(buffered);
    next.set(value, buffered.length);
    buffered = next;
  }
  if (parsed.status !== 101 && parsed.status !== 200) {
    reader.releaseLock();
    socket.close();
    const message = /\{.*"message"\s*:\s*"([^"]*)"/s.exec(decoder.decode(parsed.rest))?.[1] ?? parsed.head.split("\r\n")[0]!;
    throw new DockerApiError(parsed.status, message, "attach");
  }
  const first = parsed.rest;
  const output = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length > 0) controller.enqueue(first);
    },
    async pull(controller) {
      const { done, value } = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: () => socket.close(),
  });
  return {
    output,
    write: (data) => socket.write(data),
    closeInput: () => socket.closeWrite(),
    close: () => socket.close(),
  };
}
