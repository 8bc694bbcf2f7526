/**
 * When a process started, as the kernel says, to tell a live process from
 * a later one that reuses its pid (Linux: `/proc/PID/stat`'s start time in
 * clock ticks since boot, with the boot's id). Shared by the Bun and Deno
 * adapters; undefined where there is no /proc.
 * @module
 */
import { readFileSync } from "node:fs";

let bootId: string | undefined | null;

/**
 * The start time of process `pid` ("BOOT-ID:TICKS"), or undefined when it
 * is gone, a zombie (dead, not yet reaped), or there is no /proc.
 *
 * @example
 * ```ts
 * processStartTime(process.pid); // "6f1c…:123456"
 * processStartTime(4_000_000); // undefined
 * ```
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    bootId ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    bootId = null;
  }
  if (bootId === null) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is the state (field 3); the start time is field 22.
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  const ticks = fields[19];
  return ticks && /^\d+$/.test(ticks) ? `${bootId}:${ticks}` : undefined;
}
