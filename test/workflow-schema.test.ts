/**
 * The JSON Schema of workflow files (issue "The first hour"): generated from
 * the parser's schemas, committed as schemas/workflow.json (kept equal),
 * accepting every workflow the parser accepts in fixtures/atmos and
 * examples, and refusing a misspelt field.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { SAMPLE_WORKFLOW } from "../src/cli/init-files.ts";
import { schemaText } from "../src/cli/schema.ts";
import { parseWorkflowFile } from "../src/load/parse.ts";
import { YamlSource } from "../src/workflow/yaml-source.ts";
import { muster, repoRoot } from "./helpers.ts";
import { validateJson } from "./json-schema.ts";

const committed = readFileSync(join(repoRoot, "schemas/workflow.json"), "utf8");
const schema = JSON.parse(committed) as Record<string, unknown>;
const check = (text: string) => validateJson(new YamlSource(text).value, schema);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe("schemas/workflow.json", () => {
  test("is what muster schema generates from the parser's schemas (regenerate: bun src/main.ts schema > schemas/workflow.json)", async () => {
    expect(committed).toBe(await schemaText());
  });

  test("muster schema prints it, and muster --help lists the command", async () => {
    const run = await muster(["schema"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(committed);
    expect((await muster(["--help"])).stdout).toContain("schema    Print the JSON Schema of workflow files, for editors");
  });

  test("accepts every workflow the parser accepts in fixtures/atmos and examples", () => {
    const files = [...yamlFiles(join(repoRoot, "fixtures/atmos")), ...yamlFiles(join(repoRoot, "examples"))];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const parsed = parseWorkflowFile(file, text);
      if (parsed.foreign || parsed.fileLevel) continue;
      const value = new YamlSource(text).value as { workflows: Record<string, unknown> };
      for (const [name, workflow] of Object.entries(value.workflows)) {
        if (parsed.broken?.has(name)) continue;
        // Accepted with a warning (a number or boolean where a string goes, as Atmos reads it): the editor says so too.
        if (parsed.warnings?.some((w) => w.workflow === name && w.message.includes("taken as the string"))) continue;
        expect({ file: relative(repoRoot, file), name, problems: validateJson({ workflows: { [name]: workflow } }, schema) }).toEqual({ file: relative(repoRoot, file), name, problems: [] });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  test("accepts the sample muster init writes", () => {
    expect(check(SAMPLE_WORKFLOW)).toEqual([]);
  });

  test("refuses a misspelt field, an unknown step type, a bad value and a wrong with: for the action", () => {
    expect(check("workflows:\n  w:\n    steps:\n      - type: shell\n        comand: echo hi\n")).toContain("$.workflows.w.steps[0]: unexpected property comand");
    expect(check("workflows:\n  w:\n    steps:\n      - type: shel\n        command: echo hi\n").join("\n")).toContain('$.workflows.w.steps[0].type: "shel" not in ["atmos","shell",');
    expect(check("workflows:\n  w:\n    steps:\n      - command: plan\n        tmeout: 5s\n")).toContain("$.workflows.w.steps[0]: unexpected property tmeout");
    expect(check("workflows:\n  w:\n    descripton: x\n    steps: []\n")).toContain("$.workflows.w: unexpected property descripton");
    expect(check("workflows:\n  w:\n    steps:\n      - type: parallel\n        steps:\n          - { type: shell, command: a, when: always }\n").join("\n")).toContain("$.workflows.w.steps[0].steps[0]: unexpected property when");
    expect(check("workflows:\n  w:\n    steps:\n      - type: container\n        action: push\n        with: { image: a, context: . }\n")).toContain("$.workflows.w.steps[0].with: unexpected property context");
    expect(check("workflows:\n  w:\n    steps:\n      - type: container\n        with: { image: a, context: . }\n")).toContain("$.workflows.w.steps[0].with: unexpected property context");
    expect(check("workflows:\n  w:\n    steps:\n      - type: shell\n        command: a\n        when: 42\n").join("\n")).toContain("$.workflows.w.steps[0].when: matches none of anyOf");
    expect(check("workflows:\n  w:\n    steps:\n      - type: shell\n        command: a\n        when: { any: [Failure, ci] }\n")).toEqual([]);
  });
});
