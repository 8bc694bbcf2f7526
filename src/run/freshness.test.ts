/**
 * The freshness module against Atmos' algorithms, rebuilt here byte by byte
 * with node:crypto from pkg/hashfile/hashfile.go and
 * pkg/runner/freshness/checker.go (stateKey), so a drift from Atmos' hash or
 * key (which would stop Atmos and muster sharing state) fails here.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeFacts, type FreshnessIdentity, globMatches, hashFiles, loadRecord, recordSuccess, saveRecord, stateDir, stateKey } from "./freshness.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "muster-fresh-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Atmos' HashFiles, from its Go source: sorted paths; per file u64be(len(path)) path u64be(size) content. */
function atmosHashFiles(files: Array<{ shown: string; content: string }>): string {
  const h = createHash("sha256");
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return b;
  };
  for (const f of [...files].sort((a, b) => (a.shown < b.shown ? -1 : 1))) {
    const path = Buffer.from(f.shown);
    const content = Buffer.from(f.content);
    h.update(u64(path.length)).update(path).update(u64(content.length)).update(content);
  }
  return h.digest("hex");
}

/** Atmos' stateKey: sha256 over scope, step, dir, sorted patterns, each followed by a NUL. */
const atmosStateKey = (scope: string, step: string, dir: string, patterns: string[]) =>
  createHash("sha256").update([scope, step, dir, ...[...patterns].sort()].map((p) => `${p}\0`).join("")).digest("hex");

const identity = (dir: string, extra: Partial<FreshnessIdentity> = {}): FreshnessIdentity => ({
  dir,
  keyDir: ".",
  stateDir: stateDir(dir),
  scope: `workflow:${dir}/workflows.yaml:build`,
  stepName: "compile",
  path: "/usr/bin:/bin",
  ...extra,
});
const checksumOnly = { checksum: true, timestamp: false, sources: false, artifacts: false };

describe("Atmos' hash and key", () => {
  test("hashFiles is Atmos' HashFiles: sorted by path, length-prefixed path and content; a rename changes it", async () => {
    const dir = project({ "src/b.txt": "bee\n", "src/a.txt": "a" });
    const files = [{ file: join(dir, "src/b.txt"), shown: "src/b.txt" }, { file: join(dir, "src/a.txt"), shown: "src/a.txt" }];
    expect(await hashFiles(files)).toBe(atmosHashFiles([{ shown: "src/a.txt", content: "a" }, { shown: "src/b.txt", content: "bee\n" }]));
    expect(await hashFiles([])).toBe(createHash("sha256").digest("hex"));
    expect(await hashFiles([{ file: join(dir, "src/a.txt"), shown: "src/c.txt" }])).not.toBe(await hashFiles([{ file: join(dir, "src/a.txt"), shown: "src/a.txt" }]));
  });

  test("stateKey is Atmos' key: NUL-terminated parts, the patterns sorted", () => {
    const key = stateKey("workflow:/p/w.yaml:build", "compile", ".", ["src/*.ts", "go.mod"]);
    expect(key).toBe(atmosStateKey("workflow:/p/w.yaml:build", "compile", ".", ["go.mod", "src/*.ts"]));
    expect(key).toBe(stateKey("workflow:/p/w.yaml:build", "compile", ".", ["go.mod", "src/*.ts"]));
    expect(key).not.toBe(stateKey("workflow:/p/w.yaml:build", "compile", ".", ["src/*.ts"]));
  });

  test("the state file is Atmos' <key>.json holding {\"sources_hash\":...}; stale temp files go; a corrupt one is a miss", async () => {
    const dir = project({});
    const state = stateDir(dir);
    expect(state).toBe(join(dir, ".atmos", "cache", "freshness"));
    const key = "ab".repeat(32);
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, `${key}.123.tmp`), "left by a killed run");
    await saveRecord(state, key, { sources_hash: "cafe" });
    expect(readdirSync(state)).toEqual([`${key}.json`]);
    expect(readFileSync(join(state, `${key}.json`), "utf8")).toBe(`{"sources_hash":"cafe"}`);
    expect(await loadRecord(state, key)).toEqual({ sources_hash: "cafe" });
    writeFileSync(join(state, `${key}.json`), "{not json");
    expect(await loadRecord(state, key)).toBeUndefined();
    expect(await loadRecord(join(dir, "nowhere"), key)).toBeUndefined();
    expect(saveRecord(state, "../escape", { sources_hash: "x" })).rejects.toThrow("not a hex digest");
  });
});

