/**
 * The corpus of broken workflow files: each fixtures/invalid/NAME.yaml has the
 * exact diagnostics `muster validate` must print in NAME.expected.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { formatDiagnostic } from "../src/workflow/diagnostics.ts";
import { parseWorkflowFile } from "../src/workflow/parse.ts";
import { muster, repoRoot } from "./helpers.ts";

const dir = "fixtures/invalid";
const names = readdirSync(`${repoRoot}/${dir}`).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();

describe("fixtures/invalid", () => {
  test("the corpus has at least 30 files, each with its expectation", () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const name of names) expect(readFileSync(`${repoRoot}/${dir}/${name}.expected`, "utf8").trim()).not.toBe("");
  });

  for (const name of names) {
    test(name, () => {
      const file = `${dir}/${name}.yaml`;
      const { workflowFile, diagnostics } = parseWorkflowFile(file, readFileSync(`${repoRoot}/${file}`, "utf8"));
      expect(workflowFile).toBeUndefined();
      const expected = readFileSync(`${repoRoot}/${dir}/${name}.expected`, "utf8").trimEnd();
      expect(diagnostics.map(formatDiagnostic).join("\n")).toBe(expected);
    });
  }

  test("the binary reports every file's problems in one run and exits 2", async () => {
    const run = await muster(["validate"], { cwd: `${repoRoot}/${dir}` });
    expect(run.code).toBe(2);
    for (const name of names) {
      for (const line of readFileSync(`${repoRoot}/${dir}/${name}.expected`, "utf8").trim().split("\n")) {
        expect(run.stderr).toContain(line.replace(`${dir}/`, ""));
      }
    }
    expect(run.stderr).not.toContain("    at ");
  });
});
