/**
 * The last of Atmos' non-interactive step types on the binary: archive
 * (checked with the system's tar and unzip), junit (with GitHub Actions'
 * files), style and pager without a terminal, the Atmos-owned types run
 * through a recording fake atmos (emulator, store, tflint, identity), the
 * ones refused at validation, and workflow dependencies.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs } from "./helpers.ts";

const projects = projectDirs("muster-files-steps-");

async function sh(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn(argv, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  return out;
}

describe("archive", () => {
  const files = {
    "src/app.js": "console.log(1)\n",
    "src/lib/util.js": "export {}\n",
    "src/lib/util.js.map": "{}\n",
    "src/run.sh": "#!/bin/sh\n",
    "workflows.yaml": `workflows:
  pack:
    steps:
      - name: zip
        type: archive
        source: src
        destination: "dist/{{ .workflow.name }}.zip"
        exclude: ["**/*.map"]
        subpath: opt/nodejs
      - name: tgz
        type: archive
        source: src
        destination: dist/all.tgz
        include: ["**/*.js"]
      - name: tar
        type: archive
        source: src/app.js
        destination: dist/one.tar
      - { type: shell, command: "echo extra > src/extra.txt" }
      - name: more
        type: archive
        action: update
        source: src
        include: [extra.txt]
        destination: dist/one.tar
      - { type: format, content: "{{ .steps.zip.value }} {{ .steps.zip.entries }} {{ .steps.more.action }} {{ .steps.more.entries }}" }