describe("globs relative to the step's directory, named as Atmos names them", () => {
  test("\".\" for a step without working_directory; the joined directory otherwise; absolute patterns stay absolute", async () => {
    const dir = project({ "src/a.ts": "", "src/deep/b.ts": "", "src/c.md": "", "infra/main.tf": "" });
    expect((await globMatches({ dir, keyDir: "." }, "src/*.ts", false)).map((m) => m.shown)).toEqual(["src/a.ts"]);
    expect((await globMatches({ dir, keyDir: "." }, "./src/**/*.ts", false)).map((m) => m.shown)).toEqual(["src/a.ts", "src/deep/b.ts"]);
    expect((await globMatches({ dir: join(dir, "infra"), keyDir: "infra" }, "*.tf", false)).map((m) => m.shown)).toEqual(["infra/main.tf"]);
    expect((await globMatches({ dir, keyDir: "." }, join(dir, "src/*.md"), false)).map((m) => m.shown)).toEqual([join(dir, "src/c.md")]);
    expect(await globMatches({ dir, keyDir: "." }, "missing/**/*.ts", false)).toEqual([]);
    // A literal path is one lookup; a directory counts only for artifacts.
    expect((await globMatches({ dir, keyDir: "." }, "src/a.ts", false)).map((m) => m.shown)).toEqual(["src/a.ts"]);
    expect(await globMatches({ dir, keyDir: "." }, "src/deep", false)).toEqual([]);
    expect((await globMatches({ dir, keyDir: "." }, "src/deep", true)).map((m) => m.shown)).toEqual(["src/deep"]);
  });
});

describe("facts", () => {
  test("checksum.changed: true until a success is recorded, false while sources are unchanged, true after an edit", async () => {
    const dir = project({ "src/a.txt": "one" });
    const declared = { inputs: { sources: ["src/*.txt"] } };
    expect((await computeFacts(declared, checksumOnly, identity(dir))).checksumChanged).toBe(true);
    await recordSuccess(declared, identity(dir));
    const key = atmosStateKey(`workflow:${dir}/workflows.yaml:build`, "compile", ".", ["src/*.txt"]);
    expect(JSON.parse(readFileSync(join(stateDir(dir), `${key}.json`), "utf8"))).toEqual({ sources_hash: atmosHashFiles([{ shown: "src/a.txt", content: "one" }]) });
    expect((await computeFacts(declared, checksumOnly, identity(dir))).checksumChanged).toBe(false);
    writeFileSync(join(dir, "src/a.txt"), "two");
    expect((await computeFacts(declared, checksumOnly, identity(dir))).checksumChanged).toBe(true);
    // Another step (another key) has no record of its own.
    await recordSuccess(declared, identity(dir));
    expect((await computeFacts(declared, checksumOnly, identity(dir, { stepName: "other" }))).checksumChanged).toBe(true);
  });

  test("a missing artifact forces a change; an artifacts-only step becomes fresh once recorded", async () => {
    const dir = project({ "src/a.txt": "one" });
    const declared = { inputs: { sources: ["src/*.txt"] }, artifacts: { paths: ["out/*.bin"] } };
    await recordSuccess(declared, identity(dir));
    expect((await computeFacts(declared, checksumOnly, identity(dir))).checksumChanged).toBe(true);
    writeFileSync(join(dir, "src/x"), "");
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out/app.bin"), "");
    expect((await computeFacts(declared, checksumOnly, identity(dir))).checksumChanged).toBe(false);
    const artifactsOnly = { artifacts: { paths: ["out"] } };
    expect((await computeFacts(artifactsOnly, checksumOnly, identity(dir, { stepName: "pack" }))).checksumChanged).toBe(true);
    await recordSuccess(artifactsOnly, identity(dir, { stepName: "pack" }));
    expect((await computeFacts(artifactsOnly, checksumOnly, identity(dir, { stepName: "pack" }))).checksumChanged).toBe(false);
  });

  test("preconditions.success: every tool on PATH (looked up without a shell)", async () => {
    const dir = project({ "bin/mytool": "#!/bin/sh\n" });
    chmodSync(join(dir, "bin/mytool"), 0o755);
    const id = identity(dir, { path: join(dir, "bin") });
    const none = { checksum: false, timestamp: false, sources: false, artifacts: false };
    expect((await computeFacts({ preconditions: { tools: ["mytool"] } }, none, id)).preconditionsSuccess).toBe(true);
    expect((await computeFacts({ preconditions: { tools: ["mytool", "no-such-tool-x"] } }, none, id)).preconditionsSuccess).toBe(false);
    expect((await computeFacts({ preconditions: { tools: [] } }, none, id)).preconditionsSuccess).toBe(true);
  });

  test("timestamp.changed compares the newest source with the oldest artifact; sources/artifacts are per-file records", async () => {
    const dir = project({ "src/a.txt": "a", "out/a.bin": "bin" });
    utimesSync(join(dir, "src/a.txt"), 1000, 1000);
    utimesSync(join(dir, "out/a.bin"), 2000, 2000);
    const declared = { inputs: { sources: ["src/*.txt"] }, artifacts: { paths: ["out/*.bin"] } };
    const all = { checksum: false, timestamp: true, sources: true, artifacts: true };
    const facts = await computeFacts(declared, all, identity(dir));
    expect(facts.timestampChanged).toBe(false);
    expect(facts.sources).toEqual([{ path: "src/a.txt", mtime: 1000, checksum: atmosHashFiles([{ shown: "src/a.txt", content: "a" }]) }]);
    expect(facts.artifacts.map((a) => [a.path, a.mtime])).toEqual([["out/a.bin", 2000]]);
    utimesSync(join(dir, "src/a.txt"), 3000, 3000);
    expect((await computeFacts(declared, all, identity(dir))).timestampChanged).toBe(true);
    // Facts not asked for are not computed.
    expect((await computeFacts(declared, checksumOnly, identity(dir))).sources).toEqual([]);
  });
});
