import { expect, test } from "bun:test";
import { expandGroup } from "./expand.ts";
import type { ControlStep, LeafStep } from "./types.ts";

const source = { file: "w.yaml", line: 1, col: 1 };
const leaf = (name: string, needs: string[] = []): LeafStep => ({ name, type: "shell", command: "true", when: "success", env: {}, needs, source });
const control = (over: Partial<ControlStep>): ControlStep => ({
  name: "g", type: "parallel", when: "success", env: {}, needs: [], source, maxConcurrency: 0,
  fail: { mode: "wait_all", maxFailures: 0 }, output: { mode: "grouped", order: "completion", showSummary: true, prefix: "" },
  steps: [leaf("build"), leaf("test", ["build"])], ...over,
});

test("parallel children keep their names and needs", () => {
  expect(expandGroup(control({})).map((c) => [c.name, c.needs])).toEqual([["build", []], ["test", ["build"]]]);
});

test("matrix children are named per combination and need siblings of the same combination", () => {
  const children = expandGroup(control({ type: "matrix", matrix: { axes: [{ name: "os", values: ["linux", "darwin"] }], include: [], exclude: [] } }));
  expect(children.map((c) => [c.name, c.needs])).toEqual([
    ["build (linux)", []], ["test (linux)", ["build (linux)"]], ["build (darwin)", []], ["test (darwin)", ["build (darwin)"]],
  ]);
  expect(children[3]!.matrix).toEqual({ os: "darwin" });
});
