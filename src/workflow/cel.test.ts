import { beforeAll, describe, expect, test } from "bun:test";
import { celMentions, compileCelPart, holds, loadCel, mentionsStatus, parseCondition, shouldRun, type CelCondition } from "./condition.ts";
import { compileCel, type CelVariables } from "./cel.ts";
import { goPlatform } from "./cel-variables.ts";

beforeAll(() => loadCel());

const vars = (over: Partial<CelVariables> = {}): Omit<CelVariables, "status" | "ci"> => ({
  stack: "dev", workflow: "w", step: "s", env: { STAGE: "prod" }, os: "linux", arch: "amd64", platform: "linux/amd64",
  checksum: { changed: false }, timestamp: { changed: false }, preconditions: { success: false }, sources: [], artifacts: [],
  steps: { approve: { value: "yes", values: [], metadata: { exit_code: 0 }, outputs: { tag: "v1" }, skipped: false, error: "", exit_code: 0 } },
  ...over,
});
const problem = (expr: string) => {
  const c = compileCel(expr);
  return "problem" in c ? `${c.offset}: ${c.problem}` : undefined;
};

describe("parsing", () => {
  test("predicates win over CEL for bare strings, !cel (any case) forces CEL, an empty string is no condition", () => {
    expect(parseCondition("CI")).toEqual({ kind: "predicate", name: "ci" });
    expect(parseCondition("!cel ci")).toEqual({ kind: "cel", expr: "ci", path: [], offset: 5 });
    expect(parseCondition("  !CEL   ci == true")).toEqual({ kind: "cel", expr: "ci == true", path: [], offset: 9 });
    expect(parseCondition(" stack == 'x'")).toEqual({ kind: "cel", expr: "stack == 'x'", path: [], offset: 1 });
    expect(parseCondition("")).toBeUndefined();
    expect(parseCondition(["", "ci"])).toEqual({ kind: "all", items: [{ kind: "predicate", name: "ci" }] });
    expect(() => parseCondition("!cel")).toThrow("!cel requires an expression");
    expect(() => parseCondition({ not: "" })).toThrow("not requires a condition");
  });

  test("a CEL condition mentions status Atmos' way: a token status or status.x, also inside a string literal, not env.status", () => {
    expect(celMentions(`status == "failure"`, "status")).toBe(true);
    expect(celMentions(`env.X == 'status'`, "status")).toBe(true);
    expect(celMentions(`env.status == "x"`, "status")).toBe(false);
    expect(celMentions(`statuses == 1`, "status")).toBe(false);
    expect(mentionsStatus(parseCondition(`ci && env.X == "failure"`)!)).toBe(false);
    expect(mentionsStatus(parseCondition({ any: [`ci`, `status != "x"`] })!)).toBe(true);
  });
});

describe("compiling", () => {
  test("what cel-go's checker refuses is refused, at the offset of the problem", () => {
    expect(problem(`stack == `)).toBe("6: syntax error: found = but expecting end of input");
    expect(problem(`ci && stage == "x"`)).toStartWith("6: undeclared reference to 'stage'");
    expect(problem(`lowerAscii(stack) == "x"`)).toBe("0: undeclared reference to 'lowerAscii'");
    expect(problem(`stack == 1`)).toBe("6: found no matching overload for '_==_' applied to '(string, int)'");
    expect(problem(`env.X + 1 == 2`)).toBe("6: found no matching overload for '_+_' applied to '(string, int)'");
    expect(problem(`stack`)).toBe("0: the expression returns string, expected bool");
    expect(problem(`'{{ .steps.approve.value }}' == "yes"`)).toStartWith("1: a condition is not a template (expected CEL, e.g. steps.approve.value");
    expect(problem(`size(sources)`)).toBe("0: the expression returns int, expected bool");
    // A comprehension's variable is bound inside it only; dyn results pass to the run.
    expect(problem(`sources.exists(s, s.mtime > 0) && [1, 2].all(x, x > 0)`)).toBeUndefined();
    expect(problem(`steps.approve.value`)).toBeUndefined();
    expect(problem(`sources.exists(s, s.mtime > 0) && s == 1`)).toStartWith("34: undeclared reference to 's'");
  });

  test("reads of steps.NAME are collected with the offset of each name; other reads of steps are whole", () => {
    const c = compileCel(`steps.a.value == "x" && has(steps["b"].outputs.tag) && steps.c.metadata.stdout != ""`);
    if (!("evaluate" in c)) throw new Error(c.problem);
    expect(c.stepReads.map((r) => [r.path.join("."), r.offsets])).toEqual([
      ["a.value", [6, 8]],
      ["b.outputs.tag", [35, 39, 47]],
      ["c.metadata.stdout", [61, 63, 72]],
    ]);
    expect(c.readsWholeSteps).toBe(false);
    const whole = compileCel(`"a" in steps`);
    expect("evaluate" in whole && whole.readsWholeSteps).toBe(true);
  });
});

