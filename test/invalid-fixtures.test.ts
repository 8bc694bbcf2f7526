/**
 * The corpus of broken workflow files: each fixtures/invalid/NAME.yaml has the
 * exact diagnostics `muster validate` must print in NAME.expected, where
 * `{STEP_TYPES}` and `{CHILD_STEP_TYPES}` stand for the registry's lists (a new
 * kind changes no fixture).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { formatDiagnostic } from "../src/workflow/diagnostics.ts";
import { parseWorkflowFile } from "../src/load/parse.ts";
import { loadCel } from "../src/workflow/condition.ts";
import { muster, repoRoot } from "./helpers.ts";
import { CHILD_STEP_TYPES, STEP_TYPES } from "../src/steps/index.ts";

const dir = "fixtures/invalid";
/** A fixture's expectation, the registry's lists filled in. */
const expectation = (name: string) =>
  readFileSync(`${repoRoot}/${dir}/${name}.expected`, "utf8").replaceAll("{STEP_TYPES}", STEP_TYPES.join(", ")).replaceAll("{CHILD_STEP_TYPES}", CHILD_STEP_TYPES.join(", "));
const names = readdirSync(`${repoRoot}/${dir}`).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();

describe("fixtures/invalid", () => {
  // The parser compiles CEL conditions once the CEL library is loaded (loading a file does it).
  beforeAll(() => loadCel());
  test("the corpus has at least 30 files, each with its expectation", () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const name of names) expect(expectation(name).trim()).not.toBe("");
  });

  for (const name of names) {
    test(name, () => {
      const file = `${dir}/${name}.yaml`;
      const { workflowFile, diagnostics } = parseWorkflowFile(file, readFileSync(`${repoRoot}/${file}`, "utf8"));
      expect(workflowFile?.workflows.size ?? 0).toBe(0); // nothing in a broken fixture may run
      const expected = expectation(name).trimEnd();
      expect(diagnostics.map(formatDiagnostic).join("\n")).toBe(expected);
    });
  }

  // Files that are not workflow files at all are skipped by a search (as Atmos does), and reported when named with -f.
  const foreign = (name: string) => expectation(name).includes("not a workflow file");

  test("the binary reports every workflow file's problems in one run and exits 2; foreign YAML is skipped and counted", async () => {
    const run = await muster(["validate"], { cwd: `${repoRoot}/${dir}` });
    expect(run.code).toBe(2);
    for (const name of names.filter((n) => !foreign(n))) {
      for (const line of expectation(name).trim().split("\n")) {
        expect(run.stderr).toContain(line.replace(`${dir}/`, ""));
      }
    }
    const skipped = names.filter(foreign);
    expect(skipped.length).toBeGreaterThan(0);
    expect(run.stderr).toContain(`(${skipped.length} other YAML file${skipped.length === 1 ? "" : "s"} without "workflows:" skipped)`);
    expect(run.stderr).not.toContain("    at ");
  });

  test("a foreign file named with -f is reported", async () => {
    for (const name of names.filter(foreign)) {
      const run = await muster(["validate", "-f", `${name}.yaml`], { cwd: `${repoRoot}/${dir}` });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(expectation(name).trim().replace(`${dir}/`, ""));
    }
  });
});