`,
  };

  test("zip, tgz and tar are written, filtered and updated; tar and unzip read them", async () => {
    const dir = projects.make(files);
    chmodSync(join(dir, "src/run.sh"), 0o755);
    const run = await muster(["workflow", "pack"], { cwd: dir });
    expect(run.stderr).toContain("✓ workflow pack succeeded");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${join(dir, "dist/pack.zip")} 3 update 2\n`);
    const zipList = await sh(["unzip", "-Z1", "dist/pack.zip"], dir);
    expect(zipList.split("\n").filter(Boolean)).toEqual(["opt/nodejs/app.js", "opt/nodejs/lib/util.js", "opt/nodejs/run.sh"]);
    expect(await sh(["unzip", "-p", "dist/pack.zip", "opt/nodejs/lib/util.js"], dir)).toBe("export {}\n");
    expect(await sh(["unzip", "-Z", "dist/pack.zip", "opt/nodejs/run.sh"], dir)).toStartWith("-rwxr-xr-x");
    expect((await sh(["tar", "tzf", "dist/all.tgz"], dir)).split("\n").filter(Boolean)).toEqual(["app.js", "lib/util.js"]);
    expect((await sh(["tar", "tf", "dist/one.tar"], dir)).split("\n").filter(Boolean)).toEqual(["app.js", "extra.txt"]);
    expect(await sh(["tar", "xOf", "dist/one.tar", "extra.txt"], dir)).toBe("extra\n");
  });

  test("mtime: epoch stamps every entry with the source's last git commit", async () => {
    const dir = projects.make({ "src/a.txt": "a\n", "workflows.yaml": `workflows:\n  pack:\n    steps:\n      - { type: archive, source: src, destination: out.tar, mtime: epoch }\n` });
    const env = { GIT_AUTHOR_DATE: "2021-03-04T05:06:07Z", GIT_COMMITTER_DATE: "2021-03-04T05:06:07Z", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
    await sh(["git", "init", "-q"], dir);
    await sh(["git", "add", "src"], dir);
    await sh(["git", "commit", "-qm", "src"], dir, env);
    const run = await muster(["workflow", "pack"], { cwd: dir });
    expect(run.code).toBe(0);
    const listing = await sh(["tar", "tvf", "out.tar", "--utc"], dir);
    expect(listing).toContain("2021-03-04 05:06");
    expect(listing).toStartWith("-rw-r--r--");
  });

  test("reserved actions, unknown formats and mtimes are refused at validation with positions", async () => {
    const dir = projects.make({ "workflows.yaml": `workflows:
  w:
    steps:
      - { type: archive, source: s, destination: a.zip, action: create }
      - { type: archive, source: s, destination: a.rar }
      - { type: archive, source: s, destination: a.zip, mtime: now }
      - { type: archive, source: s, destination: a.tar.xz }
      - { type: archive, source: s, destinaton: a.zip }
` });
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:4:65: workflow "w", step "step1": action "create" is reserved by Atmos and not implemented (expected replace or update)`);
    expect(run.stderr).toContain(`workflows.yaml:5:50: workflow "w", step "step2": cannot tell the archive format from "a.rar"`);
    expect(run.stderr).toContain(`workflows.yaml:6:64: workflow "w", step "step3": unknown mtime "now" (expected one of: filesystem, epoch, git)`);
    expect(run.stderr).toContain(`step "step4": format "tar.xz" is recognised but not written (as in Atmos); use zip, tar or tgz`);
    expect(run.stderr).toContain(`unknown field "destinaton", did you mean "destination"?`);
  });

  test("a missing source fails the step and writes nothing", async () => {
    const dir = projects.make({ "workflows.yaml": `workflows:\n  w:\n    steps:\n      - { type: archive, source: nope, destination: out.zip }\n` });
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`source ${join(dir, "nope")} does not exist`);
    expect(existsSync(join(dir, "out.zip"))).toBe(false);
  });
});

describe("junit", () => {
  const reports = {
    "reports/unit.xml": `<?xml version="1.0"?>\n<testsuites><testsuite name="unit"><testcase name="adds"/><testcase name="divides" file="src/math.ts" line="12"><failure message="expected 2, got 3">trace</failure></testcase><testcase name="later"><skipped/></testcase></testsuite></testsuites>\n`,
    "reports/e2e/api.xml": `<testsuite name="e2e"><testcase name="boots"/><testcase name="crashes" file="e2e/api.ts" line="3"><error message="boom"/></testcase></testsuite>\n`,
    "workflows.yaml": `workflows:
  tests:
    steps:
      - { name: results, type: junit, files: ["reports/**/*.xml"], title: Unit and e2e }
      - { type: format, content: "{{ .steps.results.value }}; failed={{ .steps.results.failed }} skipped={{ .steps.results.skipped_tests }}" }
  none:
    steps:
      - { type: junit, files: ["missing/*.xml"] }
  broken:
    steps:
      - { type: junit, files: [bad.xml] }
`,
    "bad.xml": "<testsuite><testcase name=\"x\"></testsuite>\n",
  };

  test("totals on stderr; failed tests do not fail the step; a job summary and annotations on GitHub Actions", async () => {
    const dir = projects.make(reports);
    const summary = join(dir, "summary.md");
    const run = await muster(["workflow", "tests"], { cwd: dir, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("JUnit: 5 tests, 2 passed, 1 failed, 1 errored, 1 skipped (2 file(s))");
    expect(run.stdout).toContain("::error file=e2e/api.ts,line=3,title=test%3A crashes::boom\n");
    expect(run.stdout).toContain("::error file=src/math.ts,line=12,title=test%3A divides::expected 2, got 3\n");
    expect(run.stdout).toContain("2 passed, 2 failed; failed=2 skipped=1\n");
    const md = readFileSync(summary, "utf8");
    expect(md).toContain("## ❌ Unit and e2e\n");
    expect(md).toContain("| :x: fail | `unit` | `divides` |");
  });

  test("outside GitHub Actions only the totals are printed", async () => {
    const dir = projects.make(reports);
    const run = await muster(["workflow", "tests"], { cwd: dir, env: { GITHUB_ACTIONS: "", CI: "" } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("2 passed, 2 failed; failed=2 skipped=1\n");
  });

  test("no matching file, or a file that is not JUnit XML, fails the step", async () => {
    const dir = projects.make(reports);
    const none = await muster(["workflow", "none"], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no JUnit XML files matched "missing/*.xml"`);
    const broken = await muster(["workflow", "broken"], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${join(dir, "bad.xml")} is not a JUnit report: line 1: </testsuite> closes <testcase>`);
  });
});

describe("style and pager without a terminal", () => {
  test("style draws its box on stderr in plain characters; pager prints title and text on stdout", async () => {
    const dir = projects.make({
      "NOTES.md": "# Notes\n\nSome *text*.\n",
      "workflows.yaml": `workflows:
  show:
    steps:
      - { name: box, type: style, border: rounded, padding: "0 1", width: 20, align: center, bold: true, foreground: "#ff0000", content: "Deployed {{ .workflow.name }} to every region" }
      - { type: pager, title: Report, content: "value={{ .steps.box.value }}" }
      - { type: pager, path: NOTES.md }
`,
    });
    const run = await muster(["workflow", "show"], { cwd: dir, env: { PAGER: "false-pager-that-must-not-run" } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("╭────────────────────╮\n│  Deployed show to  │\n│    every region    │\n╰────────────────────╯\n");
    expect(run.stderr).not.toContain("\x1b[");
    expect(run.stdout).toStartWith("Report\n\nvalue=Deployed show to every region\nNOTES.md\n\n");
    expect(run.stdout).toContain("Notes");
    expect(run.stdout).not.toContain("# Notes"); // rendered, as a .md file is
  });
});

describe("steps that belong to Atmos", () => {
  const fakeAtmos = `#!/bin/sh
echo "atmos $*" >> "$CALLS"
case "$1 $2" in
  "auth env") echo '{"AWS_PROFILE":"'"$3$4"'","AWS_REGION":"eu-west-1"}'; exit 0 ;;
  "store set") printf 'stdin=%s\\n' "$(cat)" >> "$CALLS" ;;
esac
echo "ran $1"
`;
  const setUp = (yaml: string) => {
    const dir = projects.make({ "fake-atmos": fakeAtmos, "workflows.yaml": yaml });
    chmodSync(join(dir, "fake-atmos"), 0o755);
    return { dir, env: { ATMOS_BIN: join(dir, "fake-atmos"), CALLS: join(dir, "calls.log") }, calls: () => readFileSync(join(dir, "calls.log"), "utf8") };
  };

  test("emulator, store and tflint run their atmos commands; store's value goes through stdin, not argv", async () => {
    const { dir, env, calls } = setUp(`workflows:
  w:
    stack: dev
    steps:
      - { name: emu, type: emulator, component: localstack }
      - { name: put, type: store, with: { store: ssm, key: vpc_id, value: "vpc-{{ .workflow.name }}" } }
      - { name: lint, type: tflint, component: vpc, args: ["--minimum-failure-severity=error"] }
      - { type: format, content: "{{ .steps.emu.value }}|{{ .steps.put.value }}|{{ .steps.put.stack }}|{{ .steps.lint.value }}" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("emulator localstack up|vpc-w|dev|vpc in dev: linted\n");
    expect(calls()).toBe([
      "atmos emulator up localstack -s dev",
      "atmos store set ssm vpc_id --stdin --stack dev",
      "stdin=vpc-w",
      "atmos terraform lint vpc -s dev -- --minimum-failure-severity=error",
      "",
    ].join("\n"));
  });

  test("a step's identity, or --identity, adds atmos auth env's variables to its processes, fetched once", async () => {
    const { dir, env, calls } = setUp(`workflows:
  w:
    steps:
      - { type: shell, identity: prod, command: 'echo "a=$AWS_PROFILE"' }
      - { type: shell, identity: prod, command: 'echo "b=$AWS_PROFILE"' }
      - { type: shell, command: 'echo "c=$AWS_PROFILE"' }
`);
    const run = await muster(["workflow", "w", "--identity", "dev"], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("a=--identityprod\nb=--identityprod\nc=--identitydev\n");
    expect(calls()).toBe("atmos auth env --identity prod --format json --login\natmos auth env --identity dev --format json --login\n");
  });

  test("cast and workdir are refused at validation, naming the atmos command to use", async () => {
    const dir = projects.make({ "workflows.yaml": `workflows:\n  demo:\n    steps:\n      - { type: workdir, path: x, source: y }\n      - { type: cast, steps: [] }\n` });
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:4:17: workflow "demo", step "step1": step type "workdir" belongs to Atmos itself`);
    expect(run.stderr).toContain(`to run this workflow as written, use Atmos: atmos workflow demo -f workflows)`);
    expect(run.stderr).toContain(`step type "cast" belongs to Atmos itself: it records the workflow's own terminal session`);
  });
});

