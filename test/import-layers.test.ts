import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkImports } from "../scripts/check-imports.ts";

const dirs: string[] = [];
afterAll(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "muster-imports-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test("src/ has no import circle and no import against the layers", () => {
  const result = checkImports(join(import.meta.dir, "..", "src"));
  expect(result.circles).toEqual([]);
  expect(result.upward).toEqual([]);
  expect(result.files).toBeGreaterThan(100);
});

test("a circle through a type import or a dynamic import() is found", () => {
  const dir = tree({
    "steps/kind.ts": 'import type { Runner } from "./runner.ts";\nexport type Kind = { run: Runner };\n',
    "steps/runner.ts": 'export type Runner = () => Promise<unknown>;\nexport const load = () => import("./kind.ts");\n',
    "steps/other.ts": '// import { x } from "./kind.ts"; (a comment is not an import)\nexport const other = 1;\n',
  });
  expect(checkImports(dir).circles).toEqual([["steps/kind.ts", "steps/runner.ts"]]);
});

test("an engine file importing a kind is against the layers; a test is exempt", () => {
  const dir = tree({
    "steps/sleep.ts": "export const sleep = 1;\n",
    "engine/run.ts": 'import { sleep } from "../steps/sleep.ts";\nexport const run = sleep;\n',
    "engine/run.test.ts": 'import { sleep } from "../steps/sleep.ts";\n',
  });
  expect(checkImports(dir).upward).toEqual(["engine/run.ts → steps/sleep.ts"]);
});
