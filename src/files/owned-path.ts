/**
 * Paths muster trusts only when they are its user's own: a real directory
 * (not a symlink) owned by this uid that group and others cannot write, and
 * files opened without following a symlink, checked on the descriptor
 * (`fstat`) and changed through it (`fchmod`, `ftruncate`), never by path.
 * The state directory of `muster serve`, `--log-dir` and `--junit` use it.
 * @module
 */
import { close, closeSync, constants, write, fchmodSync, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, readlinkSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { userInfo } from "node:os";

/** This process's uid, or -1 where the OS has none (Windows: no owner checks there). */
export function currentUid(): number {
  try {
    return userInfo().uid;
  } catch {
    return -1;
  }
}

/**
 * `uid N (name)`, the name from /etc/passwd when it has one.
 *
 * @example
 * ```ts
 * describeUid(65534); // "uid 65534 (nobody)"
 * ```
 */
export function describeUid(uid: number): string {
  try {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.split(":")[2] === String(uid));
    const name = line?.split(":")[0];
    if (name) return `uid ${uid} (${name})`;
  } catch {
    // no passwd file (a scratch container): the number alone
  }
  return `uid ${uid}`;
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** Who besides the owner may write, by `mode`: "its group", "others", or both. */
const writers = (mode: number) => [(mode & 0o020) !== 0 ? "its group" : "", (mode & 0o002) !== 0 ? "others" : ""].filter(Boolean).join(" and ");

/** `path` examined with `stat` (lstat or stat): its stats, or that it is missing, or why it cannot be examined. */
function examine(path: string, stat: (path: string) => Stats): { stats: Stats } | { problem?: string; missing?: boolean } {
  try {
    return { stats: stat(path) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { missing: true };
    return { problem: `cannot be examined (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
}

/** Why a directory's lstat cannot be trusted (`path` for the symlink's target); undefined when it can. */
function dirProblem(path: string, s: Stats): string | undefined {
  if (s.isSymbolicLink()) {
    let target = "?";
    try {
      target = readlinkSync(path);
    } catch {
      // gone in between: still a symlink when looked at
    }
    return `is a symlink (to ${target})`;
  }
  if (!s.isDirectory()) return "is not a directory";
  const me = currentUid();
  if (me >= 0 && s.uid !== me) return `is owned by ${describeUid(s.uid)}, not by this process's user (${describeUid(me)})`;
  if (me >= 0 && (s.mode & 0o022) !== 0) return `is writable by ${writers(s.mode)} (mode ${octal(s.mode)})`;
  return undefined;
}

/**
 * Why the directory at `path` is not this user's own (a symlink, another
 * owner, group- or other-writable, even with the sticky bit); undefined
 * when it is, or does not exist (`missing: true` then).
 *
 * @example
 * ```ts
 * ownDirProblem("/tmp"); // "is owned by uid 0 (root), not by this process's user (uid 1000 (ci))" for user ci
 * ```
 */
export function ownDirProblem(path: string): { problem?: string; missing?: boolean } {
  const examined = examine(path, lstatSync);
  return "stats" in examined ? { problem: dirProblem(path, examined.stats) } : examined;
}

/** Raised by {@linkcode openOwnFile}: `problem` completes "<path> ..." */
export class NotOwnFileError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path} ${problem}`);
    this.name = "NotOwnFileError";
  }
}

/** How {@linkcode openOwnFile} opens. */
export interface OwnFileOptions {
  /** `read-write` keeps the content (a database); `write` truncates (a log, a report). */
  access: "read-write" | "write";
  /** Create the file when it is missing (else a missing file throws ENOENT). */
  create: boolean;
  /** The mode a created file gets, and an existing one is set to through the descriptor. */
  mode: number;
  /** Leave an existing file's mode as it is (a report the user may have made readable to others). */
  keepMode?: boolean;
}

/**
 * Opens `path` without following a symlink (O_NOFOLLOW: a planted link
 * fails with ELOOP, its target untouched), then checks the descriptor: a
 * regular file, owned by this user, with one link (no hard link to someone
 * else's file); sets its mode with `fchmod` and, for `write`, truncates it
 * with `ftruncate` only then. Returns the descriptor; throws
 * {@linkcode NotOwnFileError} naming the path and what is wrong.
 *
 * @example
 * ```ts
 * const fd = openOwnFile("/var/lib/muster/runs.db", { access: "read-write", create: true, mode: 0o600 });
 * closeSync(fd);
 * ```
 */
export function openOwnFile(path: string, options: OwnFileOptions): number {
  const flags = (options.access === "write" ? constants.O_WRONLY : constants.O_RDWR) | constants.O_NOFOLLOW | constants.O_NONBLOCK | (options.create ? constants.O_CREAT : 0);
  let fd: number;
  try {
    fd = openSync(path, flags, options.mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "EMLINK") throw new NotOwnFileError(path, "is a symlink (muster never writes through one)");
    throw error;
  }
  try {
    const s = fstatSync(fd);
    const me = currentUid();
    if (!s.isFile()) throw new NotOwnFileError(path, "is not a regular file");
    if (me >= 0 && s.uid !== me) throw new NotOwnFileError(path, `is owned by ${describeUid(s.uid)}, not by this process's user (${describeUid(me)})`);
    if (s.nlink > 1) throw new NotOwnFileError(path, `has ${s.nlink} hard links (expected 1: a link to another file would write there)`);
    if (me >= 0 && !options.keepMode && (s.mode & 0o777) !== options.mode) fchmodSync(fd, options.mode);
    if (options.access === "write") ftruncateSync(fd, 0);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Opens, to read, a file another user's process wrote (a run's events
 * file or journal record, read by the runner): without following a
 * symlink (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK), then
 * checks the descriptor is a regular file with one link. Returns the
 * descriptor and the file's size, or why it cannot be read.
 *
 * @example
 * ```ts
 * const opened = openWrittenByOther(join(runDir, "events.ndjson"));
 * if ("fd" in opened) closeSync(opened.fd);
 * ```
 */
export function openWrittenByOther(path: string): { fd: number; size: number } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return { problem: `cannot be opened (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  const s = fstatSync(fd);
  if (s.isFile() && s.nlink === 1) return { fd, size: s.size };
  closeSync(fd);
  return { problem: "is not a regular file with one link" };
}

/** The rule {@linkcode outputDirProblem} applies, for messages. */
export const OUTPUT_DIR_RULE = "muster writes reports and logs only in a directory owned by its user or root that others cannot write, or that has the sticky bit (like /tmp)";

/**
 * Why muster must not write its output files (`--log-dir`, `--junit`,
 * `--events`) in the directory `path`: it is not a directory, belongs to
 * another user (not root), or group or others may write it without the
 * sticky bit, so someone else could plant a link or a file there. Undefined
 * when it is fine, or missing (`missing: true`: muster creates it).
 *
 * @example
 * ```ts
 * outputDirProblem("/tmp"); // {} (sticky)
 * outputDirProblem("/srv/shared-777"); // { problem: "is writable by others without the sticky bit (mode 0777)" }
 * ```
 */
export function outputDirProblem(path: string): { problem?: string; missing?: boolean } {
  const examined = examine(path, statSync);
  if (!("stats" in examined)) return examined;
  const s = examined.stats;
  if (!s.isDirectory()) return { problem: "is not a directory" };
  const me = currentUid();
  if (me < 0) return {};
  if (s.uid !== me && s.uid !== 0) return { problem: `is owned by ${describeUid(s.uid)}, not by this process's user (${describeUid(me)}) or root` };
  const sticky = (s.mode & 0o1000) !== 0;
  if ((s.mode & 0o022) !== 0 && !sticky) return { problem: `is writable by ${writers(s.mode)} without the sticky bit (mode ${octal(s.mode)})` };
  return {};
}

/**
 * Opens an output file for writing (created 0644, or truncated) without
 * following a symlink, after checking its directory with
 * {@linkcode outputDirProblem}; throws {@linkcode NotOwnFileError} naming
 * the path (the directory's, or the file's) and what is wrong.
 *
 * @example
 * ```ts
 * const fd = openOutputFile("reports/junit.xml");
 * ```
 */
export function openOutputFile(path: string): number {
  const dir = dirname(path);
  const { problem } = outputDirProblem(dir);
  if (problem) throw new NotOwnFileError(dir, `${problem}; ${OUTPUT_DIR_RULE}`);
  return openOwnFile(path, { access: "write", create: true, mode: 0o644, keepMode: true });
}

/** Writes to a descriptor in order; `close` closes it. */
export interface FdWriter {
  write(data: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Async writes to `fd` (each chunk whole, in the order asked).
 *
 * @example
 * ```ts
 * const out = fdWriter(openOutputFile("events.ndjson"));
 * await out.write("{}\n");
 * await out.close();
 * ```
 */
export function fdWriter(fd: number): FdWriter {
  const writeAll = (data: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) =>
      write(fd, data, 0, data.length, null, (error, n) => (error ? reject(error) : n < data.length ? writeAll(data.subarray(n)).then(resolve, reject) : resolve())),
    );
  let chain: Promise<void> = Promise.resolve();
  return {
    write: (data) => (chain = chain.then(() => writeAll(typeof data === "string" ? new TextEncoder().encode(data) : data))),
    close: () => chain.catch(() => {}).then(() => new Promise<void>((resolve) => close(fd, () => resolve()))),
  };
}
