/** Atmos' pkg/workflow/step_names_test.go cases, on muster's stepNames, plus a chain of collisions. */
import { expect, test } from "bun:test";
import { stepNames } from "./parse.ts";

test("unnamed steps are step1, step2 (TestCheckAndGenerateWorkflowStepNamesAssignsMissingNames)", () => {
  expect(stepNames([{ command: "echo a" }, { command: "echo b" }], "")).toEqual(["step1", "step2"]);
});

test("a generated name taken by an explicit sibling gets _ (…AvoidsCollisionWithExplicitSibling)", () => {
  expect(stepNames([{ name: "step2", command: "echo explicit" }, { command: "echo unnamed" }], "")).toEqual(["step2", "step2_"]);
});

test("nested steps use the parent's name (…NestedStepsUseParentPrefix)", () => {
  expect(stepNames([{ command: "echo a" }, { name: "fanout_step2" }, { command: "echo c" }], "fanout")).toEqual(["fanout_step1", "fanout_step2", "fanout_step3"]);
});

test("_ is appended until the name is free, and a generated name is taken for those after it", () => {
  expect(stepNames([{}, { name: "step1" }, { name: "step1_" }], "")).toEqual(["step1__", "step1", "step1_"]);
  expect(stepNames([{ name: 7 }, {}], "")).toEqual(["7", "step2"]);
});
