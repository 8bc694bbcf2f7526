/**
 * Engine v2, part 2 on the binary: templates rendered just before each step
 * against the run's state, step results, outputs, `type: env`, `when` and
 * `continue`, and what `validate` refuses before anything runs.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs } from "./helpers.ts";

const projects = projectDirs("muster-results-");
const project = (yaml: string) => projects.make({ "workflows.yaml": yaml });

describe("the issue's workflow, as Atmos documents it", () => {
  const yaml = `workflows:
  release:
    env:
      WF: from-workflow
    steps:
      - name: version
        type: shell
        command: printf '  v1.2.3  \\n'
      - name: list
        type: shell
        command: printf 'a,b,c'
        outputs:
          items: '{{ splitList "," .value | join " " }}'
          count: '{{ len (splitList "," .stdout) }}'
      - name: exported
        type: env
        vars:
          REGION: 'eu-{{ .steps.version.value }}'
      - name: template-only
        type: env
        export: false
        vars:
          SECRET_T: hidden
      - name: use
        type: shell
        env:
          STEP_ONLY: step-value
        command: |
          echo "version=[{{ .steps.version.value }}] items=[{{ .steps.list.outputs.items }}] count={{ .steps.list.outputs.count }}"
          echo "REGION=$REGION tmpl={{ .env.SECRET_T }} proc=\${SECRET_T:-unset} step-env-in-template={{ .env.STEP_ONLY }}"
      - name: after
        type: shell
        command: 'echo "STEP_ONLY=\${STEP_ONLY:-unset} WF=$WF"'
      - name: forgiven
        type: shell
        command: exit 7
        continue: always
      - name: breaks
        type: shell
        command: exit 9
      - name: skipped
        type: shell
        command: touch skipped-ran
      - name: on-failure
        type: shell
        when: failure
        command: echo "on-failure ran; breaks stored={{ hasKey .steps "breaks" }}"
      - name: cleanup
        type: shell
        when: always
        command: echo cleanup ran
`;
  test("values, outputs, env with and without export, step-scoped env, continue, when failure/always", async () => {
    const dir = project(yaml);
    const run = await muster(["workflow", "release"], { cwd: dir });
    expect(run.stdout).toContain("version=[v1.2.3] items=[a b c] count=3\n");
    expect(run.stdout).toContain("REGION=eu-v1.2.3 tmpl=hidden proc=unset step-env-in-template=step-value\n");
    expect(run.stdout).toContain("STEP_ONLY=unset WF=from-workflow\n");
    // Output is streamed as it is captured: the value's source still reaches the terminal.
    expect(run.stdout).toContain("  v1.2.3  \n");
    expect(run.stderr).toContain(`step "forgiven" failed (exit code 7); continuing (continue: always)`);
    expect(run.stdout).toContain("on-failure ran; breaks stored=false\n");
    expect(run.stdout).toContain("cleanup ran\n");
    expect(existsSync(join(dir, "skipped-ran"))).toBe(false);
    // continue forgave exit 7; the unforgiven exit 9 is the run's.
    expect(run.code).toBe(9);
    expect(run.stderr).toContain(`failed at step "breaks" (exit 9)`);
  });

  test("continue: always alone makes the workflow succeed", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: flaky, type: shell, command: "exit 3", continue: always }
      - { name: next, type: shell, command: "echo next ran" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("next ran\n");
  });
});

describe("what validate refuses", () => {
  test("a forward reference, with its position", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: announce
        type: shell
        command: echo "releasing {{ .steps.version.value }}"
      - { name: version, type: shell, command: "git describe" }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:6:37: workflow "w", step "announce": field "command": .steps.version is a step that runs later`);
    const start = await muster(["workflow", "w"], { cwd: dir });
    expect(start.code).toBe(2);
  });

  test("a field the step's type does not produce, an undeclared output, .matrix outside a matrix, an unknown function", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: pause, type: sleep, duration: 1ms }
      - { name: a, type: shell, command: "echo {{ .steps.pause.stdout }}" }
      - { name: b, type: shell, command: "echo hi", outputs: { x: "{{ .value }}" } }
      - { name: c, type: shell, command: "echo {{ .steps.b.outputs.y }} {{ .matrix.os }} {{ .stack | uppr }}" }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:5:51: workflow "w", step "a": field "command": a sleep step stores no "stdout"`);
    expect(run.stderr).toContain(`step "c": field "command": function "uppr" not defined (did you mean "upper"?)`);
    const fixed = await muster(["validate"], { cwd: project(readFileSync(join(dir, "workflows.yaml"), "utf8").replace(" | uppr", "")) });
    expect(fixed.stderr).toContain(`step "b" declares no output "y" (expected one of: x)`);
    expect(fixed.stderr).toContain(`.matrix is only set inside a matrix step`);
  });
});

describe("run time", () => {
  test("a template that fails at run time fails its step naming the field and position; earlier steps ran", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: data, type: shell, command: "echo '{\\"a\\": 1}'" }
      - { name: use, type: shell, command: "echo {{ (fromJson .steps.data.value).b.c }}" }
      - { name: cleanup, type: shell, when: always, command: "echo cleanup" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/workflows\.yaml:5:\d+: workflow "w", step "use": field "command": map has no entry for key "b" \(at <\(\.\.\.\)\.b>\) \(known: a\)/);
    expect(run.stdout).toContain("cleanup\n");
  });

  test("an outputs template that fails fails the step without running it again, and stores nothing", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: count
        type: shell
        command: echo run >> runs.log; echo 5
        retry: { max_attempts: 3, initial_delay: 1ms }
        outputs:
          half: '{{ required "needs a value" "" }}'
      - { name: after, type: shell, when: always, command: 'echo stored={{ hasKey .steps "count" }}' }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`output "half": needs a value`);
    expect(readFileSync(join(dir, "runs.log"), "utf8")).toBe("run\n");
    expect(run.stdout).toContain("stored=false\n");
  });

  test("after retries only the successful attempt's output is stored", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: flaky
        type: shell
        command: 'n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; echo "attempt $n"; [ $n -ge 2 ]'
        retry: { max_attempts: 3, initial_delay: 1ms }
      - { name: show, type: shell, command: 'echo "value=[{{ .steps.flaky.value }}]"' }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("value=[attempt 2]\n");
  });

  test("a result larger than the limit keeps its tail and says so", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: big, type: shell, command: "seq 1 20000" }
      - { name: last, type: shell, command: 'echo "tail={{ .steps.big.value | splitList "\\n" | last }} len={{ len .steps.big.stdout }}"' }
`);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { MUSTER_RESULT_LIMIT: "1000" } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("tail=20000 len=1000\n");
    expect(run.stderr).toContain(`step "big": its stdout (108894 bytes) outgrew the result limit; .steps.big.stdout keeps the last 1000 bytes`);
  });

  test("a group child reads the result of a sibling it needs; results are stored under the children's names", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: g
        type: parallel
        steps:
          - { name: build, type: shell, command: "echo artifact-7" }
          - { name: ship, type: shell, needs: [build], command: "echo shipping {{ .steps.build.value }}" }
      - { name: after, type: shell, command: "echo after={{ .steps.ship.value }}" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("shipping artifact-7");
    expect(run.stdout).toContain("after=shipping artifact-7\n");
  });

  test("when conditions: lists, any/not maps, ci and local", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: in-ci, type: shell, when: ci, command: "echo in-ci" }
      - { name: local-only, type: shell, when: local, command: "echo local-only" }
      - { name: both, type: shell, when: [ci, success], command: "echo both" }
      - { name: never, type: shell, when: { not: always }, command: "echo never" }
      - { name: any, type: shell, when: { any: [never, ci] }, command: "echo any" }
`);
    const ci = await muster(["workflow", "w"], { cwd: dir, env: { CI: "true" } });
    expect(ci.stdout).toBe("in-ci\nboth\nany\n");
    const local = await muster(["workflow", "w"], { cwd: dir, env: { CI: "" } });
    expect(local.stdout).toBe("local-only\n");
  });
});
