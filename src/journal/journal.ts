/**
 * The run journal: a private directory with one file per run of `muster
 * workflow` (`<id>.jsonl`, 0600, see record-lines.ts) and, while the run is
 * live, a lock on `<id>.lock` (held by its process: a `running` record
 * whose lock is free is a run that was killed, read as `interrupted`).
 *
 * Plain files rather than SQLite: each run writes only its own file, so
 * concurrent runs never contend; a run appends one line per step (a
 * process killed at any point leaves every line it wrote: the kernel has
 * them; a waiting line is fsynced), so recording costs the same at step 1
 * and step 1,000; it is the same code on Bun and Deno; and the modes are
 * those of the files themselves (SQLite's journal and WAL files would need
 * their own care).
 * @module
 */
import { closeSync, constants, fstatSync, fsyncSync, futimesSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { platform } from "../platform/index.ts";
import type { FileLock } from "../platform/types.ts";
import { currentUid } from "../files/owned-path.ts";
import { journalDir, privateDirProblem } from "./journal-dir.ts";
import { isRunRecord, RUN_ID, type RunRecord } from "./run-record.ts";
import { foldLines, linesOf } from "./record-lines.ts";

/** A record larger than this is not read (a run's results are bounded well below it). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** The file whose mtime says when the journal was last pruned. */
const PRUNED_STAMP = ".pruned";
/** Finished runs kept, at most; the oldest go first. */
export const KEEP_RUNS = 200;
/** Finished runs older than this go (30 days; `MUSTER_JOURNAL_RETENTION` changes it). */
export const RETENTION_MS = 30 * 24 * 3_600_000;

/** When run `id` started (its id says), in ms since the epoch. */
export function startOf(id: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(id);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : 0;
}

/**
 * The journal's retention from `MUSTER_JOURNAL_RETENTION` (a duration such
 * as `168h`), else {@linkcode RETENTION_MS}; undefined when it is not a duration.
 */
export function retentionMs(env: Record<string, string | undefined>, parse: (text: string) => number | undefined): number | undefined {
  return env.MUSTER_JOURNAL_RETENTION ? parse(env.MUSTER_JOURNAL_RETENTION) : RETENTION_MS;
}

/**
 * The journal of this user.
 *
 * @example
 * ```ts
 * const { journal } = Journal.open(platform.env());
 * journal?.list().filter((r) => r.project === project.basePath);
 * ```
 */
export class Journal {
  private constructor(readonly dir: string) {}

  /** The journal for `env`: off (neither), usable (`journal`), or refused (`problem`, naming the directory and what is wrong). */
  static open(env: Record<string, string | undefined>): { journal?: Journal; problem?: string } {
    const dir = journalDir(env);
    if (!dir) return {};
    const problem = privateDirProblem(dir);
    return problem ? { problem: `${dir} ${problem}` } : { journal: new Journal(dir) };
  }

  /** The file of run `id`. */
  file(id: string): string {
    if (!RUN_ID.test(id)) throw new Error(`not a run id: ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.jsonl`);
  }

  /**
   * Opens run `id`'s file to append to: created (0600, never over an
   * existing file) when `create`, else an existing one, which must be a
   * regular file of this user's with one link. Returns the descriptor.
   */
  openForAppend(id: string, create: boolean): number {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | (create ? constants.O_CREAT | constants.O_EXCL : 0);
    const fd = openSync(this.file(id), flags, 0o600);
    const s = fstatSync(fd);
    const me = currentUid();
    if (!s.isFile() || s.nlink !== 1 || (me >= 0 && s.uid !== me)) {
      closeSync(fd);
      throw new Error(`${this.file(id)} is not a regular file of this user's with one link`);
    }
    return fd;
  }

  /** Writes `record` whole: a new 0600 file, synced, then renamed over the old one. */
  write(record: RunRecord): void {
    const temp = join(this.dir, `.${[...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("")}.tmp`);
    const fd = openSync(temp, "wx", 0o600);
    try {
      writeSync(fd, linesOf(record));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(temp, this.file(record.id));
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  /** Run `id` as recorded (a `running` run whose process is gone reads as `interrupted`), or undefined. */
  read(id: string): RunRecord | undefined {
    const path = this.file(id);
    try {
      const s = lstatSync(path);
      const me = currentUid();
      if (!s.isFile() || s.size > MAX_RECORD_BYTES || (me >= 0 && s.uid !== me)) return undefined;
      const value: unknown = foldLines(readFileSync(path, "utf8"));
      if (!isRunRecord(value) || value.id !== id) return undefined;
      if (value.status === "running" && !this.isLive(id, value.pid, value.pst)) value.status = "interrupted";
      return value;
    } catch {
      return undefined;
    }
  }

  /** Every readable run, newest first. */
  list(): RunRecord[] {
    const ids = this.#ids();
    return ids.sort().reverse().map((id) => this.read(id)).filter((r): r is RunRecord => r !== undefined);
  }

  /**
   * The run whose id is `id` or starts with it (unique), of those `among`.
   * Throws naming what matched when several do; undefined when none does.
   */
  find(id: string, among: RunRecord[] = this.list()): RunRecord | undefined {
    const exact = among.find((r) => r.id === id);
    if (exact) return exact;
    const matches = among.filter((r) => r.id.startsWith(id));
    if (matches.length > 1) throw new Error(`run "${id}" is ambiguous: ${matches.map((r) => r.id).join(", ")} match (give more of the id)`);
    return matches[0];
  }

  /**
   * Takes the lock that marks run `id` live, for the run's lifetime;
   * undefined when another process holds it.
   */
  lock(id: string): FileLock | undefined {
    try {
      return platform.tryLockFile(join(this.dir, `${id}.lock`));
    } catch {
      // No file locks here (not Linux): the record's pid says whether it is live instead.
      return { release() {} };
    }
  }

  /**
   * Whether the run is live: its process (`pid`, started at `pst`) is still
   * that process, where the system tells start times apart; else whether
   * its process still holds its lock.
   */
  isLive(id: string, pid: number, pst?: string): boolean {
    if (pst !== undefined && platform.processStartTime) return platform.processStartTime(pid) === pst;
    try {
      const held = platform.tryLockFile(join(this.dir, `${id}.lock`));
      if (!held) return true;
      held.release();
      return false;
    } catch {
      return pid === platform.pid || platform.isProcessAlive(pid);
    }
  }

  /**
   * Removes the runs that started more than `olderThanMs` ago and those
   * beyond the newest `keep`, with stray temp and lock files; never a live
   * or waiting run, nor a file this muster cannot read (another version's).
   * Only the runs to remove are read, so a journal within its bounds costs
   * one directory listing. Returns the ids removed.
   */
  prune(options: { olderThanMs: number; keep: number; now?: number }): string[] {
    const now = options.now ?? Date.now();
    this.#stampPruned();
    const removed: string[] = [];
    const ids = this.#ids().sort().reverse();
    ids.forEach((id, index) => {
      if (index < options.keep && now - startOf(id) < options.olderThanMs) return;
      const record = this.read(id);
      if (!record || record.status === "running" || record.status === "waiting") return;
      rmSync(this.file(id), { force: true });
      rmSync(join(this.dir, `${id}.lock`), { force: true });
      removed.push(id);
    });
    // Temp files of a writer that died mid-write, and locks whose record is gone.
    const left = new Set(this.#ids());
    for (const name of this.#names()) {
      const path = join(this.dir, name);
      const stale = name.startsWith(".") && name.endsWith(".tmp")
        ? now - (lstatSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now) > 3_600_000
        : name.endsWith(".lock") && !left.has(name.slice(0, -5)) && this.#lockFree(name);
      if (stale) rmSync(path, { force: true });
    }
    return removed;
  }

  /**
   * Whether the journal was last pruned more than `everyMs` before `now`
   * (or never): one stat, where a prune lists the directory.
   */
  pruneDue(now: number, everyMs: number): boolean {
    const stamp = lstatSync(join(this.dir, PRUNED_STAMP), { throwIfNoEntry: false });
    return !stamp?.isFile() || now - stamp.mtimeMs > everyMs || stamp.mtimeMs > now;
  }

  /** Marks the journal pruned now (its mtime says when). */
  #stampPruned(): void {
    try {
      const fd = openSync(join(this.dir, PRUNED_STAMP), constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      try {
        futimesSync(fd, new Date(), new Date());
      } finally {
        closeSync(fd);
      }
    } catch {
      // an unwritable stamp only means the next run prunes again
    }
  }

  #lockFree(name: string): boolean {
    try {
      const held = platform.tryLockFile(join(this.dir, name));
      held?.release();
      return held !== undefined;
    } catch {
      return true;
    }
  }

  #names(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  #ids(): string[] {
    return this.#names().filter((n) => n.endsWith(".jsonl")).map((n) => n.slice(0, -6)).filter((id) => RUN_ID.test(id));
  }
}
