/**
 * A container as a workflow describes it (`with:` of a `run` container
 * step, or a sandbox), with defaults applied and templates rendered, and
 * the conversions of Atmos' `ports` and `mounts` that both use;
 * `container-config.ts` turns it into the Engine API's body.
 * @module
 */
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { RunArgSettings } from "./run-args.ts";

export interface PortMapping {
  host?: number;
  container: number;
  protocol: "tcp" | "udp";
  hostIp: string;
}

/** A mount: a host path (bind), a named volume, or a tmpfs. Bind sources are absolute once planned. */
export interface VolumeMount {
  type: "bind" | "volume" | "tmpfs";
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HealthcheckSpec {
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
}

export interface ContainerSpec {
  image: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: PortMapping[];
  volumes: VolumeMount[];
  workdir?: string;
  user?: string;
  labels: Record<string, string>;
  pull: "missing" | "always" | "never";
  healthcheck?: HealthcheckSpec;
  stopTimeoutMs: number;
  readyTimeoutMs?: number;
  /** When a foreground container is removed (Atmos' `cleanup`): always, only after success, or never. */
  cleanup: "always" | "on_success" | "never";
  /** A background service's restart policy. */
  restart?: { policy: "no" | "always" | "on-failure" | "unless-stopped"; maxRetries?: number };
  /** `run_args` muster understood. */
  runArgs?: RunArgSettings;
  /**
   * A foreground container attached to muster's terminal (`tty`,
   * `interactive`): a TTY of its own (sized `size` at start), its stdin
   * open to muster's.
   */
  attach?: { tty: boolean; stdin: boolean; size?: { columns: number; rows: number } };
}

/**
 * Atmos' `ports:` as port mappings (the host address defaults to 127.0.0.1).
 *
 * @example
 * ```ts
 * portsOf([{ container: 80, host: 8080, protocol: "tcp", host_ip: "127.0.0.1" }]); // [{ container: 80, host: 8080, protocol: "tcp", hostIp: "127.0.0.1" }]
 * ```
 */
export function portsOf(ports: ReadonlyArray<{ host?: number; container: number; protocol: "tcp" | "udp"; host_ip: string }>): PortMapping[] {
  return ports.map((p) => ({ host: p.host, container: p.container, protocol: p.protocol, hostIp: p.host_ip }));
}

/**
 * Atmos' `mounts:` as mounts: a bind's source has `~/` and `$VAR`/`${VAR}`
 * expanded (from `env`, as Atmos does) and is taken relative to `dir`.
 *
 * @example
 * ```ts
 * mountsOf([{ type: "bind", source: "~/.aws", target: "/root/.aws", read_only: true }], "/repo", {});
 * // [{ type: "bind", source: "/home/me/.aws", target: "/root/.aws", readOnly: true }]
 * ```
 */
export function mountsOf(mounts: ReadonlyArray<{ type: VolumeMount["type"]; source: string; target: string; read_only: boolean }>, dir: string, env: Record<string, string | undefined>): VolumeMount[] {
  return mounts.map((m) => {
    if (m.type !== "bind") return { type: m.type, source: m.source, target: m.target, readOnly: m.read_only };
    const home = m.source === "~" || m.source.startsWith("~/") ? homedir() + m.source.slice(1) : m.source;
    const source = home.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => env[a ?? b] ?? "");
    return { type: "bind", source: isAbsolute(source) ? source : resolve(dir, source), target: m.target, readOnly: m.read_only };
  });
}
