/**
 * Which run dirs in `$TMPDIR` belong to a live runner. Each runner takes a
 * random tag at start and holds an flock on `$TMPDIR/muster-runner-<tag>.lock`
 * for as long as it lives; its run dirs (and clone-secret dirs) are named
 * `muster-run-<tag>-XXXXXX` (`muster-secrets-<tag>-XXXXXX`). The kernel frees
 * the lock when the runner dies (`kill -9` too), so the start-up sweep removes
 * a dir only when the lock of its tag is free: a runner in another PID
 * namespace or container that shares the TMPDIR holds its lock as visibly
 * as one next door, which a pid never showed (S9).
 *
 * Left alone: dirs whose tag has no lock file (pid-named dirs of muster
 * before this scheme, or a lock a temp cleaner removed: not judged, never
 * deleted), dirs another user owns and symlinks.
 * @module
 */
import { lstatSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentUid } from "../files/owned-path.ts";
import { platform } from "../platform/index.ts";
import type { FileLock } from "../platform/types.ts";

/** A run's dir: `<tmp>/muster-run-<tag>-XXXXXX`. */
export const RUN_DIR_PREFIX = "muster-run-";
/** The runner's lock: `<tmp>/muster-runner-<tag>.lock`. */
const LOCK_PREFIX = "muster-runner-";
/** The dirs the sweep judges: run dirs and clone-secret dirs (`muster-secrets-<tag>-`). */
const SWEPT = /^muster-(?:run|secrets)-(r[0-9a-f]{16})-/;

/** This runner's tag and the lock that proves it alive; taken once, on first use. */
let own: { tag: string; lock: FileLock } | undefined;

/**
 * This runner's tag, taking its lock on first use (so a run dir is never
 * made under a tag nobody holds).
 *
 * @example
 * ```ts
 * await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${runDirTag()}-`)); // /tmp/muster-run-r3f9c0a1b2d4e5f60-Ab12Cd
 * ```
 */
export function runDirTag(): string {
  if (own) return own.tag;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tag = `r${randomBytes(8).toString("hex")}`;
    const lock = platform.tryLockFile(join(tmpdir(), `${LOCK_PREFIX}${tag}.lock`));
    if (!lock) continue; // (a random tag another process holds: try another)
    own = { tag, lock };
    return tag;
  }
  throw new Error(`cannot take a runner lock in ${tmpdir()}`);
}

/** Whether a process holds the lock of `tag` (true when that cannot be told: a missing or unreadable lock is never judged free). */
function heldByOther(tag: string): boolean {
  const path = join(tmpdir(), `${LOCK_PREFIX}${tag}.lock`);
  try {
    if (!lstatSync(path).isFile()) return true;
    const lock = platform.tryLockFile(path);
    if (!lock) return true;
    lock.release();
    return false;
  } catch {
    return true;
  }
}

/**
 * Removes run dirs (and clone-secret dirs) of runners whose lock is free,
 * with their lock files; returns the dirs removed. Takes this runner's lock
 * first, so that a sweep by a runner starting later never judges it dead.
 *
 * @example
 * ```ts
 * for (const dir of await sweepStaleRunDirs()) log("info", "removed a run dir left by a runner that is gone", { dir });
 * ```
 */
export async function sweepStaleRunDirs(): Promise<string[]> {
  const mine = runDirTag();
  const tmp = tmpdir();
  const me = currentUid();
  const removed: string[] = [];
  const free = new Map<string, boolean>();
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    const tag = SWEPT.exec(name)?.[1];
    if (!tag || tag === mine) continue;
    if (!free.has(tag)) free.set(tag, !heldByOther(tag));
    if (!free.get(tag)) continue; // its runner is alive (or cannot be judged)
    const path = join(tmp, name);
    const s = lstatSync(path, { throwIfNoEntry: false });
    if (!s?.isDirectory() || (me >= 0 && s.uid !== me)) continue; // another user's, or a symlink: not ours to remove
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  // A dead runner's lock goes with its dirs (the next sweep would find it free again anyway).
  for (const [tag, isFree] of free) if (isFree) await rm(join(tmp, `${LOCK_PREFIX}${tag}.lock`), { force: true });
  return removed;
}
