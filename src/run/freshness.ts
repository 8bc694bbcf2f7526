/**
 * Freshness as Atmos computes it (pkg/runner/freshness, pkg/hashfile): a
 * step's `inputs.sources`, `artifacts.paths` and `preconditions.tools` give
 * the facts `checksum.changed`, `timestamp.changed`, `preconditions.success`,
 * `sources` and `artifacts` that its `when:` (explicit or implicit) reads.
 * The sources' hash is kept in Atmos' own state files, one per step under
 * `<base_path>/.atmos/cache/freshness/<key>.json` holding
 * `{"sources_hash":"<hex>"}`, so Atmos and muster share them: the key and the
 * hash are computed byte for byte as Atmos does (see {@linkcode stateKey},
 * {@linkcode hashFiles}). Only the facts the condition mentions are computed.
 *
 * Loaded lazily by the engine: files without these fields never load it.
 * @module
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join, posix } from "node:path";
import { platform } from "../platform/index.ts";
import { findExecutable } from "../engine/find-executable.ts";
import { globToRegExp } from "../files/glob.ts";
import type { CelFileFact } from "../workflow/cel.ts";
import type { FreshnessDeclarations } from "../workflow/types.ts";

/** The facts of one step (Atmos' freshness.Facts). */
export interface FreshnessFacts {
  checksumChanged: boolean;
  timestampChanged: boolean;
  preconditionsSuccess: boolean;
  sources: CelFileFact[];
  artifacts: CelFileFact[];
}

/** Which facts a step's condition reads (Atmos' freshnessNeeds): the rest are not computed. */
export interface FreshnessNeeds {
  checksum: boolean;
  timestamp: boolean;
  sources: boolean;
  artifacts: boolean;
}

/** Where a step's globs start and how its state is keyed (Atmos' StepIdentity). */
export interface FreshnessIdentity {
  /** The step's directory (absolute): its globs start here. */
  dir: string;
  /**
   * The directory as Atmos names it in the key and in the hashed paths: "."
   * for a step without `working_directory` (Atmos globs from its own
   * working directory then), else the directory as Atmos joins it.
   */
  keyDir: string;
  /** `<base_path>/.atmos/cache/freshness`. */
  stateDir: string;
  /** `workflow:<absolute workflow file>:<workflow name>`, Atmos' scope for workflow steps. */
  scope: string;
  stepName: string;
  /** The PATH `preconditions.tools` are looked up in. */
  path: string;
}

/** A matched file: where it is, and the path Atmos hashes and shows for it. */
interface Match {
  file: string;
  shown: string;
}

/**
 * Atmos' freshness state directory for a project.
 *
 * @example
 * ```ts
 * stateDir("/repo"); // "/repo/.atmos/cache/freshness"
 * ```
 */
export function stateDir(basePath: string): string {
  return join(basePath, ".atmos", "cache", "freshness");
}

/**
 * The state key of a step (Atmos' Checker.stateKey): the hex SHA-256 of
 * scope, step name, directory and the sorted source patterns, each followed
 * by a NUL byte, so editing `inputs.sources` starts afresh.
 *
 * @example
 * ```ts
 * stateKey("workflow:/repo/w.yaml:build", "compile", ".", ["src/*.ts"]); // 64 hex digits
 * ```
 */
export function stateKey(scope: string, stepName: string, keyDir: string, patterns: readonly string[]): string {
  const hash = platform.hasher("sha256");
  for (const part of [scope, stepName, keyDir, ...[...patterns].sort(byteOrder)]) hash.update(part).update(new Uint8Array([0]));
  return hash.digest();
}

/**
 * Atmos' HashFiles: the files sorted by path, then for each its path and its
 * content, each preceded by its length as 8 big-endian bytes, into one
 * SHA-256. The hashed path is `shown` (Atmos' spelling of it).
 *
 * @example
 * ```ts
 * await hashFiles([{ file: "/repo/a.txt", shown: "a.txt" }]); // 64 hex digits
 * await hashFiles([]); // the SHA-256 of nothing
 * ```
 */
