import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "bun:test";
import type { ArchiveEntry } from "./archive-entry.ts";
import { formatOf } from "./archive-entry.ts";
import { crc32 } from "./crc32.ts";
import { expandGlob, GlobError, matchGlob } from "./glob.ts";
import { junitMarkdown, parseJUnit, reportOf } from "./junit-report.ts";
import { pack, PackError } from "./pack.ts";
import { readTar, tarChunks } from "./tar.ts";
import { parseXml, XmlError } from "./xml.ts";
import { readZip, zipChunks } from "./zip.ts";

const root = mkdtempSync(join(tmpdir(), "muster-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const encode = (s: string) => new TextEncoder().encode(s);
const collect = async (chunks: AsyncIterable<Uint8Array>) => {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
};
const entry = (name: string, text: string, extra: Partial<ArchiveEntry> = {}): ArchiveEntry => ({ name, mode: 0o644, mtime: new Date(Date.UTC(2024, 0, 2, 3, 4, 6)), kind: "file", read: () => Promise.resolve(encode(text)), ...extra });

describe("glob", () => {
  test.each([
    ["*.xml", "a.xml", true],
    ["*.xml", "dir/a.xml", false],
    ["**/*.xml", "a.xml", true],
    ["**/*.xml", "x/y/a.xml", true],
    ["reports/**", "reports/a/b", true],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[!a]*", "bcd", true],
    ["[!a]*", "abc", false],
    ["*.{js,ts}", "x.ts", true],
    ["*.{js,ts}", "x.rs", false],
    ["\\*.txt", "*.txt", true],
    ["\\*.txt", "a.txt", false],
  ])("%s matches %s: %p", (pattern, path, expected) => {
    expect(matchGlob(pattern, path)).toBe(expected);
  });

  test("a pattern with an unclosed class or brace is an error that names it", () => {
    expect(() => matchGlob("[ab", "a")).toThrow(GlobError);
    expect(() => matchGlob("{a,b", "a")).toThrow('invalid glob pattern "{a,b": a { is not closed');
  });

  test("expandGlob walks from the literal prefix and returns sorted relative paths", async () => {
    const dir = join(root, "glob");
    for (const p of ["reports/unit.xml", "reports/e2e/a.xml", "reports/e2e/notes.txt", "other/x.xml"]) {
      mkdirSync(join(dir, p, ".."), { recursive: true });
      writeFileSync(join(dir, p), "x");
    }
    expect(await expandGlob(dir, "reports/**/*.xml")).toEqual(["reports/e2e/a.xml", "reports/unit.xml"]);
    expect(await expandGlob(dir, "*/*.xml")).toEqual(["other/x.xml", "reports/unit.xml"]);
    expect(await expandGlob(dir, "missing/*.xml")).toEqual([]);
    // Only files: a directory (or a symlink to one) named like a match is not one; a symlink to a file is.
    mkdirSync(join(dir, "reports/dir.xml"));
    symlinkSync("e2e", join(dir, "reports/dirlink.xml"));
    symlinkSync("unit.xml", join(dir, "reports/link.xml"));
    expect(await expandGlob(dir, "reports/*.xml")).toEqual(["reports/link.xml", "reports/unit.xml"]);
    expect(await expandGlob(dir, "reports/unit.xml")).toEqual(["reports/unit.xml"]);
  });
});

test("crc32 of the standard check string", () => {
  expect(crc32(encode("123456789")).toString(16)).toBe("cbf43926");
});

test("formatOf infers formats from extensions", () => {
  expect([formatOf("a.zip"), formatOf("a.TAR.GZ"), formatOf("a.tgz"), formatOf("a.tar"), formatOf("a.tar.xz"), formatOf("a.rar")]).toEqual(["zip", "tgz", "tgz", "tar", "tar.xz", undefined]);
});

describe("tar", () => {
  test("entries round-trip with mode, time, long names (PAX) and symlinks", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(110)}.txt`;
    const bytes = await collect(tarChunks([entry("a.txt", "hello", { mode: 0o755 }), entry(long, "deep"), entry("link", "", { kind: "symlink", linkname: "a.txt", mode: 0o777 })]));
    expect(bytes.length % 512).toBe(0);
    const back = readTar(bytes, "t.tar");
    expect(back.map((e) => [e.name, e.kind, e.mode, e.mtime.toISOString()])).toEqual([
      ["a.txt", "file", 0o755, "2024-01-02T03:04:06.000Z"],
      [long, "file", 0o644, "2024-01-02T03:04:06.000Z"],
      ["link", "symlink", 0o777, "2024-01-02T03:04:06.000Z"],
    ]);
    expect(new TextDecoder().decode(await back[1]!.read())).toBe("deep");
    expect(back[2]!.linkname).toBe("a.txt");
  });

  test("a damaged header is refused", () => {
    const bytes = new Uint8Array(1024);
    bytes[0] = 65;
    expect(() => readTar(bytes, "bad.tar")).toThrow("bad.tar is not a readable archive: bad header checksum at byte 0");
  });
});

describe("zip", () => {
  test("entries round-trip, compressed when that helps, stored otherwise", async () => {
    const big = "abc".repeat(1000);
    const bytes = await collect(zipChunks([entry("big.txt", big), entry("x", "1", { mode: 0o755 })]));
    const back = readZip(bytes, "t.zip");
    expect(back.map((e) => [e.name, e.mode, e.zip!.method, e.mtime.toISOString()])).toEqual([
      ["big.txt", 0o644, 8, "2024-01-02T03:04:06.000Z"],
      ["x", 0o755, 0, "2024-01-02T03:04:06.000Z"],
    ]);
    expect(new TextDecoder().decode(await back[0]!.read())).toBe(big);
    // Copying a read entry forward keeps its stored bytes.
    const again = readZip(await collect(zipChunks(back)), "again.zip");
    expect(new TextDecoder().decode(await again[0]!.read())).toBe(big);
  });

  test("a file that is not a zip is refused", () => {
    expect(() => readZip(encode("not a zip at all, just text long enough"), "x.zip")).toThrow("no zip end-of-central-directory record");
  });
});

describe("pack", () => {
  const git = () => Promise.resolve(undefined);
  test("include/exclude, subpath, update keeps other entries, tgz update is refused", async () => {
    const src = join(root, "pack-src");
    mkdirSync(join(src, "sub"), { recursive: true });
    writeFileSync(join(src, "a.txt"), "a");
    writeFileSync(join(src, "sub", "b.js"), "b");
    writeFileSync(join(src, "sub", "b.js.map"), "m");
    symlinkSync("a.txt", join(src, "ln"));
    const dest = join(root, "out", "p.tar");
    expect(await pack({ source: src, destination: dest, format: "tar", action: "replace", include: [], exclude: ["**/*.map"], subpath: "opt", mtime: "filesystem", git })).toBe(3);
    expect(readTar(readFileSync(dest), dest).map((e) => e.name)).toEqual(["opt/a.txt", "opt/ln", "opt/sub/b.js"]);
    writeFileSync(join(src, "c.txt"), "c");
    await pack({ source: src, destination: dest, format: "tar", action: "update", include: ["c.txt"], exclude: [], subpath: "opt", mtime: "filesystem", git });
    expect(readTar(readFileSync(dest), dest).map((e) => e.name)).toEqual(["opt/a.txt", "opt/ln", "opt/sub/b.js", "opt/c.txt"]);
    await expect(pack({ source: src, destination: join(root, "out", "p.tgz"), format: "tgz", action: "update", include: [], exclude: [], mtime: "filesystem", git })).rejects.toThrow(PackError);
    await expect(pack({ source: join(src, "nope"), destination: dest, format: "tar", action: "replace", include: [], exclude: [], mtime: "filesystem", git })).rejects.toThrow("does not exist");
  });

  test("mtime epoch outside git pins 1980-01-01 and normalises modes", async () => {
    const src = join(root, "epoch-src");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "run.sh"), "x", { mode: 0o700 });
    writeFileSync(join(src, "data"), "y", { mode: 0o600 });
    const dest = join(root, "out", "e.zip");
    await pack({ source: src, destination: dest, format: "zip", action: "replace", include: [], exclude: [], mtime: "epoch", git });
    const back = readZip(readFileSync(dest), dest);
    expect(back.map((e) => [e.name, e.mode, e.mtime.toISOString()])).toEqual([
      ["data", 0o644, "1980-01-01T00:00:00.000Z"],
      ["run.sh", 0o755, "1980-01-01T00:00:00.000Z"],
    ]);
  });
});

describe("xml and junit", () => {
  test("elements, attributes, entities and CDATA", () => {
    const root = parseXml(`<?xml version="1.0"?><!-- c --><a x="1 &amp; 2"><b>t &lt; u</b><c><![CDATA[<raw>]]></c></a>`);
    expect(root.attributes.x).toBe("1 & 2");
    expect(root.children.map((c) => c.text)).toEqual(["t < u", "<raw>"]);
  });

  test("malformed documents name the line", () => {
    expect(() => parseXml("<a>\n<b>\n</a>")).toThrow(new XmlError(3, "</a> closes <b>"));
    expect(() => parseXml("<a>")).toThrow("<a> is not closed");
    expect(() => parseXml("")).toThrow("no root element");
  });

  test("cases are classified and summarised as Atmos does", () => {
    const cases = [
      ...parseJUnit(`<testsuites><testsuite name="s"><testcase name="ok"/><testcase name="bad" file="f.ts" line="3"><failure message="boom"/></testcase><testcase name="sk"><skipped/></testcase></testsuite></testsuites>`),
      ...parseJUnit(`<testsuite name="t"><testcase name="err"><error>trace</error></testcase></testsuite>`),
    ];
    const report = reportOf(cases);
    expect([report.tests, report.passed, report.failures, report.errors, report.skipped]).toEqual([4, 1, 1, 1, 1]);
    const md = junitMarkdown(report, "Tests");
    expect(md.startsWith("## ❌ Tests\n")).toBe(true);
    expect(md).toContain("| :x: fail | `s` | `bad` |");
    expect(md).toContain("**`bad`** (f.ts:3)\n\n```\nboom\n```");
    expect(md).toContain("**`err`** (t)\n\n```\ntrace\n```");
    expect(() => parseJUnit("<report/>")).toThrow("the root element is <report>");
  });
});
