/**
 * The Deno side of `Platform.tryLockFile`: `Deno.FsFile.tryLockSync`, which
 * is `flock(2)` on Linux, so Bun and Deno runners see each other's locks.
 * Deno cannot open with O_NOFOLLOW: the path is lstat-ed first and the
 * opened file must be the same inode (callers lock only inside directories
 * they own, where nobody else can swap an entry in between).
 * @internal
 * @module
 */
import type { FileLock } from "../types.ts";
import { Deno } from "./deno-api.ts";

/**
 * Takes an exclusive flock on `path` without waiting (see `Platform.tryLockFile`).
 *
 * @example
 * ```ts
 * const lock = tryLockFile("/tmp/muster-runner-x/lock"); // undefined: another process holds it
 * lock?.release();
 * ```
 */
export function tryLockFile(path: string): FileLock | undefined {
  let before: ReturnType<typeof Deno.lstatSync> | undefined;
  try {
    before = Deno.lstatSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (before && !before.isFile) throw new Error(`cannot lock ${path}: ${before.isSymlink ? "a symlink" : "not a regular file"} (ELOOP)`);
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  try {
    const now = file.statSync();
    if (!now.isFile || (before && (now.ino !== before.ino || now.dev !== before.dev))) throw new Error(`cannot lock ${path}: the file changed while it was opened`);
    if (!file.tryLockSync(true)) {
      file.close();
      return undefined;
    }
  } catch (error) {
    file.close();
    throw error;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      file.unlockSync();
      file.close();
    },
  };
}
