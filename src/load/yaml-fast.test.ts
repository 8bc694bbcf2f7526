import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { formatDiagnostic } from "../workflow/diagnostics.ts";
import { parseWorkflowFile } from "./parse.ts";
import { countKeys, fastYaml } from "../workflow/yaml-fast.ts";

const runtimeParse = (text: string) => Bun.YAML.parse(text);

test("keys are counted in block maps, flow maps and quoted keys; block scalars are not maps", () => {
  expect(countKeys("workflows:\n  w:\n    steps:\n      - name: a # a comment: with colon\n        command: echo hi\n")).toBe(5);
  expect(countKeys("steps:\n  - { name: a, type: shell, command: \"echo {{ .x }}\" }\n  - [1, 2, {k: v}]\n")).toBe(5);
  expect(countKeys("c: |\n  a: 1\n  a: 1\nd: 2\n")).toBe(2);
  expect(countKeys(`"a b": 1\n'c': 2\n`)).toBe(2);
});

test("constructs where the two parsers could differ are left to the full parser", () => {
  for (const text of ["a: &x 1\nb: *x\n", "b: &b {x: 1}\nd:\n  <<: *b\n", "t: !env HOME\n", "? complex\n: v\n", "a: 1\n---\nb: 2\n", `a: "open\n  close"\n`, "a: [1,\n  2]\n"]) {
    expect({ text, count: countKeys(text) }).toEqual({ text, count: undefined });
  }
});

test("a duplicate key, anywhere, sends the file down the full path", () => {
  for (const text of ["a: 1\nb: 2\na: 3\n", "x:\n  a: 1\n  a: 2\n", "s: { a: 1, a: 2 }\n", "- {k: 1}\n- {k: 1, k: 2}\n"]) {
    expect({ text, value: fastYaml(text, runtimeParse, 64) }).toEqual({ text, value: undefined });
  }
});

test("on every fixture and example, both paths agree: same value where the fast one answers, same diagnostics", () => {
  let fast = 0;
  for (const dir of ["fixtures/invalid", "examples/hello", "examples/parallel-steps"]) {
    const root = join(import.meta.dir, "../..", dir);
    for (const name of readdirSync(root).filter((f) => f.endsWith(".yaml"))) {
      const text = readFileSync(join(root, name), "utf8");
      const value = fastYaml(text, runtimeParse, 64);
      if (value === undefined) continue;
      fast++;
      expect({ name, value }).toEqual({ name, value: parse(text) });
      const full = parseWorkflowFile(name, text).diagnostics.map(formatDiagnostic);
      const quick = parseWorkflowFile(name, text, value).diagnostics.map(formatDiagnostic);
      expect({ name, quick }).toEqual({ name, quick: full });
    }
  }
  expect(fast).toBeGreaterThan(40);
});
