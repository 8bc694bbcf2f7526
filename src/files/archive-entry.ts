/**
 * One entry of an archive being written: where it goes, its metadata, and
 * how to read its bytes (lazily, so that one file at a time is in memory).
 * @module
 */

/** An entry to write into a tar or zip archive. */
export interface ArchiveEntry {
  /** The `/`-separated path inside the archive. */
  name: string;
  /** Permission bits (0o644). */
  mode: number;
  mtime: Date;
  kind: "file" | "dir" | "symlink";
  /** The target of a symlink. */
  linkname?: string;
  /** The file's bytes (unused for directories and symlinks). */
  read(): Promise<Uint8Array>;
}

/** An entry read back from an existing archive (`action: update` copies these forward). */
export interface StoredEntry extends ArchiveEntry {
  /** A zip entry's bytes as stored (compressed), with what its central directory says, to copy without recompressing. */
  zip?: { method: number; crc: number; compressedSize: number; size: number; raw: Uint8Array; dosTime: number; dosDate: number; externalAttributes: number };
}

/** An archive that cannot be read (not a tar or zip, or cut short). */
export class ArchiveFormatError extends Error {
  constructor(path: string, reason: string) {
    super(`${path} is not a readable archive: ${reason}`);
    this.name = "ArchiveFormatError";
  }
}

const EMPTY = new Uint8Array(0);
/** A reader for entries without data. */
export const noData = () => Promise.resolve(EMPTY);

/**
 * The format of a destination path, from its extension.
 *
 * @example
 * ```ts
 * formatOf("dist/lambda.zip"); // "zip"
 * formatOf("out.tar.gz"); // "tgz"
 * ```
 */
export function formatOf(path: string): "zip" | "tar" | "tgz" | "tar.bz2" | "tar.xz" | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) return "tgz";
  if (lower.endsWith(".tar.bz2") || lower.endsWith(".tbz2")) return "tar.bz2";
  if (lower.endsWith(".tar.xz") || lower.endsWith(".txz")) return "tar.xz";
  if (lower.endsWith(".tar")) return "tar";
  if (lower.endsWith(".zip")) return "zip";
  return undefined;
}

