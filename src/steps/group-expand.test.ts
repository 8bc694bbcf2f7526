import { expect, test } from "bun:test";
import type { GroupStep } from "./group-types.ts";
import { expandGroup } from "./group-expand.ts";
import type { StepBase } from "../workflow/types.ts";

const source = { file: "w.yaml", line: 1, col: 1 };
const leaf = (name: string, needs: string[] = []): StepBase => ({ name, type: "shell", needs, outputs: {}, source, sourceOf: () => source });
const group = (over: Partial<GroupStep>) => ({ type: "parallel" as const, steps: [leaf("build"), leaf("test", ["build"])], ...over });

test("parallel children keep their names and needs", () => {
  expect(expandGroup(group({})).map((c) => [c.name, c.needs])).toEqual([["build", []], ["test", ["build"]]]);
});

test("matrix children without needs are chained in declared order within their combination", () => {
  const children = expandGroup(group({ type: "matrix", steps: [leaf("a"), leaf("b"), leaf("c")], matrix: { axes: [{ name: "os", values: ["l", "d"] }], include: [], exclude: [] } }));
  expect(children.map((c) => [c.name, c.needs])).toEqual([
    ["a (l)", []], ["b (l)", ["a (l)"]], ["c (l)", ["b (l)"]], ["a (d)", []], ["b (d)", ["a (d)"]], ["c (d)", ["b (d)"]],
  ]);
});

test("matrix children are named per combination and need siblings of the same combination", () => {
  const children = expandGroup(group({ type: "matrix", matrix: { axes: [{ name: "os", values: ["linux", "darwin"] }], include: [], exclude: [] } }));
  expect(children.map((c) => [c.name, c.needs])).toEqual([
    ["build (linux)", []], ["test (linux)", ["build (linux)"]], ["build (darwin)", []], ["test (darwin)", ["build (darwin)"]],
  ]);
  expect(children[3]!.matrix).toEqual({ os: "darwin" });
});
