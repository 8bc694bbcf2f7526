/**
 * `--log-dir`: each step's full output in its own file.
 * @module
 */
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";

/** A file name made safe from a step name: `test (linux, 1.22)` -> `test_linux_1.22_`. */
export function logFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_") || "step";
}

/** One open log file. */
export interface LogFile {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens `<dir>/<...parts>.log`, creating folders as needed.
 *
 * @example
 * ```ts
 * const log = await openLogFile("logs", ["checks", "lint"]); // logs/checks/lint.log
 * ```
 */
export async function openLogFile(dir: string, parts: string[]): Promise<LogFile> {
  const path = `${join(dir, ...parts.map(logFileName))}.log`;
  await mkdir(dirname(path), { recursive: true });
  const handle: FileHandle = await open(path, "w");
  return {
    write: async (data) => void (await handle.write(data)),
    close: () => handle.close(),
  };
}

/**
 * A sink that writes each chunk to `log` (when there is one) and then to `sink`.
 *
 * @example
 * ```ts
 * const sink = teeToLog(log, (data) => stdout.write(data));
 * ```
 */
export function teeToLog(log: LogFile | undefined, sink: (data: Uint8Array) => void | Promise<void>): (data: Uint8Array) => void | Promise<void> {
  if (!log) return sink;
  return async (data) => {
    await log.write(data);
    await sink(data);
  };
}
