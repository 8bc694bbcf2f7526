import { expect, test } from "bun:test";
import { withStackArgs } from "../steps/atmos.ts";
import type { ProcessPlan } from "../steps/process.ts";
import { parseWorkflowFile } from "./parse.ts";
import { buildPlan } from "./plan.ts";
import type { RunContext } from "../workflow/run-context.ts";

/** Parses `yaml` (a file with one workflow "wf") and plans it. */
function plan(yaml: string, over: Partial<RunContext> = {}) {
  const { workflowFile, diagnostics } = parseWorkflowFile("w.yaml", yaml);
  expect(diagnostics).toEqual([]);
  const workflow = workflowFile!.workflows.get("wf")!;
  return buildPlan({ workflow, vars: { who: "world" }, env: { HOME: "/h" }, baseDir: "/base", atmosBin: "atmos", shell: ["sh", "-c"], ...over });
}

const wf = (steps: string, head = "    stack: wf-stack\n    env: { A: '1' }\n") => `workflows:\n  wf:\n${head}    steps:\n${steps}`;

test("stack precedence: workflow < group < step < flag", () => {
  const yaml = wf(`      - { name: a, type: shell, command: x }
      - { name: b, type: shell, command: x, stack: step }
      - name: g
        type: parallel
        stack: group
        steps:
          - { name: c, type: shell, command: x }
          - { name: d, type: shell, command: x, stack: child }
`);
  const stacks = (p: ReturnType<typeof plan>) => [
    ...p.steps.slice(0, 2).map((s) => (s.resolved as ProcessPlan).stack),
    ...(p.steps[2]!.resolved as { children: Array<{ resolved: ProcessPlan }> }).children.map((c) => c.resolved.stack),
  ];
  expect(stacks(plan(yaml))).toEqual(["wf-stack", "step", "group", "child"]);
  expect(stacks(plan(yaml, { stackFlag: "flag" }))).toEqual(["flag", "flag", "flag", "flag"]);
});

test("atmos steps get -s before --", () => {
  expect(withStackArgs(["terraform", "plan", "vpc", "--", "-x"], "dev")).toEqual(["terraform", "plan", "vpc", "-s", "dev", "--", "-x"]);
  // The workflow's or step's stack comes after an inline one, so it wins (Atmos: tests/fixtures double-hyphen-stack-precedence).
  expect(withStackArgs(["terraform", "plan", "-s", "prod"], "dev")).toEqual(["terraform", "plan", "-s", "prod", "-s", "dev"]);
  const p = plan(wf(`      - command: terraform apply 'my vpc'\n`));
  expect((p.steps[0]!.resolved as ProcessPlan).argv).toEqual(["atmos", "terraform", "apply", "my vpc", "-s", "wf-stack"]);
});

test("templates, env and working directory; a group hands its env and directory down", () => {
  const p = plan(wf(`      - name: s
        type: shell
        command: echo {{ .vars.who }} {{ .stack }} {{ .step.name }}
        env: { B: "{{ .env.HOME }}" }
        working_directory: sub
      - name: g
        type: parallel
        env: { C: group }
        working_directory: /abs
        steps:
          - { name: c, type: shell, command: "true", env: { D: child } }
`));
  expect(p.errors).toEqual([]);
  const s = p.steps[0]!.resolved as ProcessPlan;
  // Values from outside (a var, the stack) reach the shell as variables; the step's own name is the file's text.
  expect(s.argv).toEqual(["sh", "-c", `echo "\${MUSTER_DATA_1}" "\${MUSTER_DATA_2}" s`]);
  expect(s.display).toBe("echo world wf-stack s");
  expect(s.env).toEqual({ A: "1", B: "/h", MUSTER_DATA_1: "world", MUSTER_DATA_2: "wf-stack" });
  expect(s.cwd).toBe("/base/sub");
  const child = (p.steps[1]!.resolved as { children: Array<{ resolved: ProcessPlan }> }).children[0]!.resolved;
  expect(child.env).toEqual({ A: "1", C: "group", D: "child" });
  expect(child.cwd).toBe("/abs");
});

test("every unresolvable template is reported at once, positioned, including a group's output.prefix", () => {
  const p = plan(wf(`      - name: s
        type: shell
        command: echo {{ .vars.nope }}
      - name: g
        type: parallel
        output: { mode: prefixed, prefix: "{{ .vars.alsonope }}" }
        steps:
          - { name: c, type: shell, command: "true" }
`));
  expect(p.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
    `8:26: workflow "wf", step "s": field "command": map has no entry for key "nope" (at <.vars.nope>); pass it with --var nope=VALUE (known: who)`,
    `11:47: workflow "wf", step "g", child "c": field "output.prefix": map has no entry for key "alsonope" (at <.vars.alsonope>); pass it with --var alsonope=VALUE (known: who)`,
  ]);
});