describe("workflow dependencies", () => {
  test("workflows and commands run first, once each; a cycle fails; missing tools stop the run", async () => {
    const dir = projects.make({
      "fake-atmos": `#!/bin/sh\necho "atmos $*" >> "$CALLS"\n`,
      "workflows.yaml": `workflows:
  build:
    steps: [{ type: shell, command: 'echo "build stack=$STACK_SEEN" >> order.log' , env: { STACK_SEEN: "{{ .stack }}" } }]
  release:
    description: Ship it.
    show: { header: true, flags: true }
    dependencies:
      tools: { sh: "1" }
      workflows: [build, build]
      commands: [{ name: compile, flags: { target: test } }]
    steps: [{ type: shell, command: "echo release >> order.log" }]
  a:
    dependencies: { workflows: [b] }
    steps: [{ type: shell, command: "echo a" }]
  b:
    dependencies: { workflows: [a] }
    steps: [{ type: shell, command: "echo b" }]
  tooling:
    dependencies: { tools: { no-such-tool-here: "1.2.3" } }
    steps: [{ type: shell, command: "touch tooling-ran" }]
`,
    });
    chmodSync(join(dir, "fake-atmos"), 0o755);
    const env = { ATMOS_BIN: join(dir, "fake-atmos"), CALLS: join(dir, "calls.log") };
    const run = await muster(["workflow", "release", "-s", "prod"], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stderr).toStartWith("# release\nShip it.\n\ndry-run: false\nstack: prod\n\n");
    expect(readFileSync(join(dir, "order.log"), "utf8")).toBe("build stack=prod\nrelease\n");
    expect(readFileSync(join(dir, "calls.log"), "utf8")).toBe("atmos compile --target=test\n");
    const cycle = await muster(["workflow", "a"], { cwd: dir, env });
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain("dependency cycle: a → b → a");
    const tools = await muster(["workflow", "tooling"], { cwd: dir, env });
    expect(tools.code).toBe(1);
    expect(tools.stderr).toContain(`workflow "tooling" needs tools that are not on PATH: no-such-tool-here 1.2.3 (muster checks dependencies.tools but does not install toolchains`);
    expect(existsSync(join(dir, "tooling-ran"))).toBe(false);
  });
});

