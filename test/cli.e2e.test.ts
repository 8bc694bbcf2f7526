/**
 * End-to-end: command-line safety (issue "Command-line safety and live
 * feedback"): mistyped flags never run anything, resume hints reproduce the
 * run, discovery tolerates foreign and broken files.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { muster, musterBin, tempDir, writeFiles } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
function project(files: Record<string, string>): string {
  const dir = join(tmp.path, `c${++n}`);
  writeFiles(dir, files);
  return dir;
}

const DEPLOY = `workflows:
  deploy:
    stack: dev
    steps:
      - { name: apply, type: shell, command: "touch applied; echo {{ .stack }} {{ .vars.region | default \\"none\\" }} >> seen" }
`;

describe("mistyped flags and arguments run nothing", () => {
  const cases: Array<[string[], string]> = [
    [["workflow", "deploy", "--dryrun", "--stak", "prod"], `unknown flag "--dryrun" for "muster workflow"; did you mean "--dry-run"?`],
    [["workflow", "deploy", "--dry-run", "--stak", "prod"], `unknown flag "--stak" for "muster workflow"; did you mean "--stack"?`],
    [["workflow", "deploy", "-s", "-f", "deploy"], `-s needs a value, but the next argument "-f" is a flag`],
    [["workflow", "deploy", "prod"], `unexpected argument "prod": "muster workflow" takes one argument (name)`],
    [["workflow", "deploy", "-x"], `unknown flag "-x" for "muster workflow"`],
    [["workflow", "deploy", "--quiet=yes"], `--quiet takes no value`],
    [["list", "--jsn"], `unknown flag "--jsn" for "muster list"; did you mean "--json"?`],
    [["validate", "extra"], `unexpected argument "extra": "muster validate" takes no arguments`],
    [["serve", "--port", "9999"], `unknown flag "--port" for "muster serve"; "muster serve" takes no flags`],
    [["workflw", "deploy"], `unknown command "workflw"; did you mean "workflow"?`],
  ];
  for (const [args, message] of cases) {
    test(`muster ${args.join(" ")}`, async () => {
      const dir = project({ "deploy.yaml": DEPLOY });
      const run = await muster(args, { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(existsSync(join(dir, "applied"))).toBe(false);
    });
  }

  test("the unknown-command error lists no internal commands", async () => {
    const run = await muster(["frobnicate"]);
    expect(run.stderr).not.toContain("__complete");
  });

  test("serve --help lists the environment it is configured by", async () => {
    const run = await muster(["serve", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ENVIRONMENT (muster serve takes no flags)");
    expect(run.stdout).toContain("RUNNER_AUTH_TOKEN");
    // The listening default and PostgreSQL support as they are (src/serve/config.ts), not as they were.
    const flat = run.stdout.replace(/\s+/g, " ");
    expect(flat).toContain("Where to listen (default 8080 on 127.0.0.1; the API is plain HTTP)");
    expect(flat).toContain("or postgres://USER:PASSWORD@HOST:PORT/DB shared by several replicas");
    expect(run.stdout).not.toContain("0.0.0.0");
    expect(run.stdout).not.toContain("not yet");
    // Every setting of the trust work (issue #26) is listed, as it is now.
    for (const name of ["MUSTER_STATE_URL_FILE", "MUSTER_RUNNER_ID", "MUSTER_METRICS_PUBLIC", "MUSTER_CALLBACK_BUDGET", "MUSTER_LEASE_TTL", "MUSTER_CANCEL_GRACE", "MUSTER_QUEUE_PER_STACK"]) expect(run.stdout).toContain(name);
    expect(flat).toContain("default: host name and a random suffix, new at each start");
    expect(flat).not.toContain("host name and pid");
  });

  test("--help fits 80 columns without breaking words", async () => {
    const run = await muster(["workflow", "--help"]);
    for (const line of run.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    expect(run.stdout).toContain("Workflow file: absolute, or relative to the workflows\n");
  });
});

describe("the resume hint reproduces the run", () => {
  const pathWithMuster = `${dirname(musterBin)}:${process.env.PATH}`;
  const paste = (hint: string, cwd: string) => muster(["-c", hint], { cwd, command: ["sh"], env: { PATH: pathWithMuster } });
  const hintOf = (stderr: string) => /resume with: (.*)$/m.exec(stderr)?.[1] ?? "";
  // The second step fails until a file named "fixed" exists: the cause a user fixes before resuming.
  const deployYaml = `workflows:
  deploy:
    stack: dev
    steps:
      - { name: prepare, type: shell, command: "echo prepared >> log" }
      - { name: apply, type: shell, command: "[ -e fixed ] || exit 7; echo {{ .stack }} {{ .vars.region }} >> log" }
`;

  test("with -s, --var and --grace, pasted, it resumes the same way and succeeds", async () => {
    const dir = project({
      "deploy.yaml": deployYaml,
    });
    const first = await muster(["workflow", "deploy", "-f", "deploy.yaml", "-s", "prod", "--var", "region=eu west", "--grace", "2s"], { cwd: dir });
    expect(first.code).toBe(7);
    const hint = hintOf(first.stderr);
    // The journal keeps the stack and vars: the hint repeats only what it does not keep.
    expect(hint).toMatch(/^muster workflow deploy -f deploy\.yaml --grace 2s --resume=\d{8}-\d{6}-[0-9a-f]{4}$/);
    writeFiles(dir, { fixed: "" });
    const resumed = await paste(hint, dir);
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("prepared\nprod eu west\n");
  });

  test("without the journal, it is a --from-step command with -s, --var and --grace, and pasted it resumes the same way", async () => {
    const dir = project({
      "deploy.yaml": deployYaml,
    });
    const off = { MUSTER_NO_JOURNAL: "1" };
    const first = await muster(["workflow", "deploy", "-f", "deploy.yaml", "-s", "prod", "--var", "region=eu west", "--grace", "2s"], { cwd: dir, env: off });
    expect(first.code).toBe(7);
    const hint = hintOf(first.stderr);
    expect(hint).toBe(`muster workflow deploy -f deploy.yaml -s prod --var 'region=eu west' --grace 2s --from-step apply`);
    writeFiles(dir, { fixed: "" });
    const resumed = await muster(["-c", hint], { cwd: dir, command: ["sh"], env: { PATH: pathWithMuster, ...off } });
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("prepared\nprod eu west\n");
  });

  test("after a failure while a background service ran, it resumes from the service's step", async () => {
    const dir = project({
      "e2e.yaml": `workflows:
  e2e:
    steps:
      - { name: build, type: shell, command: "echo built >> log" }
      - name: db
        type: container
        background: true
        with: { image: muster-test/busybox:1, command: ["sh", "-c", "trap 'exit 0' TERM; echo up > /tmp/up; sleep 600 & wait"], healthcheck: { test: "cat /tmp/up", interval: 100ms } }
      - { name: integration, type: shell, command: "[ -e fixed ] || exit 4; echo tested >> log" }
`,
    });
    const first = await muster(["workflow", "e2e", "-f", "e2e.yaml"], { cwd: dir });
    expect(first.code).toBe(4);
    const hint = hintOf(first.stderr);
    expect(hint).toMatch(/^muster workflow e2e -f e2e\.yaml --resume=\d{8}-\d{6}-[0-9a-f]{4}$/);
    writeFiles(dir, { fixed: "" });
    const resumed = await paste(hint, dir);
    expect(resumed.code).toBe(0);
    // The service the failed step needs is started again (with the steps after it), the build before it is not run again.
    expect(resumed.stderr).toContain('step "db" starts a background service that step "integration" needs: the run resumes there');
    expect(resumed.stderr).toContain("service db ready");
    expect(readFileSync(join(dir, "log"), "utf8")).toBe("built\ntested\n");
  });
});

describe("discovery tolerates other tools' files and broken siblings", () => {
  const files = {
    "docker-compose.yml": "services:\n  web:\n    image: nginx\n",
    ".gitlab-ci.yml": "stages: [test]\n",
    "deploy.yaml": DEPLOY,
    "broken.yaml": "workflows:\n  other:\n    steps:\n      - { type: shel, command: x }\n",
  };

  test("a valid workflow runs beside a foreign compose file and a broken file, with one warning line", async () => {
    const dir = project(files);
    const run = await muster(["workflow", "deploy"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, "applied"))).toBe(true);
    const warnings = run.stderr.split("\n").filter((l) => l.startsWith("! "));
    expect(warnings).toEqual([
      `! workflow "other" in broken.yaml is not valid and was skipped: broken.yaml:4:17: workflow "other", step "step1": unknown step type "shel", did you mean "shell"? (expected a step type; every type is in docs/step-types.md); run "muster validate" for every problem`,
    ]);
    expect(run.stderr).not.toContain("docker-compose");
  });

  test("the broken file's own workflow is refused with its problems; validate reports everything and exits 2", async () => {
    const dir = project(files);
    const other = await muster(["workflow", "other"], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`broken.yaml:4:17: workflow "other", step "step1": unknown step type "shel"`);
    const validate = await muster(["validate"], { cwd: dir });
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`broken.yaml:4:17:`);
    expect(validate.stderr).toContain(`✗ 1 problem in 1 of 2 files (2 other YAML files without "workflows:" skipped)`);
  });

  test("in one file, a valid workflow runs although a sibling is broken (warned once); the broken one is refused; a YAML error still refuses the whole file", async () => {
    const dir = project({
      "both.yaml": `workflows:\n  good:\n    steps:\n      - { type: shell, command: "touch good-ran" }\n  bad:\n    steps:\n      - { type: shel, command: x }\n`,
    });
    const good = await muster(["workflow", "good", "-f", "both.yaml"], { cwd: dir });
    expect(good.code).toBe(0);
    expect(existsSync(join(dir, "good-ran"))).toBe(true);
    expect(good.stderr).toContain(`! workflow "bad" in both.yaml is not valid and was skipped: both.yaml:7:17: workflow "bad", step "step1": unknown step type "shel"`);
    const bad = await muster(["workflow", "bad", "-f", "both.yaml"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`both.yaml:7:17: workflow "bad", step "step1": unknown step type "shel"`);
    expect((await muster(["validate"], { cwd: dir })).code).toBe(2);
    writeFiles(dir, { "both.yaml": `workflows:\n  good:\n    steps:\n      - { type: shell, command: "touch again" }\n  good:\n    steps: []\n` });
    const dup = await muster(["workflow", "good", "-f", "both.yaml"], { cwd: dir });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain("Map keys must be unique");
    expect(existsSync(join(dir, "again"))).toBe(false);
  });

  test("validate with no workflow files says so and exits 2; a name in two files is reported", async () => {
    const empty = project({ "docker-compose.yml": "services: {}\n" });
    const none = await muster(["validate"], { cwd: empty });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`✗ no workflow files found in ${empty} (1 other YAML file without "workflows:" skipped)`);
    const twice = project({ "a.yaml": DEPLOY, "b.yaml": DEPLOY });
    const dup = await muster(["validate"], { cwd: twice });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain(`b.yaml:3:5: workflow "deploy": also defined in a.yaml (expected each name once; "muster workflow deploy" needs -f to choose)`);
  });
});
