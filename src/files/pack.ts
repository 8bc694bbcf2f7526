/**
 * Packing a file or directory into a zip, tar or tgz archive, as Atmos'
 * `archive` step does: `replace` writes the archive anew, `update` adds and
 * refreshes entries in an existing zip or plain tar and keeps the others.
 * `include`/`exclude` globs match paths relative to the source (exclude
 * wins), `subpath` nests everything under a directory, and `mtime` decides
 * the times and modes written: `filesystem` (the files' own), `epoch` (the
 * last git commit that touched the source, for every entry, modes
 * normalised to 644/755) or `git` (each file's own last commit). The
 * archive is written to a temporary file next to the destination and
 * renamed into place, so a failure never leaves a truncated archive.
 * @module
 */
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { type ArchiveEntry, ArchiveFormatError, noData, type StoredEntry } from "./archive-entry.ts";
import { matchGlob } from "./glob.ts";
import { readTar, tarChunks } from "./tar.ts";
import { readZip, zipChunks } from "./zip.ts";

/** The formats muster writes. */
export type ArchiveFormat = "zip" | "tar" | "tgz";
/** How entry times and modes are chosen. */
export type MtimeMode = "filesystem" | "epoch" | "git";

/** What to pack, and how. */
export interface PackOptions {
  source: string;
  destination: string;
  format: ArchiveFormat;
  action: "replace" | "update";
  subpath?: string;
  include: string[];
  exclude: string[];
  mtime: MtimeMode;
  /** Runs git (`mtime: epoch|git`): the lines it prints, or undefined when it fails. */
  git(args: string[], cwd: string): Promise<string | undefined>;
}

/** A problem with what the step asked for (a missing source, an unsupported update). */
export class PackError extends Error {
  override name = "PackError";
}

/** Whether entries of `relPath` pass the filters: exclude wins, an empty include takes everything. */
export function included(relPath: string, include: readonly string[], exclude: readonly string[]): boolean {
  if (exclude.some((p) => matchGlob(p, relPath))) return false;
  return include.length === 0 || include.some((p) => matchGlob(p, relPath));
}

/** Checks a subpath stays inside the archive. */
export function subpathProblem(subpath: string): string | undefined {
  const normalized = subpath.replaceAll("\\", "/");
  if (normalized.startsWith("/")) return `subpath "${subpath}" must be relative`;
  if (normalized.split("/").some((s) => s === "." || s === "..")) return `subpath "${subpath}" must have no "." or ".." segments`;
  return undefined;
}

const archiveJoin = (...parts: Array<string | undefined>) => parts.map((p) => (p ?? "").replace(/^\/+|\/+$/g, "")).filter(Boolean).join("/");

interface Found {
  fsPath: string;
  rel: string;
}

async function collect(source: string, options: PackOptions): Promise<Found[]> {
  const info = await lstat(source).catch(() => undefined);
  if (!info) throw new PackError(`source ${source} does not exist`);
  if (!info.isDirectory()) {
    const rel = basename(source);
    return included(rel, options.include, options.exclude) ? [{ fsPath: source, rel }] : [];
  }
  const found: Found[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const entryRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), entryRel);
      else if (included(entryRel, options.include, options.exclude)) found.push({ fsPath: join(dir, entry.name), rel: entryRel });
    }
  };
  await walk(source, "");
  return found;
}

const FALLBACK_EPOCH = new Date(Date.UTC(1980, 0, 1));

