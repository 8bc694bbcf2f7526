/**
 * Writing and reading zip archives: deflate through the web platform's
 * `CompressionStream("deflate-raw")` (stored when that does not shrink an
 * entry), Unix modes in the external attributes, UTF-8 names. No zip64: an
 * archive past 4 GiB or 65,535 entries is refused. `action: update` copies
 * the entries it keeps as stored, without recompressing them.
 * @module
 */
import { type ArchiveEntry, ArchiveFormatError, type StoredEntry } from "./archive-entry.ts";
import { crc32 } from "./crc32.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LIMIT = 0xffffffff;
const UTF8_NAMES = 0x0800;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

async function transform(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([data as BlobPart]).stream().pipeThrough(stream)).arrayBuffer());
}

/** DOS time and date fields (UTC, two-second steps; 1980 is the earliest a zip can say). */
function dosDateTime(date: Date): { time: number; date: number } {
  const d = date.getUTCFullYear() < 1980 ? new Date(Date.UTC(1980, 0, 1)) : date;
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

function fromDos(time: number, date: number): Date {
  return new Date(Date.UTC(((date >> 9) & 0x7f) + 1980, ((date >> 5) & 0xf) - 1, date & 0x1f, (time >> 11) & 0x1f, (time >> 5) & 0x3f, (time & 0x1f) * 2));
}

interface Written {
  name: Uint8Array;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  time: number;
  date: number;
  external: number;
  offset: number;
}

/** Everything a zip writes about an entry before its data. */
async function prepare(entry: ArchiveEntry | StoredEntry): Promise<Omit<Written, "offset"> & { body: Uint8Array }> {
  const name = encoder.encode(entry.kind === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name);
  const stored = (entry as StoredEntry).zip;
  if (stored) {
    return { name, method: stored.method, crc: stored.crc, compressedSize: stored.compressedSize, size: stored.size, time: stored.dosTime, date: stored.dosDate, external: stored.externalAttributes, body: stored.raw };
  }
  const { time, date } = dosDateTime(entry.mtime);
  const type = entry.kind === "dir" ? S_IFDIR : entry.kind === "symlink" ? S_IFLNK : S_IFREG;
  const external = (((type | (entry.mode & 0o7777)) << 16) >>> 0) | (entry.kind === "dir" ? 0x10 : 0);
  const data = entry.kind === "file" ? await entry.read() : entry.kind === "symlink" ? encoder.encode(entry.linkname ?? "") : new Uint8Array(0);
  const crc = crc32(data);
  const deflated = data.length > 0 && entry.kind === "file" ? await transform(data, new CompressionStream("deflate-raw")) : undefined;
  const compress = deflated !== undefined && deflated.length < data.length;
  const body = compress ? deflated : data;
  return { name, method: compress ? 8 : 0, crc, compressedSize: body.length, size: data.length, time, date, external, body };
}

/**
 * The bytes of a zip archive holding `entries`, in order, as chunks.
 *
 * @example
 * ```ts
 * for await (const chunk of zipChunks(entries)) await file.write(chunk);
 * ```
 */
export async function* zipChunks(entries: AsyncIterable<ArchiveEntry | StoredEntry> | Iterable<ArchiveEntry | StoredEntry>): AsyncGenerator<Uint8Array> {
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const { body, ...meta } = await prepare(entry);
    if (meta.size > LIMIT || meta.compressedSize > LIMIT || offset > LIMIT) throw new Error(`${entry.name} makes the archive larger than 4 GiB, which needs zip64 (not supported; use format: tgz)`);
    const local = new Uint8Array(30 + meta.name.length);
    const view = new DataView(local.buffer);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, 20, true);
    view.setUint16(6, UTF8_NAMES, true);
    view.setUint16(8, meta.method, true);
    view.setUint16(10, meta.time, true);
    view.setUint16(12, meta.date, true);
    view.setUint32(14, meta.crc, true);
    view.setUint32(18, meta.compressedSize, true);
    view.setUint32(22, meta.size, true);
    view.setUint16(26, meta.name.length, true);
    view.setUint16(28, 0, true);
    local.set(meta.name, 30);
    written.push({ ...meta, offset });
    yield local;
    if (body.length > 0) yield body;
    offset += local.length + body.length;
  }
  if (written.length > 0xffff) throw new Error(`${written.length} entries need zip64 (not supported; use format: tgz)`);
  const start = offset;
  for (const w of written) {
    const central = new Uint8Array(46 + w.name.length);
    const view = new DataView(central.buffer);
    view.setUint32(0, 0x02014b50, true);
    view.setUint16(4, (3 << 8) | 20, true); // made by Unix, so the modes in the external attributes count
    view.setUint16(6, 20, true);
    view.setUint16(8, UTF8_NAMES, true);
    view.setUint16(10, w.method, true);
    view.setUint16(12, w.time, true);
    view.setUint16(14, w.date, true);
    view.setUint32(16, w.crc, true);
    view.setUint32(20, w.compressedSize, true);
    view.setUint32(24, w.size, true);
    view.setUint16(28, w.name.length, true);
    view.setUint32(38, w.external, true);
    view.setUint32(42, w.offset, true);
    central.set(w.name, 46);
    offset += central.length;
    yield central;
  }
  const end = new Uint8Array(22);
  const view = new DataView(end.buffer);
  view.setUint32(0, 0x06054b50, true);
  view.setUint16(8, written.length, true);
  view.setUint16(10, written.length, true);
  view.setUint32(12, offset - start, true);
  view.setUint32(16, start, true);
  yield end;
}

/**
 * The entries of a zip archive, each keeping its stored bytes so that it can
 * be copied into a new archive as it is.
 *
 * @example
 * ```ts
 * readZip(await readFile("out.zip"), "out.zip").map((e) => e.name);
 * ```
 */
export function readZip(bytes: Uint8Array, path: string): StoredEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end === -1) throw new ArchiveFormatError(path, "no zip end-of-central-directory record");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: StoredEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new ArchiveFormatError(path, "a damaged central directory");
    const method = view.getUint16(at + 10, true);
    const dosTime = view.getUint16(at + 12, true);
    const dosDate = view.getUint16(at + 14, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const externalAttributes = view.getUint32(at + 38, true);
    const localOffset = view.getUint32(at + 42, true);
    const rawName = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== 0x04034b50) throw new ArchiveFormatError(path, `a damaged entry ${rawName}`);
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > bytes.length) throw new ArchiveFormatError(path, "it is cut short");
    const raw = bytes.slice(dataStart, dataStart + compressedSize);
    const unixMode = externalAttributes >>> 16;
    const kind = rawName.endsWith("/") || (unixMode & 0o170000) === S_IFDIR ? "dir" : (unixMode & 0o170000) === S_IFLNK ? "symlink" : "file";
    const read = async () => (method === 8 ? await transform(raw, new DecompressionStream("deflate-raw")) : raw);
    entries.push({
      name: rawName.replace(/\/$/, ""),
      mode: unixMode & 0o7777 || (kind === "dir" ? 0o755 : 0o644),
      mtime: fromDos(dosTime, dosDate),
      kind,
      read,
      zip: { method, crc, compressedSize, size, raw, dosTime, dosDate, externalAttributes },
    });
  }
  return entries;
}
