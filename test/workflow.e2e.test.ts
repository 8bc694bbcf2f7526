/**
 * End-to-end: the compiled binary runs sequential workflows.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { watch, eventually, muster, processesMatching, repoRoot, spawnMuster, tempDir, writeFiles, tagged } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
/** A fresh project dir holding `workflows.yaml` with `yaml` and optional extra files. */
function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = join(tmp.path, `p${++n}`);
  writeFiles(dir, { "workflows.yaml": yaml, ...files });
  return dir;
}

describe("running steps", () => {
  test("the hello example: children's stdout on stdout, muster's lines on stderr", async () => {
    const run = await muster(["workflow", "hello", "-f", "examples/hello/hello.yaml", "--var", "who=tests"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("hello, tests from hello\nrunning in stack dev\ngoodbye\n");
    expect(run.stderr).toContain("✓ workflow hello succeeded");
    expect(run.stderr.split("\n")).not.toContain("hello, tests from hello");
    expect(run.stderr).not.toContain("\x1b[");
  });

  test("colour only when forced or on a TTY; NO_COLOR wins", async () => {
    const forced = await muster(["workflow", "hello", "-f", "examples/hello/hello.yaml"], { env: { FORCE_COLOR: "1" } });
    expect(forced.stderr).toContain("\x1b[32m");
    const off = await muster(["workflow", "hello", "-f", "examples/hello/hello.yaml"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(off.stderr).not.toContain("\x1b[");
  });

  test("a failing step's exit code is preserved, later steps honour when, and a resume hint is printed", async () => {
    const dir = project(`workflows:
  deploy:
    steps:
      - name: build
        type: shell
        command: echo built > build.txt
      - name: test
        type: shell
        command: exit 7
      - name: publish
        type: shell
        command: touch published
      - name: report-failure
        type: shell
        when: failure
        command: touch failure-reported
      - name: cleanup
        type: shell
        when: always
        command: touch cleaned
`);
    const run = await muster(["workflow", "deploy", "-f", "workflows.yaml"], { cwd: dir });
    expect(run.code).toBe(7);
    expect(existsSync(join(dir, "published"))).toBe(false);
    expect(existsSync(join(dir, "failure-reported"))).toBe(true);
    expect(existsSync(join(dir, "cleaned"))).toBe(true);
    expect(run.stderr).toContain('failed at step "test" (exit 7)');
    expect(run.stderr).toMatch(/\n  resume with: muster workflow deploy -f workflows\.yaml --resume=\d{8}-\d{6}-[0-9a-f]{4}\n/);
    // Without the journal, the hint is the --from-step command.
    const bare = await muster(["workflow", "deploy", "-f", "workflows.yaml"], { cwd: dir, env: { MUSTER_NO_JOURNAL: "1" } });
    expect(bare.stderr).toContain("resume with: muster workflow deploy -f workflows.yaml --from-step test\n");
  });

  test("--from-step skips earlier steps; an unknown step is a usage error", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: one, type: shell, command: touch one }
      - { name: two, type: shell, command: touch two }
`);
    const run = await muster(["workflow", "w", "-f", "workflows", "--from-step", "two"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, "one"))).toBe(false);
    expect(existsSync(join(dir, "two"))).toBe(true);
    const bad = await muster(["workflow", "w", "-f", "workflows", "--from-step", "three"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from-step "three": workflow "w" has no such step (expected one of: one, two)');
  });

  test("a command that does not exist exits 127", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - type: shell
        command: no-such-command-anywhere
      - type: atmos
        command: terraform plan
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(127);
    const atmos = await muster(["workflow", "w", "--from-step", "step2"], { cwd: dir, env: { ATMOS_BIN: "/nonexistent/atmos" } });
    expect(atmos.code).toBe(127);
    expect(atmos.stderr).toContain("/nonexistent/atmos: command not found");
  });

  test("--dry-run prints the plan and touches nothing", async () => {
    const dir = project(`workflows:
  w:
    stack: dev
    steps:
      - { name: make, type: shell, command: "touch {{ .vars.file }}" }
      - { name: plan, type: atmos, command: terraform plan vpc }
`);
    const run = await muster(["workflow", "w", "--dry-run", "--var", "file=made"], { cwd: dir });
    expect(run.code).toBe(0);
    // The var reaches the shell as a variable; the plan shows what it holds.
    expect(run.stdout).toContain(`$ sh -c 'touch "\${MUSTER_DATA_1}"'\n       MUSTER_DATA_1=made`);
    expect(run.stdout).toContain("$ atmos terraform plan vpc -s dev");
    expect(existsSync(join(dir, "made"))).toBe(false);
  });

  test("a missing template key fails before anything runs, naming key and step", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: first, type: shell, command: touch ran }
      - { name: deploy, type: shell, command: "deploy {{ .vars.region }}" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('workflows.yaml:5:58: workflow "w", step "deploy": field "command": map has no entry for key "region" (at <.vars.region>); pass it with --var region=VALUE');
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("a var value is never executed when quoted as documented", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { type: shell, command: "echo {{ .vars.name | quote }}" }
`);
    const marker = join(dir, "pwned");
    const run = await muster(["workflow", "w", "--var", `name=$(touch ${marker})`], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`$(touch ${marker})\n`);
    expect(existsSync(marker)).toBe(false);
  });

  test("timeout kills the step's whole group and exits 124", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - type: shell
        timeout: 300ms
        command: sleep ${tagged(1001)} & sleep ${tagged(1001)}; wait
`);
    const run = await muster(["workflow", "w", "--grace", "200ms"], { cwd: dir });
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("timed out after 300ms");
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1001)}`)).length === 0, 2000)).toBe(true);
  });

  test("retry re-runs with backoff and logs each attempt", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: flaky
        type: shell
        command: echo x >> attempts; [ $(wc -l < attempts) -ge 3 ]
        retry:
          max_attempts: 4
          backoff_strategy: linear
          initial_delay: 50ms
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "attempts"), "utf8").trim().split("\n").length).toBe(3);
    expect(run.stderr).toContain("flaky: attempt 1/4 failed (exit code 1); retrying in 50ms");
    expect(run.stderr).toContain("flaky: attempt 2/4 failed (exit code 1); retrying in 100ms");
    const exhausted = project(`workflows:
  w:
    steps:
      - { name: never, type: shell, command: "echo x >> attempts; exit 3", retry: { max_attempts: 2, initial_delay: 10ms } }
`);
    const failed = await muster(["workflow", "w"], { cwd: exhausted });
    expect(failed.code).toBe(3);
    expect(readFileSync(join(exhausted, "attempts"), "utf8").trim().split("\n").length).toBe(2);
  });

  test("a grandchild left running by a finished step does not outlive it", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { type: shell, command: "(sleep ${tagged(1002)} &) ; echo started" }
      - { type: shell, command: "ps -eo stat=,args= | grep 'sleep ${tagged(1002)}' | grep -v -e grep -e '^Z' > seen; true" }
`);
    // The second step looks for the first step's grandchild: by the time a step starts, the one before has no process left.
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "seen"), "utf8")).toBe("");
    expect(await processesMatching(`sleep ${tagged(1002)}`)).toEqual([]);
  });
});

describe("signals", () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    test(`${signal} stops the running step's group, skips the rest but runs when: always steps, and exits ${code}`, async () => {
      const tag = signal === "SIGINT" ? tagged(1003) : tagged(1004);
      const dir = project(`workflows:
  w:
    steps:
      - { type: shell, command: "sleep ${tag} & sleep ${tag}; wait" }
      - { name: skipped, type: shell, command: touch skipped }
      - { name: after, type: shell, when: always, command: touch after }
`);
      const proc = spawnMuster(["workflow", "w"], { cwd: dir });
      expect(await eventually(async () => (await processesMatching(`sleep ${tag}`)).length >= 2)).toBe(true);
      proc.kill(signal);
      expect(await proc.exited).toBe(code);
      expect(await eventually(async () => (await processesMatching(`sleep ${tag}`)).length === 0, 2000)).toBe(true);
      expect(existsSync(join(dir, "skipped"))).toBe(false);
      expect(existsSync(join(dir, "after"))).toBe(true);
    });
  }

  test("a step that ignores SIGTERM is killed after --grace; a second Ctrl-C kills at once", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { type: shell, command: "trap '' INT TERM; sleep ${tagged(1005)} & wait; sleep ${tagged(1005)}" }
`);
    const proc = spawnMuster(["workflow", "w", "--grace", "300ms"], { cwd: dir });
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1005)}`)).length > 0)).toBe(true);
    proc.kill("SIGTERM");
    // The step ignores TERM: only the kill after --grace can end it (a 300 ms grace, then exit 143).
    expect(await proc.exited).toBe(143);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1005)}`)).length === 0, 2000)).toBe(true);

    const again = spawnMuster(["workflow", "w", "--grace", "60s"], { cwd: dir });
    const stderr = watch(again.stderr);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1005)}`)).length > 0)).toBe(true);
    again.kill("SIGINT");
    // Handshake: muster has taken the first Ctrl-C (a 60 s grace would follow) before the second one.
    expect(await stderr.waitFor("SIGINT: stopping")).toBe(true);
    again.kill("SIGINT");
    expect(await again.exited).toBe(130);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1005)}`)).length === 0, 2000)).toBe(true);
  });
});

describe("atmos steps", () => {
  test("run $ATMOS_BIN with the command split shell-style and -s before --", async () => {
    const dir = project(
      `workflows:
  w:
    stack: from-workflow
    steps:
      - { name: plan, type: atmos, command: "terraform plan 'my vpc' -- -var x=1" }
      - { name: step-stack, type: atmos, stack: from-step, command: terraform apply vpc }
      - { name: default-type, command: describe stacks }
