/**
 * Where the run journal lives, and making sure it is private: a directory
 * of this user's that nobody else may read (0700), as the journal holds
 * the values a run was given and what its steps printed.
 *
 * Location: `$MUSTER_JOURNAL_DIR`, else `$XDG_STATE_HOME/muster/journal`,
 * else `~/.local/state/muster/journal` (the state home `muster serve`
 * keeps its runs under; the parse cache is in the cache home instead, as
 * it can be thrown away). `MUSTER_NO_JOURNAL=1` turns the journal off.
 * @module
 */
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { currentUid, ownDirProblem } from "../files/owned-path.ts";
import { stateHome } from "../files/user-dirs.ts";

/**
 * The journal directory for `env`, or undefined when the journal is off.
 *
 * @example
 * ```ts
 * journalDir({ HOME: "/home/ci" }); // "/home/ci/.local/state/muster/journal"
 * ```
 */
export function journalDir(env: Record<string, string | undefined>): string | undefined {
  if (env.MUSTER_NO_JOURNAL && env.MUSTER_NO_JOURNAL !== "0") return undefined;
  if (env.MUSTER_JOURNAL_DIR) return env.MUSTER_JOURNAL_DIR;
  return join(stateHome(env), "muster", "journal");
}

/**
 * Creates `dir` (0700) when missing and makes sure it is this user's own
 * and private: a symlink, another owner or a group- or other-writable
 * directory is refused (its problem returned); one that others may only
 * read is narrowed to 0700.
 *
 * @example
 * ```ts
 * privateDirProblem("/home/ci/.local/state/muster/journal"); // undefined: usable
 * ```
 */
export function privateDirProblem(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return `cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const { problem } = ownDirProblem(dir);
  if (problem) return problem;
  if (currentUid() >= 0 && (lstatSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return undefined;
}
