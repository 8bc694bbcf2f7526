/**
 * A container as a workflow describes it (`with:` of a `run` container
 * step, or a sandbox), with defaults applied and templates rendered;
 * `container-config.ts` turns it into the Engine API's body.
 * @module
 */
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
}
