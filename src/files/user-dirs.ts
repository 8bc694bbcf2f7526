/**
 * The user's base directories, as the XDG Base Directory spec names them:
 * where muster keeps state (the run journal, `muster serve`'s runs) and
 * what it can throw away (the parse cache).
 * @module
 */
import { homedir } from "node:os";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

/**
 * `$XDG_STATE_HOME`, else `~/.local/state`.
 *
 * @example
 * ```ts
 * stateHome({ HOME: "/home/ci" }); // "/home/ci/.local/state"
 * ```
 */
export function stateHome(env: Env): string {
  return env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
}

/**
 * `$XDG_CACHE_HOME`, else `~/.cache`.
 *
 * @example
 * ```ts
 * cacheHome({ HOME: "/home/ci", XDG_CACHE_HOME: "/cache" }); // "/cache"
 * ```
 */
export function cacheHome(env: Env): string {
  return env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
}
