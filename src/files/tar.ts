/**
 * Writing and reading POSIX tar streams (ustar, with PAX headers for long
 * names). Written by hand rather than with `Bun.Archive`, which keeps every
 * entry in memory, sets no per-entry mode or time and has no Deno
 * equivalent; this code is the same on both runtimes.
 * @module
 */
import { type ArchiveEntry, ArchiveFormatError, type StoredEntry } from "./archive-entry.ts";

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(fields: { name: string; mode: number; size: number; mtime: number; type: string; linkname?: string; prefix?: string }): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, width: number) => block.set(encoder.encode(text).subarray(0, width), offset);
  put(fields.name, 0, 100);
  put(octal(fields.mode & 0o7777, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(fields.size, 12), 124, 12);
  put(octal(Math.max(0, Math.floor(fields.mtime)), 12), 136, 12);
  put("        ", 148, 8);
  put(fields.type, 156, 1);
  put(fields.linkname ?? "", 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  put(fields.prefix ?? "", 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(octal(sum, 7) + " ", 148, 8);
  return block;
}

/** A PAX record `"<len> key=value\n"`, whose length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (bodyLength + String(length).length !== length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/** Splits a long name into ustar's prefix and name, when it can. */
function splitName(name: string): { name: string; prefix?: string } | undefined {
  if (encoder.encode(name).length <= 100) return { name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== "/") continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(rest).length <= 100 && rest) return { name: rest, prefix };
  }
  return undefined;
}

/**
 * The bytes of a tar archive holding `entries`, in order, as chunks.
 *
 * @example
 * ```ts
 * for await (const chunk of tarChunks(entries)) await file.write(chunk);
 * ```
 */
export async function* tarChunks(entries: AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    const data = entry.kind === "file" ? await entry.read() : new Uint8Array(0);
    const name = entry.kind === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name;
    const type = entry.kind === "dir" ? "5" : entry.kind === "symlink" ? "2" : "0";
    const mtime = entry.mtime.getTime() / 1000;
    let split = splitName(name);
    if (!split || (entry.linkname && encoder.encode(entry.linkname).length > 100)) {
      const pax = encoder.encode(paxRecord("path", name) + (entry.linkname ? paxRecord("linkpath", entry.linkname) : ""));
      yield header({ name: "PaxHeader", mode: 0o644, size: pax.length, mtime, type: "x" });
      yield pax;
      yield padding(pax.length);
      split = { name: name.slice(-100) };
    }
    yield header({ ...split, mode: entry.mode, size: data.length, mtime, type, linkname: entry.linkname?.slice(0, 100) });
    if (data.length > 0) {
      yield data;
      yield padding(data.length);
    }
  }
  yield new Uint8Array(BLOCK * 2);
}

function text(block: Uint8Array, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function number(block: Uint8Array, offset: number, width: number): number {
  const raw = text(block, offset, width).trim();
  return raw === "" ? 0 : parseInt(raw, 8);
}

/**
 * The entries of an uncompressed tar archive (files, directories, symlinks;
 * PAX and GNU long names applied).
 *
 * @example
 * ```ts
 * readTar(await readFile("out.tar"), "out.tar").map((e) => e.name);
 * ```
 */
export function readTar(bytes: Uint8Array, path: string): StoredEntry[] {
  const entries: StoredEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  while (offset + BLOCK <= bytes.length) {
    const block = bytes.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) return entries;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
    if (sum !== number(block, 148, 8)) throw new ArchiveFormatError(path, `bad header checksum at byte ${offset}`);
    const size = number(block, 124, 12);
    const type = text(block, 156, 1) || "0";
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) throw new ArchiveFormatError(path, "it is cut short");
    const data = bytes.slice(dataStart, dataStart + size);
    offset = dataStart + size + padding(size).length;
    if (type === "x") {
      for (const record of decoder.decode(data).split("\n")) {
        const match = /^\d+ (path|linkpath)=(.*)$/.exec(record);
        if (match?.[1] === "path") longName = match[2];
        if (match?.[1] === "linkpath") longLink = match[2];
      }
      continue;
    }
    if (type === "L" || type === "K") {
      const value = decoder.decode(data).replace(/\0+$/, "");
      if (type === "L") longName = value;
      else longLink = value;
      continue;
    }
    if (type === "g") continue;
    const prefix = text(block, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
    const linkname = longLink ?? text(block, 157, 100);
    longName = longLink = undefined;
    const kind = type === "5" ? "dir" : type === "2" ? "symlink" : "file";
    if (!["0", "7", "5", "2"].includes(type)) continue; // devices, fifos, hard links: not something a pack writes
    entries.push({ name: kind === "dir" ? name.replace(/\/$/, "") : name, mode: number(block, 100, 8), mtime: new Date(number(block, 136, 12) * 1000), kind, linkname: kind === "symlink" ? linkname : undefined, read: () => Promise.resolve(data) });
  }
  throw new ArchiveFormatError(path, "it has no end-of-archive marker");
}
