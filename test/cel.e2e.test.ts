/**
 * CEL conditions on the binary (and the source under Deno): `when:` and
 * `continue:` with Atmos' variables, `!cel`, the implicit success rule,
 * compile errors positioned at `validate`, a missing key stopping the run,
 * and muster's `steps` variable, checked statically like templates.
 * Atmos' own examples are in fixtures/atmos/cel (see its ORIGIN.md).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { muster, projectDirs, repoRoot } from "./helpers.ts";

const projects = projectDirs("muster-cel-");
const project = (yaml: string) => projects.make({ "workflows.yaml": yaml });
const fixture = join(repoRoot, "fixtures/atmos/cel/workflows/cel.yaml");
/** A run outside CI, whatever the machine running the tests says. */
const local = { CI: "", GITHUB_ACTIONS: "", GITLAB_CI: "", BUILDKITE: "", TF_BUILD: "", JENKINS_URL: undefined };

const gating = `workflows:
  w:
    stack: dev
    env:
      STAGE: prod
    steps:
      - { name: prod, type: shell, command: "echo prod", when: 'env.STAGE == "prod" && !ci' }
      - { name: staging, type: shell, command: "echo staging", when: 'env.STAGE == "staging"' }
      - { name: on-dev, type: shell, command: "echo on-dev", when: 'stack == "dev" && workflow == "w" && step == "on-dev"' }
      - name: step-env
        type: shell
        env: { STAGE: step }
        command: echo step-env
        when: env.STAGE == "step"
      - { name: host, type: shell, command: "echo host", when: 'platform == os + "/" + arch && os in ["linux", "darwin", "windows"]' }
`;

describe("CEL in when", () => {
  test("a true condition runs the step and a false one skips it; env is the workflow's env with the step's over it; stack, workflow, step, os, arch, platform are set", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(gating), env: { ...local, STAGE: "staging" } });
    expect(run.stderr).toContain(`○ staging skipped (when: env.STAGE == "staging")`);
    expect(run.stdout).toBe("prod\non-dev\nstep-env\nhost\n");
    expect(run.code).toBe(0);
    // -s wins over the workflow's stack.
    const other = await muster(["workflow", "w", "-s", "prod"], { cwd: project(gating), env: local });
    expect(other.stdout).toBe("prod\nstep-env\nhost\n");
  });

  test("!cel forces CEL, and Atmos' documented examples run as Atmos runs them (fixtures/atmos/cel)", async () => {
    // `when: ci` is the predicate; `when: !cel 'stack == "prod" && ci'` the expression.
    const inCi = await muster(["workflow", "prod-ci-check", "-f", fixture, "-s", "prod"], { env: { ...local, CI: "true" } });
    expect(inCi.stdout).toBe("check-prod\ncheck-prod-tagged\n");
    expect(inCi.code).toBe(0);
    const notProd = await muster(["workflow", "prod-ci-check", "-f", fixture, "-s", "dev"], { env: { ...local, CI: "true" } });
    expect(notProd.stdout).toBe("");
    const dir = project(`workflows:
  w:
    steps:
      - { name: predicate, type: shell, command: "echo predicate", when: ci }
      - { name: tagged, type: shell, command: "echo tagged", when: !cel '!ci' }
      - { name: tagged-in-string, type: shell, command: "echo tagged-in-string", when: "!CEL ci == false" }
`);
    expect((await muster(["workflow", "w"], { cwd: dir, env: local })).stdout).toBe("tagged\ntagged-in-string\n");
    // A step whose `when` is false in .atmos.d/build.yaml's expression: skipped, the next runs.
    const dev = await muster(["workflow", "not-in-dev-shell", "-f", fixture], { env: local });
    expect(dev.stdout).toBe("done\n");
  });

  test("the implicit success rule: after a failure a CEL condition runs only if it mentions status", async () => {
    const dir = project(`workflows:
  w:
    env: { GO: "yes" }
    steps:
      - { name: fails, type: shell, command: "exit 4" }
      - { name: no-status, type: shell, command: "echo no-status", when: 'env.GO == "yes"' }
      - { name: with-status, type: shell, command: "echo with-status", when: 'status == "failure" && env.GO == "yes"' }
      - { name: success-only, type: shell, command: "echo success-only", when: 'status == "success"' }
`);
    const run = await muster(["workflow", "w"], { cwd: dir, env: local });
    expect(run.stdout).toBe("with-status\n");
    expect(run.code).toBe(4);
  });
});

