import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheDir, isJsonSafe, readParsed, writeParsed } from "./parse-cache.ts";
import { parseWorkflowFile } from "./parse.ts";
import { formatDiagnostic } from "./diagnostics.ts";

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
    expect(readdirSync(dir).every((f) => f.endsWith(".json"))).toBe(true);
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
  expect(fast.diagnostics.map(formatDiagnostic)).toEqual(full.diagnostics.map(formatDiagnostic));
  expect(full.diagnostics.map(formatDiagnostic)).toEqual(['w.yaml:7:9: workflow "w": duplicate step name "a", first used at line 4 (expected unique names)']);
});