`,
      { "bin/atmos": `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done >> "$ATMOS_LOG"; echo >> "$ATMOS_LOG"\n` },
    );
    const env = { ATMOS_BIN: join(dir, "bin/atmos"), ATMOS_LOG: join(dir, "atmos.log") };
    expect((await muster(["workflow", "w"], { cwd: dir, env })).code).toBe(0);
    expect(readFileSync(join(dir, "atmos.log"), "utf8")).toBe(
      "[terraform][plan][my vpc][-s][from-workflow][--][-var][x=1]\n[terraform][apply][vpc][-s][from-step]\n[describe][stacks][-s][from-workflow]\n",
    );
    // -s on the command line wins over both; ATMOS_STACK is its default.
    await muster(["workflow", "w", "-s", "flag"], { cwd: dir, env: { ...env, ATMOS_LOG: join(dir, "flag.log") } });
    expect(readFileSync(join(dir, "flag.log"), "utf8").match(/\[-s\]\[flag\]/g)?.length).toBe(3);
    await muster(["workflow", "w"], { cwd: dir, env: { ...env, ATMOS_LOG: join(dir, "envstack.log"), ATMOS_STACK: "env" } });
    expect(readFileSync(join(dir, "envstack.log"), "utf8").match(/\[-s\]\[env\]/g)?.length).toBe(3);
  });

  test("atmos from PATH when ATMOS_BIN is unset", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - command: version\n`, {
      "bin/atmos": `#!/bin/sh\necho "fake atmos $*"\n`,
    });
    const run = await muster(["workflow", "w"], { cwd: dir, env: { ATMOS_BIN: undefined, PATH: `${join(dir, "bin")}:${process.env.PATH}` } });
    expect(run.stdout).toBe("fake atmos version\n");
  });
});

