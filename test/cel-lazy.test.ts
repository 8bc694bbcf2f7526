/**
 * The CEL library is loaded only for files with a CEL condition: no chain of
 * static value imports from src/main.ts or a command (src/cli/*.ts, which
 * main loads lazily) reaches src/workflow/cel.ts or @bufbuild/cel (type
 * imports are erased, `import()` is lazy). A static import of cel.ts from
 * the run path made every run load it (+17 ms).
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { repoRoot } from "./helpers.ts";

/** The specifiers `file` imports statically for their values (not `import type`, not `import()`). */
function staticImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const found: string[] = [];
  for (const m of code.matchAll(/(?:^|[\s;}])(import|export)\s+(?!type\s)([^"'`;]*?)\s*from\s*["']([^"']+)["']|(?:^|[\s;}])import\s*["']([^"']+)["']/g)) {
    const spec = m[3] ?? m[4]!;
    // `import { type A, type B } from` imports nothing at run time either.
    const names = m[2]?.match(/^\{([^}]*)\}$/)?.[1];
    if (names !== undefined && names.split(",").every((n) => n.trim() === "" || n.trim().startsWith("type "))) continue;
    found.push(spec);
  }
  return found;
}

test("no static import chain from src/main.ts or a command loads the CEL library (or the freshness module)", () => {
  const commands = readdirSync(join(repoRoot, "src/cli")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => join(repoRoot, "src/cli", f));
  const starts = [join(repoRoot, "src/main.ts"), ...commands];
  const seen = new Map<string, string | undefined>(starts.map((f) => [f, undefined]));
  const pending = [...starts];
  const packages = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    for (const spec of staticImports(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) {
        packages.add(spec);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (seen.has(target)) continue;
      seen.set(target, file);
      pending.push(target);
    }
  }
  const chain = (file: string): string[] => (seen.get(file) ? [...chain(seen.get(file)!), file] : [file]).map((f) => f.replace(`${repoRoot}/`, ""));
  const cel = join(repoRoot, "src/workflow/cel.ts");
  expect(seen.has(cel) ? chain(cel) : []).toEqual([]);
  expect([...packages].filter((p) => p.startsWith("@bufbuild/"))).toEqual([]);
  expect(seen.has(join(repoRoot, "src/run/run-workflow.ts"))).toBe(true); // the walk reached the run path
  // Freshness (hashing, state files) likewise loads only for a file with inputs/artifacts/preconditions.
  const freshness = join(repoRoot, "src/run/freshness.ts");
  expect(seen.has(freshness) ? chain(freshness) : []).toEqual([]);
});
