/**
 * Turning a container step's `with:` into the Engine API's create body.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import type { ContainerSpec } from "./container-spec.ts";

const ns = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1e6));

/** Options for {@linkcode createBody}. */
export interface CreateBodyOptions {
  labels: Record<string, string>;
  /** Relative volume sources are resolved against this (the workflow file's folder). */
  baseDir: string;
  /** `start_interval` needs API 1.44. */
  supportsStartInterval: boolean;
}

/**
 * The body of `POST /containers/create` for `spec`.
 *
 * @example
 * ```ts
 * createBody({ image: "busybox", ports: [{ container: 80, host: 8080, protocol: "tcp", hostIp: "127.0.0.1" }], ... }, opts);
 * // { Image: "busybox", ExposedPorts: { "80/tcp": {} }, HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] } }, ... }
 * ```
 */
export function createBody(spec: ContainerSpec, options: CreateBodyOptions): Record<string, unknown> {
  const extra = spec.runArgs;
  const source = (path: string) => (isAbsolute(path) ? path : resolve(options.baseDir, path));
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of spec.ports) {
    const key = `${port.container}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: port.host === undefined ? "" : String(port.host) });
  }
  const hc = spec.healthcheck;
  return {
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint ?? (extra?.entrypoint !== undefined ? [extra.entrypoint] : undefined),
    Env: [...(extra?.env ?? []), ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)],
    WorkingDir: spec.workdir ?? extra?.workdir,
    User: spec.user ?? extra?.user,
    Labels: { ...extra?.labels, ...spec.labels, ...options.labels },
    ExposedPorts: exposed,
    StopTimeout: Math.ceil(spec.stopTimeoutMs / 1000),
    ...(spec.attach
      ? { Tty: spec.attach.tty, OpenStdin: spec.attach.stdin, StdinOnce: spec.attach.stdin, AttachStdin: spec.attach.stdin, AttachStdout: true, AttachStderr: true }
      : {}),
    Healthcheck: hc && {
      Test: hc.test,
      Interval: ns(hc.intervalMs),
      Timeout: ns(hc.timeoutMs),
      Retries: hc.retries,
      StartPeriod: ns(hc.startPeriodMs),
      StartInterval: options.supportsStartInterval ? ns(hc.startIntervalMs) : undefined,
    },
    HostConfig: {
      PortBindings: bindings,
      // The TTY's size from the start (API 1.42): a command that reads it at once sees muster's terminal.
      ...(spec.attach?.tty && spec.attach.size ? { ConsoleSize: [spec.attach.size.rows, spec.attach.size.columns] } : {}),
      Binds: spec.volumes.filter((v) => v.type === "bind").map((v) => `${source(v.source)}:${v.target}${v.readOnly ? ":ro" : ""}`),
      Mounts: spec.volumes.filter((v) => v.type !== "bind").map((v) => ({
        Type: v.type, Target: v.target, ReadOnly: v.readOnly, ...(v.type === "volume" && v.source ? { Source: v.source } : {}),
      })),
      RestartPolicy: spec.restart && { Name: spec.restart.policy, MaximumRetryCount: spec.restart.maxRetries ?? 0 },
      NetworkMode: extra?.network,
      CapAdd: extra?.capAdd.length ? extra.capAdd : undefined,
      CapDrop: extra?.capDrop.length ? extra.capDrop : undefined,
      ExtraHosts: extra?.extraHosts.length ? extra.extraHosts : undefined,
      Tmpfs: extra && Object.keys(extra.tmpfs).length > 0 ? extra.tmpfs : undefined,
      ReadonlyRootfs: extra?.readOnly,
      Init: extra?.init,
      Privileged: extra?.privileged,
      Memory: extra?.memoryBytes,
      ShmSize: extra?.shmBytes,
    },
  };
}

/** Docker's health check defaults, in milliseconds. */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 };

/**
 * How long to wait for readiness: start_period + retries x (interval + timeout) + 30 s,
 * unless `ready_timeout` says otherwise.
 */
export function readyTimeoutMs(spec: ContainerSpec): number {
  if (spec.readyTimeoutMs !== undefined) return spec.readyTimeoutMs;
  const hc = { ...HEALTH_DEFAULTS, ...Object.fromEntries(Object.entries(spec.healthcheck ?? {}).filter(([, v]) => v !== undefined)) };
  return hc.startPeriodMs + hc.retries * (hc.intervalMs + hc.timeoutMs) + 30_000;
}