describe("evaluating", () => {
  const judge = (expr: string, status: "success" | "failure" = "success", over: Partial<CelVariables> = {}) =>
    holds(parseCondition(expr)!, { status, ci: false, cel: () => vars(over) });

  test("Atmos' variables with their types, and muster's steps", () => {
    expect(judge(`env.STAGE == "prod" && !ci && stack == "dev" && workflow == "w" && step == "s"`)).toBe(true);
    expect(judge(`platform == os + "/" + arch && !checksum.changed && !preconditions.success && size(artifacts) == 0`)).toBe(true);
    expect(judge(`component == "" && hook == "" && event == "" && size(answers) == 0 && size(matrix) == 0`)).toBe(true);
    expect(judge(`status == "failure"`, "failure")).toBe(true);
    expect(judge(`steps.approve.value == "yes" && steps.approve.outputs.tag == "v1" && steps.approve.exit_code == 0`)).toBe(true);
    expect(judge(`sources.exists(s, s.mtime > 5 && s.path.endsWith(".go"))`, "success", { sources: [{ path: "a.go", mtime: 10, checksum: "x" }] })).toBe(true);
  });

  test("a missing key or a runtime error is an error, not false; tested first it is false", () => {
    expect(() => judge(`env.MISSING == "x"`)).toThrow(`CEL expression "env.MISSING == \\"x\\"" could not be evaluated: field not found: MISSING (a missing key is an error`);
    expect(() => judge(`steps.nope.value == "x"`)).toThrow("could not be evaluated");
    expect(() => judge(`1 / 0 == 0`)).toThrow("int divide by zero");
    expect(judge(`"MISSING" in env && env.MISSING == "x"`)).toBe(false);
    expect(judge(`has(steps.nope) && steps.nope.value == "x"`)).toBe(false);
  });

  test("the implicit success rule holds for CEL: after a failure only a condition mentioning status runs", () => {
    const ctx = { status: "failure" as const, ci: false, cel: () => vars() };
    expect(shouldRun(parseCondition(`env.STAGE == "prod"`), ctx)).toBe(false);
    expect(shouldRun(parseCondition(`status == "failure" && env.STAGE == "prod"`), ctx)).toBe(true);
    // A failing part is not evaluated when the rule already says no.
    expect(shouldRun(parseCondition(`env.MISSING == "x"`), ctx)).toBe(false);
  });

  test("a compiled part is compiled once", () => {
    const part = parseCondition(`!cel ci`) as CelCondition;
    expect(compileCelPart(part)).toBe(compileCelPart(part));
  });
});

test("os and arch are Go's names", () => {
  expect(goPlatform("win32", "x64")).toEqual({ os: "windows", arch: "amd64" });
  expect(goPlatform("darwin", "arm64")).toEqual({ os: "darwin", arch: "arm64" });
});