export async function hashFiles(files: ReadonlyArray<Match>): Promise<string> {
  const hash = platform.hasher("sha256");
  for (const match of [...files].sort((a, b) => byteOrder(a.shown, b.shown))) {
    const path = new TextEncoder().encode(match.shown);
    hash.update(lengthPrefix(path.length)).update(path);
    const content = await readFile(match.file).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${match.shown} to hash it: ${error.code ?? error.message}`);
    });
    hash.update(lengthPrefix(content.length)).update(content);
  }
  return hash.digest();
}

function lengthPrefix(length: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(length));
  return bytes;
}

/** Go's sort.Strings order (bytes; for the ASCII of paths the same as code units). */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Whether a path segment has glob syntax. */
const isGlobSegment = (segment: string) => /[*?[{\\]/.test(segment);

/**
 * What `pattern` matches from `id.dir` (doublestar's rules, as Atmos globs):
 * the literal directories before the first wildcard are the base, a base
 * that does not exist matches nothing. `dirs`: directories match too (an
 * artifact may be one); otherwise files only.
 */
export async function globMatches(id: Pick<FreshnessIdentity, "dir" | "keyDir">, pattern: string, dirs: boolean): Promise<Match[]> {
  const absolute = isAbsolute(pattern);
  const full = posix.normalize(absolute ? pattern : posix.join(id.dir, pattern));
  const shownFull = absolute ? full : posix.join(id.keyDir, pattern);
  const segments = full.split("/");
  const literal: string[] = [];
  while (segments.length > 0 && !isGlobSegment(segments[0]!)) literal.push(segments.shift()!);
  // Atmos' base is the literal prefix (the whole pattern when it has no wildcard: one lookup).
  const base = literal.join("/") || "/";
  const shownBase = shownFull.split("/").slice(0, shownFull.split("/").length - segments.length).join("/");
  const show = (rel: string) => (rel === "" ? shownBase || "." : posix.join(shownBase || ".", rel));
  if (segments.length === 0) {
    const info = await stat(base).catch(() => undefined);
    return info && (info.isFile() || (dirs && info.isDirectory())) ? [{ file: base, shown: show("") }] : [];
  }
  const rest = segments.join("/");
  const regex = globToRegExp(rest);
  const deep = segments.some((s) => s.includes("**"));
  const found: Match[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    const entries = await readdir(rel ? join(base, rel) : base, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(join(base, path)).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (regex.test(path) && (isFile || (dirs && isDir))) found.push({ file: join(base, path), shown: show(path) });
      if (isDir && !entry.isSymbolicLink() && (deep || depth + 1 < segments.length)) await walk(path, depth + 1);
    }
  };
  await walk("", 0);
  return found.sort((a, b) => byteOrder(a.shown, b.shown));
}

/** Every pattern's matches, each file once (Atmos' globAll). */
async function globAll(id: Pick<FreshnessIdentity, "dir" | "keyDir">, patterns: readonly string[]): Promise<Match[]> {
  const seen = new Set<string>();
  const all: Match[] = [];
  for (const pattern of patterns) {
    for (const match of await globMatches(id, pattern, false)) {
      if (seen.has(match.shown)) continue;
      seen.add(match.shown);
      all.push(match);
    }
  }
  return all;
}

/**
 * The facts of a step (Atmos' Checker.Compute): preconditions always (a
 * PATH lookup per tool), the rest only as `needs` asks.
 *
 * @example
 * ```ts
 * const facts = await computeFacts({ inputs: { sources: ["src/**\/*.ts"] } }, { checksum: true, timestamp: false, sources: false, artifacts: false }, id);
 * facts.checksumChanged; // true on the first run
 * ```
 */
export async function computeFacts(declared: FreshnessDeclarations, needs: FreshnessNeeds, id: FreshnessIdentity): Promise<FreshnessFacts> {
  const facts: FreshnessFacts = { checksumChanged: false, timestampChanged: false, preconditionsSuccess: false, sources: [], artifacts: [] };
  if (declared.preconditions) facts.preconditionsSuccess = declared.preconditions.tools.every((tool) => findExecutable(tool, id.path) !== undefined);
  if (!declared.inputs && !declared.artifacts) return facts;
  const sourcePatterns = declared.inputs?.sources ?? [];
  const artifactPatterns = declared.artifacts?.paths ?? [];
  let sources: Match[] = [];
  let artifacts: Match[] = [];
  let artifactsAllExist = true;
  if ((needs.checksum || needs.timestamp || needs.sources) && sourcePatterns.length > 0) sources = await globAll(id, sourcePatterns);
  if ((needs.checksum || needs.timestamp || needs.artifacts) && artifactPatterns.length > 0) {
    for (const pattern of artifactPatterns) {
      const matches = await globMatches(id, pattern, true);
      if (matches.length === 0) artifactsAllExist = false;
      artifacts.push(...matches);
    }
  }
  if (needs.sources) facts.sources = await fileFacts(sources);
  if (needs.artifacts) facts.artifacts = await fileFacts(artifacts);
  if (needs.timestamp) facts.timestampChanged = await timestampChanged(sources, artifacts, artifactsAllExist);
  if (needs.checksum) {
    if (!artifactsAllExist) facts.checksumChanged = true;
    else {
      const hash = await hashFiles(sources);
      const record = await loadRecord(id.stateDir, stateKey(id.scope, id.stepName, id.keyDir, sourcePatterns));
      facts.checksumChanged = record === undefined || record.sources_hash !== hash;
    }
  }
  return facts;
}

/**
 * Records the sources' hash after the step succeeded (Atmos'
 * RecordSuccess): also for a step with only `artifacts`, whose empty
 * sources hash lets it become fresh once its artifacts exist.
 */
export async function recordSuccess(declared: FreshnessDeclarations, id: FreshnessIdentity): Promise<void> {
  const patterns = declared.inputs?.sources ?? [];
  const hash = await hashFiles(await globAll(id, patterns));
  await saveRecord(id.stateDir, stateKey(id.scope, id.stepName, id.keyDir, patterns), { sources_hash: hash });
}

/** Atmos' Record, as its JSON has it. */
export interface FreshnessRecord {
  sources_hash: string;
}

/** A step's record; undefined when there is none or it is not JSON (a corrupt file is a miss, as in Atmos). */
export async function loadRecord(dir: string, key: string): Promise<FreshnessRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, `${key}.json`), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { sources_hash?: unknown } | null;
    if (parsed === null || typeof parsed !== "object") return undefined;
    return { sources_hash: typeof parsed.sources_hash === "string" ? parsed.sources_hash : "" };
  } catch {
    return undefined;
  }
}

/** Writes a record as Atmos does: a uniquely named temp file renamed into place, stale temp files of the key removed first. */
export async function saveRecord(dir: string, key: string, record: FreshnessRecord): Promise<void> {
  if (!/^[0-9a-f]+$/.test(key)) throw new Error(`freshness state key ${JSON.stringify(key)} is not a hex digest`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(`${key}.`) && name.endsWith(".tmp")) await rm(join(dir, name), { force: true });
  }
  const tmp = join(dir, `${key}.${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}.tmp`);
  // Go's json.Marshal of Record: no spaces, no newline.
  await writeFile(tmp, JSON.stringify({ sources_hash: record.sources_hash }), { mode: 0o600 });
  try {
    await rename(tmp, join(dir, `${key}.json`));
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Per-file facts for `sources`/`artifacts`: path as Atmos shows it, mtime in Unix seconds, the file's own hash; directories are left out. */
async function fileFacts(matches: Match[]): Promise<CelFileFact[]> {
  const facts: CelFileFact[] = [];
  for (const match of matches) {
    const info = await stat(match.file).catch(() => undefined);
    if (!info || !info.isFile()) continue;
    facts.push({ path: match.shown, mtime: Math.floor(info.mtimeMs / 1000), checksum: await hashFiles([match]) });
  }
  return facts;
}

/** Atmos' timestampChanged: the newest source is newer than the oldest artifact (no state; a missing artifact is a change). */
async function timestampChanged(sources: Match[], artifacts: Match[], artifactsAllExist: boolean): Promise<boolean> {
  if (!artifactsAllExist) return true;
  if (artifacts.length === 0) return sources.length > 0;
  let newestSource = 0;
  for (const s of sources) {
    const info = await stat(s.file).catch(() => undefined);
    if (info && info.mtimeMs > newestSource) newestSource = info.mtimeMs;
  }
  let oldestArtifact = Infinity;
  for (const a of artifacts) {
    const info = await stat(a.file).catch(() => undefined);
    if (!info) return true;
    oldestArtifact = Math.min(oldestArtifact, info.mtimeMs);
  }
  return newestSource > oldestArtifact;
}
