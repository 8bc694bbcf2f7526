import { expect, test } from "bun:test";
import { resolveStep, withStackArgs, type RunContext } from "./plan.ts";
import type { CommandStep, Workflow } from "./types.ts";

const source = { file: "w.yaml", line: 1, col: 1 };
const step = (over: Partial<CommandStep>): CommandStep => ({
  name: "s", type: "shell", command: "echo", when: "success", env: {}, needs: [], source, ...over,
});
const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  workflow: { name: "wf", env: { A: "1" }, steps: [], source, stack: "wf-stack" } as Workflow,
  vars: { who: "world" }, env: { HOME: "/h" }, baseDir: "/base", atmosBin: "atmos", shell: ["sh", "-c"], ...over,
});

test("stack precedence: workflow < step < flag", () => {
  expect(resolveStep(step({}), ctx()).stack).toBe("wf-stack");
  expect(resolveStep(step({ stack: "step" }), ctx()).stack).toBe("step");
  expect(resolveStep(step({ stack: "step" }), ctx({ stackFlag: "flag" })).stack).toBe("flag");
});

test("atmos steps get -s before --", () => {
  expect(withStackArgs(["terraform", "plan", "vpc", "--", "-x"], "dev")).toEqual(["terraform", "plan", "vpc", "-s", "dev", "--", "-x"]);
  expect(withStackArgs(["terraform", "plan", "-s", "prod"], "dev")).toEqual(["terraform", "plan", "-s", "prod"]);
  const resolved = resolveStep(step({ type: "atmos", command: "terraform apply 'my vpc'" }), ctx());
  expect(resolved.argv).toEqual(["atmos", "terraform", "apply", "my vpc", "-s", "wf-stack"]);
});

test("templates, env and working directory", () => {
  const resolved = resolveStep(
    step({ command: "echo {{ .vars.who }} {{ .stack }} {{ .step.name }}", env: { B: "{{ .env.HOME }}" }, workingDirectory: "sub" }),
    ctx(),
  );
  expect(resolved.argv).toEqual(["sh", "-c", "echo world wf-stack s"]);
  expect(resolved.envOverrides).toEqual({ A: "1", B: "/h" });
  expect(resolved.cwd).toBe("/base/sub");
});

test("a missing key names the step and the field", () => {
  expect(() => resolveStep(step({ command: "echo {{ .vars.nope }}" }), ctx())).toThrow('step "s": command: missing key ".vars.nope"');
});
