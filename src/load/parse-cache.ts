/**
 * A cache of parsed workflow files, keyed by a hash of their exact content
 * (and muster's version). Parsing YAML is most of what `muster workflow`
 * costs before the first step starts (about 150 ms for a 1,000-entry file),
 * and workflow files rarely change between runs. Only files that validated
 * cleanly are cached, so a cache hit never needs a position for an error.
 *
 * An entry decides which commands run, so it is trusted only as far as this
 * user made it: the directory must be this user's and writable by nobody
 * else; each entry carries the hash of the text it was parsed from and an
 * HMAC under a key kept in a 0600 file there; entries and temp files are
 * created exclusively (no symlink is followed, no name is predictable); and
 * anything odd (a FIFO, a huge entry, a bad MAC, a parse error) is a miss.
 *
 * Location: `$MUSTER_CACHE_DIR`, else `$XDG_CACHE_HOME/muster/parsed`, else
 * `~/.cache/muster/parsed`; `MUSTER_NO_CACHE=1` turns it off. Failures to
 * read or write the cache are ignored: it is only ever an optimisation.
 * @module
 */
import { lstat, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { cacheHome } from "../files/user-dirs.ts";
import { platform } from "../platform/index.ts";
import { COMMIT, VERSION } from "../version.ts";

/** node:crypto, loaded only when the cache is used: it costs every run that does not need it several ms of start-up. */
const crypto = () => import("node:crypto");

/** Entries kept; the oldest are removed beyond this. */
const MAX_ENTRIES = 256;
/** An entry larger than this is not read. */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/** The cache directory, or undefined when caching is off. */
export function cacheDir(env: Record<string, string | undefined>): string | undefined {
  if (env.MUSTER_NO_CACHE && env.MUSTER_NO_CACHE !== "0") return undefined;
  if (env.MUSTER_CACHE_DIR) return env.MUSTER_CACHE_DIR;
  return join(cacheHome(env), "muster", "parsed");
}

/** The cache key of a file's text: the build (version and commit) is part of it, as what a text parses to may change between builds. */
export function cacheKey(text: string): string {
  return platform.digest("sha256", `${VERSION}+${COMMIT}\0${text}`);
}

const uid = (): number => {
  try {
    return userInfo().uid;
  } catch {
    return -1;
  }
};

/** Whether `path` is a regular file or directory owned by us and writable by nobody else (`private`: readable by nobody else). */
async function trusted(path: string, kind: "dir" | "file", mode: "private" | "shared-read"): Promise<boolean> {
  const s = await lstat(path).catch(() => undefined);
  if (!s || (kind === "dir" ? !s.isDirectory() : !s.isFile())) return false;
  const me = uid();
  if (me >= 0 && s.uid !== me) return false;
  return (s.mode & (mode === "private" ? 0o077 : 0o022)) === 0;
}

/**
 * Where the entry for `text` lives. Entries end in `.entry`, not `.json`: muster
 * before the authenticated format read `<hash>.json` as a bare value, so the two
 * formats never meet, whichever version reads the directory.
 */
export function entryPath(dir: string, text: string): string {
  return join(dir, `${cacheKey(text)}.entry`);
}

/** Reads a small regular file without following a symlink or blocking on a FIFO; undefined if it is anything else. */
async function readSmall(path: string, limit: number): Promise<string | undefined> {
  const s = await lstat(path).catch(() => undefined);
  if (!s || !s.isFile() || s.size > limit) return undefined;
  const handle = await open(path, "r").catch(() => undefined);
  if (!handle) return undefined;
  try {
    const now = await handle.stat();
    if (!now.isFile() || now.ino !== s.ino || now.size > limit) return undefined; // swapped in between
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

/** Creates `path` exclusively (O_EXCL: an existing file or symlink there fails) with `data`, mode 0600. */
async function createExclusive(path: string, data: string): Promise<void> {
  const handle = await open(path, "wx", 0o600);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/** The directory's HMAC key, made on first use; undefined when the directory or key cannot be trusted. */
async function cacheSecret(dir: string, create: boolean): Promise<Buffer | undefined> {
  if (create) await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => {});
  if (!(await trusted(dir, "dir", "shared-read"))) return undefined;
  const keyFile = join(dir, "key");
  if (create && !(await lstat(keyFile).catch(() => undefined))) {
    const { randomBytes } = await crypto();
    await createExclusive(keyFile, randomBytes(32).toString("hex")).catch(() => {});
  }
  if (!(await trusted(keyFile, "file", "private"))) return undefined;
  const text = await readSmall(keyFile, 1024);
  return text && /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, "hex") : undefined;
}

const mac = async (secret: Buffer, hash: string, body: string) => (await crypto()).createHmac("sha256", secret).update(hash).update("\n").update(body).digest("hex");

/**
 * The value `text` parsed to before, if cached (and trusted).
 *
 * @example
 * ```ts
 * const known = await readParsed(dir, text); // undefined on a miss
 * ```
 */
export async function readParsed(dir: string | undefined, text: string): Promise<unknown> {
  if (!dir) return undefined;
  try {
    const secret = await cacheSecret(dir, false);
    if (!secret) return undefined;
    const hash = cacheKey(text);
    const raw = await readSmall(entryPath(dir, text), MAX_ENTRY_BYTES);
    if (raw === undefined) return undefined;
    const entry = JSON.parse(raw) as { hash?: unknown; mac?: unknown; body?: unknown };
    if (entry.hash !== hash || typeof entry.body !== "string" || typeof entry.mac !== "string") return undefined;
    const expected = Buffer.from(await mac(secret, hash, entry.body), "hex");
    const given = Buffer.from(entry.mac, "hex");
    const { timingSafeEqual } = await crypto();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return JSON.parse(entry.body);
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
    const secret = await cacheSecret(dir, true);
    if (!secret) return;
    const hash = cacheKey(text);
    const body = JSON.stringify(value);
    const file = entryPath(dir, text);
    const temp = join(dir, `.${(await crypto()).randomBytes(12).toString("hex")}.tmp`);
    await createExclusive(temp, JSON.stringify({ v: 1, hash, mac: await mac(secret, hash, body), body }));
    await rename(temp, file).catch(async (error) => {
      await rm(temp, { force: true });
      throw error;
    }); // atomic: a concurrent reader sees all or nothing
    await prune(dir);
  } catch {
    // a read-only or full disk only costs speed
  }
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".entry"));
  if (names.length <= MAX_ENTRIES) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => a.t - b.t);
  await Promise.all(dated.slice(0, dated.length - MAX_ENTRIES).map((d) => rm(join(dir, d.n), { force: true })));
}
