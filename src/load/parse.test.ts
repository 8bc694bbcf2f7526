import { expect, test } from "bun:test";
import type { ContainerStep } from "../steps/container.ts";
import type { GroupStep } from "../steps/group.ts";
import type { CommandStep } from "../steps/process.ts";
import type { SleepStep } from "../steps/sleep.ts";
import { parseWorkflowFile } from "./parse.ts";

function parse(steps: string) {
  const { workflowFile, diagnostics } = parseWorkflowFile("w.yaml", `workflows:\n  w:\n    steps:\n${steps}`);
  expect(diagnostics).toEqual([]);
  return workflowFile!.workflows.get("w")!.steps;
}

test("defaults come from the schemas: atmos type, when, retry, sleep duration", () => {
  const [atmos, shell, sleep] = parse(`      - command: terraform plan vpc
      - { type: shell, command: "true", retry: { max_attempts: 3 } }
      - { type: sleep }
`) as [CommandStep, CommandStep, SleepStep];
  expect(atmos).toMatchObject({ name: "step1", type: "atmos", when: undefined, outputs: {}, env: {}, needs: [] });
  expect(shell.retry).toEqual({ maxAttempts: 3, backoff: "constant", initialDelayMs: 1000, multiplier: 2, jitter: 0, maxDelayMs: undefined, maxElapsedMs: undefined });
  expect(sleep.durationMs).toBe(1000);
});

test("groups: output shorthand and defaults, fail defaults, children with needs, matrix include/exclude", () => {
  const [group, matrix] = parse(`      - name: g
        type: parallel
        output: prefixed
        steps:
          - { name: a, type: shell, command: "true" }
          - { name: b, type: shell, command: "true", needs: [a] }
      - name: m
        type: matrix
        fail: { mode: fail_fast }
        matrix: { os: [linux, darwin], include: [{ os: bsd }], exclude: [{ os: darwin }] }
        steps:
          - { name: t, type: sleep, duration: 5ms }
`) as [GroupStep, GroupStep];
  expect(group.output).toEqual({ mode: "prefixed", order: "completion", showSummary: true, prefix: "{{ .step.name }}" });
  expect(group.fail).toEqual({ mode: "wait_all", maxFailures: 0 });
  expect(group.maxConcurrency).toBe(0);
  expect(group.steps.map((s) => [s.name, s.needs])).toEqual([["a", []], ["b", ["a"]]]);
  expect(matrix.fail).toEqual({ mode: "fail_fast", maxFailures: 0 });
  expect(matrix.matrix).toEqual({ axes: [{ name: "os", values: ["linux", "darwin"] }], include: [{ os: "bsd" }], exclude: [{ os: "darwin" }] });
});

test("containers: action run by default; with: kept as written until planned", () => {
  const [c] = parse(`      - name: db
        type: container
        background: true
        env: { FROM_STEP: "1" }
        with:
          image: busybox
          command: sh -c 'sleep 1'
          ports: [{ container: 80 }]
          volumes: [{ source: ./data, target: /data }]
          healthcheck: { test: "true" }
`) as [ContainerStep];
  // The container itself is made when the step is planned (its strings are templates): see test/docker.e2e.test.ts.
  expect(c).toMatchObject({ action: "run", background: true, env: { FROM_STEP: "1" }, with: { image: "busybox", command: "sh -c 'sleep 1'" } });
});

test("positions are exact for fields found after parsing", () => {
  const [step] = parse(`      - name: a\n        type: shell\n        command: echo\n`);
  expect(step!.sourceOf(["command"])).toMatchObject({ line: 6, col: 18 });
});

test("sleep: Atmos' timeout is the duration when no duration is given; with both, duration waits and timeout bounds", () => {
  const [atmosStyle, both, plain] = parse(`      - { type: sleep, timeout: 2s }
      - { type: sleep, duration: 5s, timeout: 1s }
      - { type: sleep }
`) as [SleepStep, SleepStep, SleepStep];
  expect([atmosStyle.durationMs, atmosStyle.timeoutMs]).toEqual([2000, undefined]);
  expect([both.durationMs, both.timeoutMs]).toEqual([5000, 1000]);
  expect(plain.durationMs).toBe(1000);
});
