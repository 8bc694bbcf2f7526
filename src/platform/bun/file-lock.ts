/**
 * `flock(2)` for Bun, through `bun:ffi` (Bun has no file-lock API): the
 * Bun side of `Platform.tryLockFile`.
 * @internal
 * @module
 */
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import type { FileLock } from "../types.ts";
import { openLibc } from "./libc.ts";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
/** Linux's O_CLOEXEC (node:fs has no constant for it): a run's processes never inherit the lock. */
const O_CLOEXEC = 0o2000000;

let libc: ReturnType<typeof open> | undefined;
const open = () => openLibc({ flock: { args: ["i32", "i32"], returns: "i32" } });

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
  libc ??= open();
  if (!libc) throw new Error(`cannot lock ${path}: file locks need the C library through FFI (Linux)`);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | O_CLOEXEC, 0o600);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`cannot lock ${path}: not a regular file`);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  // On a valid descriptor of a regular file, LOCK_NB fails only with EWOULDBLOCK: another open file holds it.
  if (libc.symbols.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    closeSync(fd);
    return undefined;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      libc!.symbols.flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}