test("script runs as a child of parallel, as Atmos allows", async () => {
  const dir = projects.make({ "workflows.yaml": `workflows:\n  p:\n    steps:\n      - type: parallel\n        steps:\n          - { name: py, type: script, interpreter: sh, script: "echo from-script" }\n          - { name: after, type: shell, needs: [py], command: "echo got={{ .steps.py.value | trim }}" }\n` });
  const run = await muster(["workflow", "p"], { cwd: dir });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("got=from-script\n");
});

test("--dry-run prints the plan, then runs only what Atmos runs in a dry run (messages, env, http)", async () => {
  let hits = 0;
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (hits++, new Response("pong")) });
  try {
    const dir = projects.make({
      "src/a.txt": "a",
      "workflows.yaml": `workflows:
  d:
    steps:
      - { type: stage, title: Build }
      - { name: b, type: shell, command: "touch made-by-shell", outputs: { v: "{{ .value }}" } }
      - { type: toast, content: "built=[{{ .steps.b.value }}{{ .steps.b.outputs.v }}]" }
      - { type: archive, source: src, destination: out.zip }
      - { type: env, vars: { X: "1" } }
      - { name: ping, type: http, url: "http://127.0.0.1:${server.port}/ping" }
      - { type: format, content: "X={{ .env.X }} ping={{ .steps.ping.value }}" }
`,
    });
    const run = await muster(["workflow", "d", "--dry-run"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toStartWith("workflow d (workflows.yaml)\n  1. step1 (stage)\n");
    expect(run.stdout).toEndWith("X=1 ping=pong\n");
    expect(run.stderr).toContain("[Stage 1/1] Build\n○ b skipped (dry run: $ touch made-by-shell)\nℹ built=[]\n○ step4 skipped (dry run: archive src → out.zip)\n");
    expect(hits).toBe(1);
    expect(existsSync(join(dir, "made-by-shell"))).toBe(false);
    expect(existsSync(join(dir, "out.zip"))).toBe(false);
    const json = await muster(["workflow", "d", "--dry-run", "--format", "json"], { cwd: dir });
    expect(JSON.parse(json.stdout).workflow).toBe("d");
    expect(hits).toBe(1);
  } finally {
    server.stop(true);
  }
});