describe("discovery", () => {
  const atmosProject = () =>
    project("workflows: { stray: { steps: [ { type: shell, command: echo stray } ] } }\n", {
      "atmos.yaml": "base_path: .\nworkflows:\n  base_path: stacks/workflows\n",
      "stacks/workflows/deploy.yaml": "workflows:\n  deploy:\n    description: Deploy it\n    steps:\n      - { type: shell, command: pwd }\n",
      "stacks/workflows/nested/checks.yml": "workflows:\n  checks:\n    steps:\n      - { type: shell, command: echo checks }\n  deploy:\n    steps:\n      - { type: shell, command: echo other }\n",
      "sub/dir/.keep": "",
    });

  test("atmos.yaml's workflows.base_path, -f joined to it with .yaml appended, found from a subdirectory", async () => {
    const dir = atmosProject();
    const run = await muster(["workflow", "deploy", "-f", "deploy"], { cwd: join(dir, "sub/dir") });
    expect(run.code).toBe(0);
    // Steps run in the base path.
    expect(run.stdout.trim()).toBe(dir);
    const search = await muster(["workflow", "checks"], { cwd: dir });
    expect(search.stdout).toBe("checks\n");
  });

  test("a workflow defined in several files is an error listing them", async () => {
    const run = await muster(["workflow", "deploy"], { cwd: atmosProject() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('workflow "deploy" is defined in 2 files: stacks/workflows/deploy.yaml, stacks/workflows/nested/checks.yml');
  });

  test("ATMOS_CLI_CONFIG_PATH, ATMOS_WORKFLOWS_BASE_PATH and -C", async () => {
    const dir = atmosProject();
    const other = tempDir();
    try {
      const viaEnv = await muster(["workflow", "checks"], { cwd: other.path, env: { ATMOS_CLI_CONFIG_PATH: dir } });
      expect(viaEnv.stdout).toBe("checks\n");
      const viaC = await muster(["workflow", "checks", "-C", dir], { cwd: other.path });
      expect(viaC.stdout).toBe("checks\n");
      const overridden = await muster(["list", "--json"], { cwd: dir, env: { ATMOS_WORKFLOWS_BASE_PATH: "stacks/workflows/nested" } });
      expect(JSON.parse(overridden.stdout).map((w: { name: string }) => w.name)).toEqual(["checks", "deploy"]);
    } finally {
      other.cleanup();
    }
  });

  test("a missing -f file names where it looked, once each", async () => {
    const run = await muster(["workflow", "deploy", "-f", "nope"], { cwd: atmosProject() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('workflow file "nope" not found (looked for stacks/workflows/nope.yaml, stacks/workflows/nope.yml, nope)');
  });

  test("an unknown workflow names the ones that exist", async () => {
    const run = await muster(["workflow", "nope"], { cwd: atmosProject() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('workflow "nope" not found in stacks/workflows (2 files) (expected one of: deploy, checks, deploy)');
  });
});

describe("the parse cache", () => {
  test("a valid file is cached by content; a changed file is parsed again; MUSTER_NO_CACHE turns it off", async () => {
    // Anchors and aliases keep this file off the fast path, which is where the cache serves.
    const file = (word: string) => `workflows:\n  w:\n    env: &common { WORD: ${word} }\n    steps:\n      - { type: shell, command: "echo $WORD", env: *common }\n`;
    const dir = project(file("first"));
    const cache = join(dir, "cache");
    const env = { MUSTER_CACHE_DIR: cache };
    const entries = () => readdirSync(cache).filter((f) => f.endsWith(".entry")).length;
    expect((await muster(["workflow", "w"], { cwd: dir, env })).stdout).toBe("first\n");
    expect(entries()).toBe(1);
    expect((await muster(["workflow", "w"], { cwd: dir, env })).stdout).toBe("first\n");
    writeFiles(dir, { "workflows.yaml": file("second") });
    expect((await muster(["workflow", "w"], { cwd: dir, env })).stdout).toBe("second\n");
    expect(entries()).toBe(2);
    // An invalid file is never cached, so its errors always carry positions.
    writeFiles(dir, { "workflows.yaml": `workflows:\n  w:\n    env: &e { A: b }\n    steps:\n      - { type: shel, command: echo, env: *e }\n` });
    const bad = await muster(["workflow", "w"], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('workflows.yaml:5:17: workflow "w", step "step1": unknown step type "shel"');
    expect(entries()).toBe(2);
    // A file the fast path takes needs no cache entry.
    writeFiles(dir, { "workflows.yaml": `workflows:\n  w:\n    steps:\n      - { type: shell, command: echo plain }\n` });
    expect((await muster(["workflow", "w"], { cwd: dir, env })).stdout).toBe("plain\n");
    expect(entries()).toBe(2);
    const off = join(dir, "off");
    await muster(["workflow", "w", "-f", "examples/hello/hello.yaml"], { cwd: repoRoot, env: { MUSTER_CACHE_DIR: off, MUSTER_NO_CACHE: "1" } });
    expect(existsSync(off)).toBe(false);
  });
});

describe("list, describe, validate, version, usage", () => {
  test("list shows file, description and step count", async () => {
    const run = await muster(["list", "-f", "examples/hello/hello.yaml"]);
    expect(run.stdout).toMatch(/hello\s+examples\/hello\/hello.yaml\s+4\s+Greet, show the stack/);
    const json = JSON.parse((await muster(["list", "-f", "examples/hello/hello.yaml", "--json"])).stdout);
    expect(json).toEqual([{ name: "hello", file: "examples/hello/hello.yaml", description: "Greet, show the stack, and always say goodbye", steps: 4 }]);
  });

  test("describe resolves stacks and templates", async () => {
    const json = JSON.parse((await muster(["describe", "hello", "-f", "examples/hello/hello.yaml", "--json", "-s", "prod"])).stdout);
    expect(json.steps[1]).toMatchObject({ name: "stack", type: "shell", stack: "prod", argv: ["sh", "-c", 'echo "running in stack ${MUSTER_DATA_1}"'], env: { MUSTER_DATA_1: "prod" }, display: 'echo "running in stack prod"' });
    expect(json.steps[3]).toMatchObject({ name: "goodbye", when: "always" });
  });

  test("validate exits 0 on valid files", async () => {
    const run = await muster(["validate", "-f", "examples/hello/hello.yaml"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("1 file, 1 workflow: valid");
  });

  test("--version prints version and commit; --help works on every command; bad usage exits 2", async () => {
    const version = await muster(["--version"]);
    expect(version.stdout).toMatch(/^muster \d+\.\d+\.\d+ \([0-9a-f]{7,}(-dirty)?\)\n$/);
    for (const cmd of ["workflow", "list", "validate", "describe"]) {
      const help = await muster([cmd, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`muster ${cmd}`);
    }
    expect((await muster(["frobnicate"])).code).toBe(2);
    expect((await muster(["workflow"])).code).toBe(2);
    expect((await muster(["workflow", "x", "--var", "novalue"])).code).toBe(2);
  });
});

test("the source runs under Deno with the same result", async () => {
  const deno = join(repoRoot, "node_modules/.bin/deno");
  const args = ["workflow", "hello", "-f", "examples/hello/hello.yaml", "--var", "who=deno"];
  const viaDeno = await muster(args, { command: [deno, "run", "-A", "src/main.ts"], timeoutMs: 60_000 });
  const viaBinary = await muster(args);
  expect(viaDeno.code).toBe(0);
  expect(viaDeno.stdout).toBe(viaBinary.stdout);
  const failing = project(`workflows:\n  w:\n    steps:\n      - { type: shell, command: "exit 9" }\n`);
  const failed = await muster(["workflow", "w"], { cwd: failing, command: [deno, "run", "-A", join(repoRoot, "src/main.ts")] });
  expect(failed.code).toBe(9);
}, 60_000);

describe("one run builder", () => {
  test("describe and workflow --dry-run show the same plan: !env and !exec in prompt fields are evaluated for both (describe showed the tag)", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: who
        type: input
        prompt: Who deploys?
        default: !env MUSTER_TEST_WHO
      - name: where
        type: input
        prompt: Where?
        default: !exec echo staging
      - name: hi
        type: shell
        command: echo "{{ .vars.greeting }}"
`);
    const env = { MUSTER_TEST_WHO: "alice" };
    const described = await muster(["describe", "ask", "--json", "--var", "greeting=hello"], { cwd: dir, env });
    const dry = await muster(["workflow", "ask", "--dry-run", "--format", "json", "--var", "greeting=hello"], { cwd: dir, env });
    expect({ code: described.code, stderr: described.stderr }).toEqual({ code: 0, stderr: "" });
    expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(described.stdout)).toEqual(JSON.parse(dry.stdout));
    expect(described.stdout).toContain("alice");
    expect(described.stdout).toContain("staging");
    expect(described.stdout).not.toContain("!env");
  });
});
