import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheDir, cacheKey, entryPath, isJsonSafe, readParsed, writeParsed } from "./parse-cache.ts";
import { parseWorkflowFile } from "./parse.ts";
import { formatDiagnostic } from "../workflow/diagnostics.ts";

test("the cache directory follows the environment", () => {
  expect(cacheDir({ MUSTER_NO_CACHE: "1", MUSTER_CACHE_DIR: "/x" })).toBeUndefined();
  expect(cacheDir({ MUSTER_CACHE_DIR: "/x" })).toBe("/x");
  expect(cacheDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/muster/parsed");
  expect(cacheDir({ HOME: "/h" })).toBe("/h/.cache/muster/parsed");
});

test("round trip by content; values JSON cannot keep are not cached", async () => {
  const dir = mkdtempSync(join(tmpdir(), "muster-cache-test-"));
  try {
    expect(await readParsed(dir, "a: 1")).toBeUndefined();
    await writeParsed(dir, "a: 1", { a: 1 });
    expect(await readParsed(dir, "a: 1")).toEqual({ a: 1 });
    expect(await readParsed(dir, "a: 2")).toBeUndefined();
    expect(isJsonSafe({ a: [1, "x", null, true] })).toBe(true);
    expect(isJsonSafe({ a: Infinity })).toBe(false);
    await writeParsed(dir, "b: .inf", { b: Infinity });
    expect(await readParsed(dir, "b: .inf")).toBeUndefined();
    expect(readdirSync(dir).every((f) => f.endsWith(".entry") || f === "key")).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(existsSync(dir)).toBe(false);
});

test("with a known value the YAML is parsed only for positions, which stay exact", () => {
  const text = "workflows:\n  w:\n    steps:\n      - name: a\n        type: shell\n        command: x\n      - name: a\n        type: shell\n        command: y\n";
  const full = parseWorkflowFile("w.yaml", text);
  const known = {
    workflows: { w: { steps: [{ name: "a", type: "shell", command: "x" }, { name: "a", type: "shell", command: "y" }] } },
  };
  const fast = parseWorkflowFile("w.yaml", text, known);
  // A name used twice is accepted with a warning (as Atmos accepts it): positioned alike either way.
  expect(fast.warnings?.map(formatDiagnostic)).toEqual(full.warnings?.map(formatDiagnostic));
  expect(full.warnings?.map(formatDiagnostic)).toEqual([`w.yaml:7:9: workflow "w": step name "a" is used twice (first at line 4); it runs, as in Atmos, and its result replaces the first's in .steps.a (expected unique names)`]);
});

describe("an entry is trusted only as far as this user made it", () => {
  const fresh = () => mkdtempSync(join(tmpdir(), "muster-cache-trust-"));

  test("a forged entry (right name, no valid MAC) is a miss, so its commands never run", async () => {
    const dir = fresh();
    try {
      await writeParsed(dir, "a: 1", { a: 1 }); // makes the key
      const hash = cacheKey("a: 1");
      writeFileSync(entryPath(dir, "a: 1"), JSON.stringify({ v: 1, hash, mac: "00".repeat(32), body: JSON.stringify({ a: "$(touch pwned)" }) }));
      expect(await readParsed(dir, "a: 1")).toBeUndefined();
      // The old format (the bare value) is a miss too.
      writeFileSync(entryPath(dir, "a: 1"), JSON.stringify({ a: 2 }));
      expect(await readParsed(dir, "a: 1")).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an entry is bound to its text: copied under another text's name, it is a miss", async () => {
    const dir = fresh();
    try {
      await writeParsed(dir, "a: 1", { a: 1 });
      const entry = readFileSync(entryPath(dir, "a: 1"), "utf8");
      writeFileSync(entryPath(dir, "b: 2"), entry);
      expect(await readParsed(dir, "b: 2")).toBeUndefined();
      expect(statSync(join(dir, "key")).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a FIFO where an entry should be is a miss, not a hang", async () => {
    const dir = fresh();
    try {
      await writeParsed(dir, "x: 1", { x: 1 });
      const entry = entryPath(dir, "y: 1");
      expect(Bun.spawnSync(["mkfifo", entry]).success).toBe(true);
      expect(await readParsed(dir, "y: 1")).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a directory others may write to is not used at all", async () => {
    const dir = fresh();
    try {
      await writeParsed(dir, "a: 1", { a: 1 });
      chmodSync(dir, 0o777);
      expect(await readParsed(dir, "a: 1")).toBeUndefined();
      await writeParsed(dir, "c: 1", { c: 1 });
      expect(existsSync(entryPath(dir, "c: 1"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
