/**
 * A cache of parsed workflow files, keyed by a hash of their exact content
 * (and muster's version). Parsing YAML is most of what `muster workflow`
 * costs before the first step starts (about 150 ms for a 1,000-entry file),
 * and workflow files rarely change between runs. Only files that validated
 * cleanly are cached, so a cache hit never needs a position for an error.
 *
 * Location: `$MUSTER_CACHE_DIR`, else `$XDG_CACHE_HOME/muster`, else
 * `~/.cache/muster`; `MUSTER_NO_CACHE=1` turns it off. Failures to read or
 * write the cache are ignored: it is only ever an optimisation.
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../version.ts";
import { platform } from "../platform/index.ts";

/** Entries kept; the oldest are removed beyond this. */
const MAX_ENTRIES = 256;

/** The cache directory, or undefined when caching is off. */
export function cacheDir(env: Record<string, string | undefined>): string | undefined {
  if (env.MUSTER_NO_CACHE && env.MUSTER_NO_CACHE !== "0") return undefined;
  if (env.MUSTER_CACHE_DIR) return env.MUSTER_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "muster", "parsed");
}

/** The cache key of a file's text. */
export function cacheKey(text: string): string {
  return createHash("sha256").update(VERSION).update("\0").update(text).digest("hex");
}

/**
 * The value `text` parsed to before, if cached.
 *
 * @example
 * ```ts
 * const known = await readParsed(dir, text); // undefined on a miss
 * ```
 */
export async function readParsed(dir: string | undefined, text: string): Promise<unknown> {
  if (!dir) return undefined;
  try {
    return JSON.parse(await readFile(join(dir, `${cacheKey(text)}.json`), "utf8"));
  } catch {
    return undefined;
  }
}

/** Whether `value` survives a JSON round trip unchanged (no Infinity, NaN, binary, ...). */
export function isJsonSafe(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonSafe);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isJsonSafe);
  return false;
}

/** Stores the parsed value of a file that validated cleanly. */
export async function writeParsed(dir: string | undefined, text: string, value: unknown): Promise<void> {
  if (!dir || !isJsonSafe(value)) return;
  try {
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${cacheKey(text)}.json`);
    const temp = `${file}.${platform.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, file); // atomic: a concurrent reader sees all or nothing
    await prune(dir);
  } catch {
    // a read-only or full disk only costs speed
  }
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json"));
  if (names.length <= MAX_ENTRIES) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => a.t - b.t);
  await Promise.all(dated.slice(0, dated.length - MAX_ENTRIES).map((d) => rm(join(dir, d.n), { force: true })));
}
