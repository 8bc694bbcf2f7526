/**
 * Who owns a container: the `dev.muster.owner` label holds
 * `<host>:<pid>:<process start time>`, so a container whose muster is gone
 * (even after `kill -9`, even when the pid was reused) can be recognised.
 * @module
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { platform } from "../platform/index.ts";

/** Label keys on every container muster creates. */
export const LABELS = {
  run: "dev.muster.run",
  owner: "dev.muster.owner",
  workflow: "dev.muster.workflow",
  step: "dev.muster.step",
} as const;

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
  return `${hostname()}:${platform.pid}:${processStartTime(platform.pid)}`;
}

/**
 * Whether the muster that wrote `owner` is certainly gone. Containers owned
 * by another host are never judged gone: we cannot see its processes.
 *
 * @example
 * ```ts
 * isOwnerGone(ownerLabel()); // false
 * ```
 */
export function isOwnerGone(owner: string): boolean {
  const parts = owner.split(":");
  const start = parts.pop()!;
  const pid = Number(parts.pop());
  const host = parts.join(":");
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (isProcessGone(pid)) return true;
  // The pid is alive, but it may be a different process that reused it.
  const current = processStartTime(pid);
  return start !== "0" && current !== "0" && current !== start;
}