/** Entry times from git: the source's last commit, and each file's own (`git` mode). */
async function gitTimes(source: string, mode: MtimeMode, options: PackOptions): Promise<{ epoch: Date; of(fsPath: string): Date }> {
  const dir = (await stat(source)).isDirectory() ? source : dirname(source);
  const root = (await options.git(["rev-parse", "--show-toplevel"], dir))?.trim();
  if (!root) return { epoch: FALLBACK_EPOCH, of: () => FALLBACK_EPOCH };
  const realSource = await realpath(source);
  const relSource = relative(root, realSource) || ".";
  const log = await options.git(["log", "--format=%x00%ct", ...(mode === "git" ? ["--name-only"] : ["-1"]), "--", relSource], root);
  const perFile = new Map<string, Date>();
  let epoch: Date | undefined;
  let current: Date | undefined;
  for (const line of (log ?? "").split("\n")) {
    if (line.startsWith("\0")) {
      current = new Date(Number(line.slice(1)) * 1000);
      epoch ??= current;
    } else if (line && current && !perFile.has(line)) perFile.set(line, current);
  }
  const base = epoch ?? FALLBACK_EPOCH;
  return {
    epoch: base,
    of: (fsPath) => {
      if (mode !== "git") return base;
      const rel = relative(root, join(realSource, relative(source, fsPath)));
      return perFile.get(rel) ?? base;
    },
  };
}

/** The entries to write for the files found. */
async function entriesOf(found: Found[], options: PackOptions): Promise<ArchiveEntry[]> {
  const times = options.mtime === "filesystem" ? undefined : await gitTimes(options.source, options.mtime, options);
  const entries: ArchiveEntry[] = [];
  for (const { fsPath, rel } of found) {
    const info = await lstat(fsPath);
    const symlink = info.isSymbolicLink();
    const mode = times ? (info.mode & 0o111 ? 0o755 : 0o644) : info.mode & 0o7777;
    entries.push({
      name: archiveJoin(options.subpath, rel),
      mode: symlink ? 0o777 : mode,
      mtime: times ? times.of(fsPath) : info.mtime,
      kind: symlink ? "symlink" : "file",
      linkname: symlink ? await readlink(fsPath) : undefined,
      read: symlink ? noData : () => readFile(fsPath),
    });
  }
  return entries;
}

async function existingEntries(destination: string, format: "zip" | "tar"): Promise<StoredEntry[]> {
  const bytes = await readFile(destination).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  });
  if (!bytes) return [];
  try {
    return format === "zip" ? readZip(bytes, destination) : readTar(bytes, destination);
  } catch (error) {
    if (error instanceof ArchiveFormatError) throw new PackError(`cannot update ${error.message} (use action: replace to write it anew)`);
    throw error;
  }
}

async function* gzip(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const stream = new CompressionStream("gzip");
  const writer = stream.writable.getWriter();
  const feeding = (async () => {
    for await (const chunk of chunks) await writer.write(chunk as Uint8Array<ArrayBuffer>);
    await writer.close();
  })();
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    yield value;
  }
  await feeding;
}

/**
 * Packs `options.source` into `options.destination`; returns how many entries were written.
 *
 * @example
 * ```ts
 * await pack({ source: "build", destination: "dist/fn.zip", format: "zip", action: "replace", include: [], exclude: ["**\/*.map"], mtime: "epoch", git });
 * ```
 */
export async function pack(options: PackOptions): Promise<number> {
  if (options.action === "update" && options.format === "tgz") {
    throw new PackError(`update is not supported for format "tgz": only zip and uncompressed tar can be updated (use action: replace)`);
  }
  const found = await collect(options.source, options);
  const fresh = await entriesOf(found, options);
  let all: Array<ArchiveEntry | StoredEntry> = fresh;
  if (options.action === "update") {
    const replaced = new Set(fresh.map((e) => e.name));
    const kept = (await existingEntries(options.destination, options.format as "zip" | "tar")).filter((e) => !replaced.has(e.name));
    all = [...kept, ...fresh];
  }
  await mkdir(dirname(options.destination), { recursive: true });
  const mode = (await stat(options.destination).catch(() => undefined))?.mode ?? 0o644;
  const temp = join(dirname(options.destination), `.${basename(options.destination)}.muster-${crypto.randomUUID().slice(0, 8)}`);
  const handle = await open(temp, "w", mode & 0o777);
  try {
    const chunks = options.format === "zip" ? zipChunks(all) : options.format === "tar" ? tarChunks(all) : gzip(tarChunks(all));
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.close();
    await rename(temp, options.destination);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  return all.length;
}
