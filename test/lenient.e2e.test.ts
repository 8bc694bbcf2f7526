/**
 * Files Atmos accepts that muster accepts with a warning (fixtures/lenient):
 * `validate` prints exactly NAME.expected and exits 0, and the ones that need
 * no engine run, doing what Atmos does with them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, repoRoot, tempDir } from "./helpers.ts";

const dir = "fixtures/lenient";
const names = readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();
const expected = (name: string) => readFileSync(join(repoRoot, dir, `${name}.expected`), "utf8").trimEnd();
const warningLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes(": warning: ")).join("\n");

const tmp = tempDir("muster-lenient-");
afterAll(() => tmp.cleanup());
// The atmos CLI is the boundary: a stand-in that prints its arguments, one per bracket.
const fakeAtmos = join(tmp.path, "atmos");
writeFileSync(fakeAtmos, `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done; echo\n`);
chmodSync(fakeAtmos, 0o755);
const run = (workflow: string, name: string, extra: string[] = []) =>
  muster(["workflow", workflow, "-f", join(repoRoot, dir, `${name}.yaml`), ...extra], { cwd: tmp.path, env: { ATMOS_BIN: fakeAtmos } });

describe("fixtures/lenient", () => {
  for (const name of names) {
    test(`${name}: validate warns exactly as expected and accepts the file`, async () => {
      const result = await muster(["validate", "-f", `${dir}/${name}.yaml`]);
      expect(warningLines(result.stderr)).toBe(expected(name));
      expect(result.stderr).toContain("valid");
      expect(result.code).toBe(0);
    });
  }

  test("a name used twice runs both steps; the later result replaces the earlier in .steps", async () => {
    const result = await run("deploy", "duplicate-step-names");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("first build\nbuild-again after first build\nlast build-again after first build\n");
    expect(warningLines(result.stderr)).toBe(`! ${expected("duplicate-step-names").replace(`${dir}/`, `${join(repoRoot, dir)}/`)}`);
  });

  test("an unnamed step whose generated name is taken is named with _ appended (Atmos' step_names.go)", async () => {
    const result = await run("names", "generated-name-collision");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("generated\nexplicit generated\nchild\n");
    expect(result.stderr).toContain("▸ step1_ ");
    expect(result.stderr).toContain("[step3_step1] succeeded");
  });

  test("command: true runs the command \"true\"; stack: 1.10 is the stack \"1.10\"", async () => {
    const result = await run("scalars", "scalar-command");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("1.10\n");
    expect(result.stdout).toContain("stack 1.10\n");
    expect(result.stderr).toContain("Preparing component catalog command");
  });

  test("an inline -s loses to the workflow's stack, as in Atmos' TestExecuteWorkflow", async () => {
    const result = await run("failing-atmos-with-stack", "inline-stack");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("[terraform][plan][mock][-s][idontexist][-s][prod]\n");
  });

  test("an inline -s with -s given to muster: muster's stack comes last and wins (no refusal)", async () => {
    const result = await run("failing-atmos-with-stack", "inline-stack", ["-s", "cli"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("[terraform][plan][mock][-s][idontexist][-s][cli]\n");
  });

  test("output on a step attached to the terminal is ignored: it writes there itself", async () => {
    const result = await run("w", "output-on-tty");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("on-tty");
  });

  test("a stack manifest's other sections are ignored; its workflows run", async () => {
    const result = await run("smoke-test", "stack-manifest");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("[echo][ok]\n");
    expect(result.stdout).toContain("[echo][one]\n");
    expect(result.stderr).toContain('field "vars" is not part of a workflow file and is ignored');
  });
});

describe("fixtures/lenient on the engine (Docker)", () => {
  test("an unprefixed healthcheck list runs as one shell command, as Atmos does; wait-all ignores for:", async () => {
    const dir = join(tmp.path, "engine");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    // The probe passes only as a shell command: `test -e /tmp/up && true` is two commands joined by &&.
    writeFileSync(join(dir, "workflows.yaml"), `workflows:
  h:
    steps:
      - name: db
        type: container
        background: true
        with:
          image: "muster-test/busybox:1"
          command: ["sh", "-c", "touch /tmp/up; sleep 30"]
          healthcheck: { test: ["test", "-e", "/tmp/up", "&&", "true"], interval: 200ms, timeout: 2s, retries: 20 }
      - type: wait-all
        for: db
      - name: after
        type: shell
        command: echo healthy
`);
    const result = await muster(["workflow", "h", "-f", "workflows.yaml"], { cwd: dir, timeoutMs: 90_000 });
    expect(result.stderr).toContain(`workflows.yaml:10:32: warning: workflow "h", step "db": field "with.healthcheck.test": the list starts with "test", not CMD, CMD-SHELL or NONE; as in Atmos it runs as the shell command "test -e /tmp/up && true"`);
    expect(result.stderr).toContain(`workflows.yaml:12:9: warning: workflow "h", step "step2": wait-all takes no targets and ignores "for"`);
    expect(result.stdout).toBe("healthy\n");
    expect(result.code).toBe(0);
  }, 120_000);
});

test("validate --format json lists the warnings beside the problems", async () => {
  const result = await muster(["validate", "--format", "json", "-f", `${dir}/wait-all-with-for.yaml`]);
  expect(result.code).toBe(0);
  const json = JSON.parse(result.stdout);
  expect(json.valid).toBe(true);
  expect(json.problems).toEqual([]);
  expect(json.warnings).toEqual([{ file: `${dir}/wait-all-with-for.yaml`, line: 10, col: 9, path: `workflow "e2e", step "step2"`, message: `wait-all takes no targets and ignores "for", as Atmos does: it waits for every service started so far`, expected: `no "for"; use type: wait to name services` }]);
});
