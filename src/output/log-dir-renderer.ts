/**
 * `--log-dir DIR`: every step's full output in its own file, for every step
 * kind (containers and group children included), with a header (the
 * command, the start time), a separator per retry and the exit status.
 * A group child's file is `DIR/<group>/<child>.log`; names are made safe
 * and never collide (`a/b` and `a b` get different files).
 *
 * A failed write is reported once and never fails a step.
 * @module
 */
import { mkdir, open } from "node:fs/promises";
import { fdWriter, type FdWriter, NotOwnFileError, OUTPUT_DIR_RULE, openOutputFile, outputDirProblem } from "../files/owned-path.ts";
import { dirname, join } from "node:path";
import type { RunEvent, RunObserver, StepPath } from "../engine/events.ts";
import { formatDuration } from "../workflow/duration.ts";

const encoder = new TextEncoder();


/**
 * A file name made safe from a step name: unsafe characters become `_`, and
 * a short hash of the original name is added whenever anything was replaced,
 * so that different names never share a file.
 *
 * @example
 * ```ts
 * logFileName("lint"); // "lint"
 * logFileName("test (linux, 1.22)"); // "test_linux_1.22_-<hash>"
 * ```
 */
export function logFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_") || "step";
  if (safe === name) return safe;
  let hash = 0x811c9dc5;
  for (const ch of name) hash = Math.imul(hash ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return `${safe}-${hash.toString(16).padStart(8, "0")}`;
}

/** The file of a step: `DIR/<group>/<child>.log`. */
export function logFilePath(dir: string, path: StepPath): string {
  return `${join(dir, ...path.map(logFileName))}.log`;
}

/**
 * Makes sure `dir` can hold log files; throws a message naming the problem.
 *
 * @example
 * ```ts
 * await checkLogDir("/proc/nope"); // throws: cannot create ... (ENOENT)
 * ```
 */
export async function checkLogDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Someone who may write the directory could plant a link where a step's log goes: refused (S10).
  const { problem } = outputDirProblem(dir);
  if (problem) throw new NotOwnFileError(dir, `${problem}; ${OUTPUT_DIR_RULE}`);
  const probe = join(dir, `.muster-probe-${crypto.randomUUID()}`);
  const handle = await open(probe, "wx");
  await handle.close();
  const { rm } = await import("node:fs/promises");
  await rm(probe, { force: true });
}

/** The `--log-dir` observer. */
export class LogDirRenderer implements RunObserver {
  readonly wantsOutput = true;
  readonly wantsServiceLogs = true;
  #dir: string;
  #files = new Map<string, Promise<FdWriter | undefined>>();
  #warn: (text: string) => void;
  #warned = false;

  /** `warn` reports the first write failure (later ones are counted silently). */
  constructor(dir: string, warn: (text: string) => void) {
    this.#dir = dir;
    this.#warn = warn;
  }

  async emit(event: RunEvent): Promise<void> {
    switch (event.type) {
      case "step.start":
        return this.#write(event.path, `# muster: ${event.path.join(" / ")} (${event.kind})\n# command: ${event.detail}\n# started: ${new Date().toISOString()}\n`, true);
      case "step.output":
        return this.#write(event.path, event.data);
      case "step.retry":
        return this.#write(event.path, `\n# --- attempt ${event.attempt}/${event.maxAttempts} failed (${event.reason}); attempt ${event.attempt + 1} in ${formatDuration(event.delayMs)} ---\n`);
      case "step.end": {
        const k = event.path.join("\u0000");
        if (!this.#files.has(k) && event.result.attempts === 0) return; // never started: no file
        const r = event.result;
        await this.#write(event.path, `\n# ${r.status}${r.status === "succeeded" ? "" : ` (exit ${r.exitCode}${r.error ? `: ${r.error.split("\n")[0]}` : ""})`} after ${formatDuration(r.durationMs)}, ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}\n`);
        return this.#close(event.path);
      }
      case "service.logs": {
        // DIR/services/NAME.log: written whole, once, as the service is torn down.
        const path = ["services", `${event.name}-${event.id.slice(0, 12)}`];
        await this.#write(path, `# muster: service ${event.name} (container ${event.id.slice(0, 12)}), its log at teardown\n`, true);
        await this.#write(path, event.data);
        return this.#close(path);
      }
      default:
        return;
    }
  }

  async #write(path: StepPath, data: string | Uint8Array, fresh = false): Promise<void> {
    const k = path.join("\u0000");
    let file = this.#files.get(k);
    if (!file || fresh) {
      const target = logFilePath(this.#dir, path);
      file = mkdir(dirname(target), { recursive: true }).then(() => fdWriter(openOutputFile(target))).catch((error) => {
        this.#fail(`cannot write ${target}: ${(error as Error).message}`);
        return undefined;
      });
      this.#files.set(k, file);
    }
    const handle = await file;
    if (!handle) return;
    await handle.write(typeof data === "string" ? encoder.encode(data) : data).catch((error) => this.#fail(`cannot write the log of ${path.join(" / ")}: ${(error as Error).message}`));
  }

  /** Closes the file of `path`; the next write to it starts a new one. */
  async #close(path: StepPath): Promise<void> {
    const k = path.join("\u0000");
    const handle = await this.#files.get(k);
    this.#files.delete(k);
    await handle?.close().catch(() => {});
  }

  #fail(text: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#warn(`--log-dir: ${text}; the run goes on without it`);
  }

  async close(): Promise<void> {
    for (const file of this.#files.values()) await (await file)?.close().catch(() => {});
    this.#files.clear();
  }
}
