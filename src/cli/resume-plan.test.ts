import { expect, test } from "bun:test";
import { parseWorkflowFile } from "../load/parse.ts";
import { definitionDigests, stepDigest } from "../journal/definition-digest.ts";
import type { RunRecord, StepEntry } from "../journal/run-record.ts";
import type { Workflow } from "../workflow/types.ts";
import { resumePlan } from "./resume-plan.ts";

const parse = (steps: string, head = ""): Workflow => {
  const { workflowFile, diagnostics } = parseWorkflowFile("w.yaml", `workflows:\n  wf:\n${head}    steps:\n${steps}`);
  expect(diagnostics).toEqual([]);
  return workflowFile!.workflows.get("wf")!;
};

const STEPS = `      - { name: first, type: shell, command: echo one }
      - { name: pw, type: input, prompt: Password?, password: true }
      - { name: second, type: shell, command: 'echo "{{ .steps.first.value }}"' }
      - { name: third, type: shell, command: echo three }
`;

/** The record of a run of `workflow` whose steps before `failed` succeeded (those in `masked` held a masked value). */
function ranUntil(workflow: Workflow, failed: string | undefined, masked: string[] = []): RunRecord {
  const at = failed ? workflow.steps.findIndex((s) => s.name === failed) : workflow.steps.length - 1;
  const entry = (name: string, status: StepEntry["status"]): StepEntry => ({
    name, status, exitCode: status === "failed" ? 1 : 0, durationMs: 1, digest: stepDigest(workflow.steps.find((s) => s.name === name)!),
    steps: status === "succeeded" ? { [name]: { value: name, values: [], metadata: {}, outputs: {}, skipped: false, error: "" } } : {}, env: {}, exported: {},
    ...(masked.includes(name) ? { masked: true } : {}), endedAt: "",
  });
  const steps = workflow.steps.slice(0, at).map((s) => entry(s.name, "succeeded"));
  if (failed) steps.push(entry(failed, "failed"));
  else steps.push(entry(workflow.steps[at]!.name, "canceled"));
  return { v: 1, id: "20261202-154019-00aa", status: failed ? "failed" : "interrupted", project: "/p", file: "/p/w.yaml", fileShown: "w.yaml", workflow: "wf", digest: definitionDigests(workflow), vars: {}, answers: { pw: "[masked]" }, pid: 1, startedAt: "", updatedAt: "", resumes: [], steps, ...(failed ? { failedStep: failed } : {}) };
}

test("a run resumes at the step that failed, with the stored results of those before it", () => {
  const workflow = parse(STEPS);
  const plan = resumePlan(workflow, ranUntil(workflow, "third", ["pw"]), {}, false);
  expect(plan.fromStep).toBe("third");
  // pw's answer was masked, and nothing after third reads it: it is simply not restored.
  expect(plan.restored.map((e) => e.name)).toEqual(["first", "second"]);
  expect(plan.notes).toEqual([]);
});

test("an interrupted run resumes at the first step that did not finish", () => {
  const workflow = parse(STEPS);
  expect(resumePlan(workflow, ranUntil(workflow, undefined), {}, false).fromStep).toBe("third");
});

test("a step that changed since runs again, with every step after it", () => {
  const before = parse(STEPS);
  const record = ranUntil(before, "third");
  const changed = parse(STEPS.replace("echo one", "echo ONE"));
  const plan = resumePlan(changed, record, { pw: "x" }, false);
  expect(plan.fromStep).toBe("first");
  expect(plan.restored).toEqual([]);
  expect(plan.notes).toEqual(['step "first" changed since run 20261202-154019-00aa: it runs again, with every step after it']);
});

test("a resumed step that reads a password's answer needs it again: --answer, the terminal, or a refusal naming both steps", () => {
  const workflow = parse(STEPS.replace("command: echo three", 'command: "echo {{ .steps.pw.value }}"'));
  const record = ranUntil(workflow, "third", ["pw"]);
  expect(() => resumePlan(workflow, record, {}, false)).toThrow('--resume: step "third" reads .steps.pw, the answer of password prompt "pw", which the journal does not keep; give it again with --answer pw=VALUE');
  const answered = resumePlan(workflow, record, { pw: "s3cret" }, false);
  expect([answered.fromStep, answered.restored.map((e) => e.name), [...answered.ask]]).toEqual(["third", ["first", "second"], []]);
  const asked = resumePlan(workflow, record, {}, true);
  expect([...asked.ask]).toEqual(["pw"]);
});

test("a resumed step that reads a result which held a masked value runs that step again", () => {
  const workflow = parse(STEPS.replace("command: echo three", 'command: "echo {{ .steps.second.value }}"'));
  const plan = resumePlan(workflow, ranUntil(workflow, "third", ["pw", "second"]), {}, false);
  expect(plan.fromStep).toBe("second");
  expect(plan.notes[0]).toBe('step "third" reads .steps.second, which held a masked value and was not kept: step "second" runs again');
});

test("a change to the workflow's own settings is refused: no stored result was made under the new ones", () => {
  const workflow = parse(STEPS, "    env: { A: '1' }\n");
  const record = ranUntil(workflow, "third");
  expect(() => resumePlan(parse(STEPS, "    env: { A: '2' }\n"), record, {}, false)).toThrow(`--resume: workflow "wf"'s own settings (stack, env, working_directory, container) changed since run 20261202-154019-00aa`);
});

test("a run whose every step finished has nothing to resume", () => {
  const workflow = parse(STEPS);
  const record = ranUntil(workflow, undefined);
  record.steps = record.steps.map((s) => ({ ...s, status: "succeeded" }));
  expect(() => resumePlan(workflow, record, {}, false)).toThrow("nothing is left to resume");
});
