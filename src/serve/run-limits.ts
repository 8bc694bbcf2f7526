/**
 * The bounds of a container-isolated run (`MUSTER_RUN_ISOLATION=container`),
 * from the runner's environment, and what the run's own muster is told so
 * that its container steps get the same (the `MUSTER_CONTAINER_*` variables
 * `docker/engine-policy.ts` reads).
 *
 * | setting | default | |
 * |---|---|---|
 * | `MUSTER_RUN_PIDS` | 512 | processes in the run's container |
 * | `MUSTER_RUN_MEMORY` | 2g | memory (no swap on top) |
 * | `MUSTER_RUN_CPUS` | 2 | CPUs (fractions allowed) |
 * | `MUSTER_RUN_LOG_MAX_SIZE` / `MUSTER_RUN_LOG_MAX_FILE` | 10m / 3 | the engine's log of the container |
 * | `MUSTER_RUN_NETWORK` | internal | `internal`: a network of the run's own with no route out, to the host or to other runs; `none`; or the name of a network the operator made |
 * | `MUSTER_RUN_USER` | the runner's uid:gid; 65534:65534 for a root runner | who the run is in its container |
 * @module
 */
import { bytes } from "../docker/run-args.ts";
import { ConfigError } from "./config-error.ts";

/** A run container's bounds. */
export interface RunLimits {
  pids: number;
  memoryBytes: number;
  /** As written (`2g`), for the run's muster. */
  memory: string;
  cpus: number;
  logMaxSize: string;
  logMaxFile: number;
  /** `internal` (a network per run), `none`, or an operator's network. */
  network: string;
  /** `uid:gid`, or undefined for the default (see the table). */
  user?: string;
}

/**
 * Reads the `MUSTER_RUN_*` bounds; throws {@linkcode ConfigError} naming the variable.
 *
 * @example
 * ```ts
 * loadRunLimits({ MUSTER_RUN_MEMORY: "512m" }).memoryBytes; // 536870912
 * ```
 */
export function loadRunLimits(env: Record<string, string | undefined>): RunLimits {
  const text = (name: string, fallback: string) => (env[name] ?? "").trim() || fallback;
  const number = (name: string, fallback: string, whole: boolean) => {
    const raw = text(name, fallback);
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value))) {
      throw new ConfigError(name, `must be a ${whole ? "whole " : ""}number above 0: current value is ${JSON.stringify(raw)}`);
    }
    return value;
  };
  const size = (name: string, fallback: string) => {
    const raw = text(name, fallback);
    const value = bytes(raw);
    if (value === undefined || value < 1024 * 1024) throw new ConfigError(name, `must be a size of at least 1m such as 512m or 2g: current value is ${JSON.stringify(raw)}`);
    return { raw, value };
  };
  const memory = size("MUSTER_RUN_MEMORY", "2g");
  const log = size("MUSTER_RUN_LOG_MAX_SIZE", "10m");
  const network = text("MUSTER_RUN_NETWORK", "internal");
  if (network === "host" || network.startsWith("container:")) {
    throw new ConfigError("MUSTER_RUN_NETWORK", `${JSON.stringify(network)} would give runs the host's or another container's network (expected internal, none or the name of a network you made)`);
  }
  const user = env.MUSTER_RUN_USER?.trim() || undefined;
  if (user !== undefined && !/^\d+(:\d+)?$/.test(user)) throw new ConfigError("MUSTER_RUN_USER", `expected a numeric uid or uid:gid: current value is ${JSON.stringify(user)}`);
  if (user !== undefined && /^0(:|$)/.test(user)) throw new ConfigError("MUSTER_RUN_USER", "must not be root (0): a run is never root in its container");
  return {
    pids: number("MUSTER_RUN_PIDS", "512", true),
    memoryBytes: memory.value,
    memory: memory.raw,
    cpus: number("MUSTER_RUN_CPUS", "2", false),
    logMaxSize: log.raw,
    logMaxFile: number("MUSTER_RUN_LOG_MAX_FILE", "3", true),
    network,
    user,
  };
}