describe("CEL in continue", () => {
  test("a CEL continue forgives the failure it matches (status is failure); one that does not match leaves it failed", async () => {
    const dir = project(`workflows:
  w:
    env: { FLAKY: "ok" }
    steps:
      - { name: flaky, type: shell, command: "exit 3", continue: 'status == "failure" && env.FLAKY == "ok"' }
      - { name: after, type: shell, command: "echo after" }
  strict:
    env: { FLAKY: "no" }
    steps:
      - { name: flaky, type: shell, command: "exit 3", continue: 'env.FLAKY == "ok"' }
      - { name: after, type: shell, command: "echo after" }
`);
    const forgiven = await muster(["workflow", "w"], { cwd: dir, env: local });
    expect(forgiven.stderr).toContain(`! step "flaky" failed (exit code 3); continuing (continue: status == "failure" && env.FLAKY == "ok")`);
    expect(forgiven.stdout).toBe("after\n");
    expect(forgiven.code).toBe(0);
    const failed = await muster(["workflow", "strict"], { cwd: dir, env: local });
    expect(failed.stdout).toBe("");
    expect(failed.code).toBe(3);
  });
});

describe("CEL that cannot be compiled or evaluated", () => {
  const broken = `workflows:
  w:
    steps:
      - name: a
        type: shell
        command: echo ran
      - name: b
        type: shell
        command: echo b
        when: env.X ==
      - name: c
        type: shell
        command: echo c
        when: !cel 'nope || ci'
      - name: d
        type: shell
        command: echo d
        continue: stack
`;

  test("validate reports each compile error at its file, line and column; a run refuses the file before anything runs", async () => {
    const dir = project(broken);
    const validate = await muster(["validate"], { cwd: dir });
    expect(validate.stdout).toBe("");
    expect(validate.stderr).toBe(
      `workflows.yaml:10:21: workflow "w", step "b": field "when": invalid CEL expression "env.X ==": syntax error: found = but expecting end of input\n` +
        `workflows.yaml:14:21: workflow "w", step "c": field "when": invalid CEL expression "nope || ci": undeclared reference to 'nope' (expected one of: ci, status, stack, component, workflow, step, hook, event, env, answers, os, arch, platform, checksum, timestamp, preconditions, sources, artifacts, matrix, steps)\n` +
        `workflows.yaml:18:19: workflow "w", step "d": field "continue": invalid CEL expression "stack": the expression returns string, expected bool\n` +
        `✗ 3 problems in 1 of 1 file\n`,
    );
    expect(validate.code).toBe(2);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`workflows.yaml:10:21: workflow "w", step "b": field "when": invalid CEL expression "env.X ==": syntax error`);
    expect(run.code).toBe(2);
  });

  test("a missing env key is an evaluation error that stops the workflow before any step runs (Atmos' prescan); a later always step does not run", async () => {
    const dir = project(`workflows:
  w:
    env: { PRESENT: "1" }
    steps:
      - { name: a, type: shell, command: "echo a" }
      - { name: b, type: shell, command: "echo b", when: 'env.MISSING == "x"' }
      - { name: c, type: shell, command: "echo c", when: always }
  guarded:
    steps:
      - { name: b, type: shell, command: "echo b", when: '"MISSING" in env && env.MISSING == "x"' }
      - { name: c, type: shell, command: "echo c" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { ...local, MISSING: "x" } });
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `muster: workflows.yaml:6:58: step "b": field "when": CEL expression "env.MISSING == \\"x\\"" could not be evaluated: field not found: MISSING (a missing key is an error, as in Atmos: test for it first, e.g. "NAME" in env && env.NAME == "x"); the workflow stops\n`,
    );
    expect(run.code).toBe(1);
    // env is the workflow's, not the process's: MISSING=x above did not count; tested first, it is just false.
    expect((await muster(["workflow", "guarded"], { cwd: dir, env: local })).stdout).toBe("c\n");
  });

  test("Atmos' malformed-CEL tests: a runtime error in when stops the run before any step, in continue after the failed step", async () => {
    const when = await muster(["workflow", "test-malformed-when", "-f", fixture], { env: local });
    expect(when.stdout).toBe("");
    expect(when.stderr).toContain(`step "step1": field "when": CEL expression "1 / 0 == 0" could not be evaluated: int divide by zero; the workflow stops`);
    expect(when.code).toBe(1);
    const cont = await muster(["workflow", "test-malformed-continue", "-f", fixture], { env: local });
    expect(cont.stderr).toContain(`step "step1": field "continue": CEL expression "1 / 0 == 0" could not be evaluated: int divide by zero; the workflow stops`);
    expect(cont.code).toBe(1);
    // The documented `continue: "!cel env.CI == 'true'"` reads the workflow's env: CI in the process's is not there.
    const ci = await muster(["workflow", "continue-in-ci", "-f", fixture], { env: { ...local, CI: "true" } });
    expect(ci.stderr).toContain(`field "continue": CEL expression "env.CI == 'true'" could not be evaluated: field not found: CI`);
    expect(ci.stdout).toBe("");
    expect(ci.code).toBe(1);
  });
});

describe("steps: the results of finished steps (muster's extension)", () => {
  test("steps.NAME.value gates a later step, a prompt's answer included; a step that reads a result waits for it (no prescan)", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: approve, type: input, prompt: "Deploy?", default: "no" }
      - { name: version, type: shell, command: "printf 2.1.0" }
      - { name: deploy, type: shell, command: "echo deploying", when: 'steps.approve.value == "yes" && steps.version.value.startsWith("2.")' }
      - { name: skip-note, type: shell, command: "echo not approved", when: 'steps.approve.value != "yes"' }
`);
    const yes = await muster(["workflow", "w", "--answer", "approve=yes"], { cwd: dir, env: local });
    expect(yes.stdout).toBe("2.1.0deploying\n");
    expect(yes.code).toBe(0);
    const no = await muster(["workflow", "w", "--answer", "approve=no"], { cwd: dir, env: local });
    expect(no.stdout).toBe("2.1.0not approved\n");
  });

  test("validate refuses a read of a step that does not exist, that runs later, or of a field the step does not store, positioned", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: a, type: shell, command: "echo a" }
      - { name: b, type: shell, command: "echo b", when: 'steps.nope.value == "x"' }
      - { name: c, type: shell, command: "echo c", when: 'steps.d.value == "x" || has(steps.a.colour)' }
      - { name: d, type: shell, command: "echo d" }
`);
    const validate = await muster(["validate"], { cwd: dir });
    expect(validate.stderr).toBe(
      `workflows.yaml:5:65: workflow "w", step "b": field "when": steps.nope names no step of this workflow (expected one of: a)\n` +
        `workflows.yaml:6:65: workflow "w", step "c": field "when": steps.d is a step that runs later: a step reads results only of steps that ran before it (expected one of: a, b)\n` +
        `workflows.yaml:6:95: workflow "w", step "c": field "when": a shell step stores no "colour" (expected one of: value, values, metadata, outputs, skipped, error, stdout, stderr, exit_code)\n` +
        `✗ 3 problems in 1 of 1 file\n`,
    );
    expect(validate.code).toBe(2);
  });
});

test("under Deno the source evaluates CEL with the same result", async () => {
  const deno = join(repoRoot, "node_modules/.bin/deno");
  const dir = project(gating);
  const viaDeno = await muster(["workflow", "w"], { cwd: dir, env: { ...local, STAGE: "staging" }, command: [deno, "run", "-A", join(repoRoot, "src/main.ts")], timeoutMs: 60_000 });
  expect(viaDeno.stdout).toBe("prod\non-dev\nstep-env\nhost\n");
  expect(viaDeno.code).toBe(0);
  const validate = await muster(["validate"], { cwd: project(`workflows:\n  w:\n    steps:\n      - { type: shell, command: "echo", when: "env.X ==" }\n`), command: [deno, "run", "-A", join(repoRoot, "src/main.ts")], timeoutMs: 60_000 });
  expect(validate.stderr).toContain(`workflows.yaml:4:54: workflow "w", step "step1": field "when": invalid CEL expression "env.X ==": syntax error`);
  expect(validate.code).toBe(2);
}, 120_000);
