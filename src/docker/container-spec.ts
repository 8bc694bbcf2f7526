/**
 * A container as a workflow describes it (`with:` of a container step),
 * with defaults applied; `container-config.ts` turns it into the Engine API's body.
 * @module
 */

export interface PortMapping {
  host?: number;
  container: number;
  protocol: "tcp" | "udp";
  hostIp: string;
}

export interface VolumeMount {
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
}
