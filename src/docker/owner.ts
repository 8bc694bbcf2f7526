/**
 * Who owns a container. The `dev.muster.owner` label identifies the muster
 * process across hosts, reboots and PID namespaces:
 * `v2:<host>:<boot id>:<pid namespace>:<pid>:<process start time>`.
 *
 * A muster judges only owners it can observe: same host name, same PID
 * namespace. An owner from an earlier boot of this host is certainly gone.
 * Anything else (another host, a runner in a container, a label from an
 * older muster) is left alone: a PID there means nothing here.
 * @module
 */
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { platform } from "../platform/index.ts";

/** Label keys on every container muster creates. */
export const LABELS = {
  run: "dev.muster.run",
  owner: "dev.muster.owner",
  workflow: "dev.muster.workflow",
  step: "dev.muster.step",
  /** The dispatch (`muster serve`'s runId) a container was started for: the runner removes what a killed run left. */
  dispatch: "dev.muster.dispatch",
} as const;

const read = (fn: () => string): string => {
  try {
    return fn();
  } catch {
    return "?";
  }
};

/** The start time of `pid` in clock ticks since boot (Linux), or "0" when unknown. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "0";
  } catch {
    return "0";
  }
}

/** This boot of the kernel ("?" off Linux). */
export const bootId = (): string => read(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().replaceAll(":", ""));
/** This process's PID namespace ("?" off Linux). */
export const pidNamespace = (): string => read(() => /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "?");

/** Whether no process with this pid exists (a process we may not signal still exists). */
export function isProcessGone(pid: number): boolean {
  try {
    return !platform.isProcessAlive(pid);
  } catch {
    return false;
  }
}

/** This process's owner label value. */
export function ownerLabel(): string {
  return ["v2", hostname().replaceAll(":", "_"), bootId(), pidNamespace(), platform.pid, processStartTime(platform.pid)].join(":");
}

/** What a muster can tell about a container's owner. */
export type OwnerState = "alive" | "gone" | "unobservable";

/**
 * Whether the muster that wrote `owner` is alive, certainly gone, or out of
 * this process's sight.
 *
 * @example
 * ```ts
 * ownerState(ownerLabel()); // "alive"
 * ownerState("v2:otherhost:...:123:456"); // "unobservable"
 * ```
 */
export function ownerState(owner: string): OwnerState {
  const parts = owner.split(":");
  if (parts.length !== 6 || parts[0] !== "v2") return "unobservable"; // an older muster's label: its PID may be another namespace's
  const [, host, boot, namespace, pidText, start] = parts as [string, string, string, string, string, string];
  if (host !== hostname().replaceAll(":", "_")) return "unobservable";
  const ourBoot = bootId();
  if (boot !== "?" && ourBoot !== "?" && boot !== ourBoot) return "gone"; // this host rebooted since
  if (namespace === "?" || namespace !== pidNamespace()) return "unobservable";
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return "unobservable";
  if (isProcessGone(pid)) return "gone";
  // The pid is alive, but it may be a different process that reused it.
  const current = processStartTime(pid);
  return start !== "0" && current !== "0" && current !== start ? "gone" : "alive";
}

/** Whether the muster that wrote `owner` is certainly gone (an unobservable owner is not). */
export function isOwnerGone(owner: string): boolean {
  return ownerState(owner) === "gone";
}
