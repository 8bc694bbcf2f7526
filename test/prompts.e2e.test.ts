/**
 * End-to-end: the prompt step types and the workflow picker, on the
 * compiled binary. On a terminal they are driven through a real
 * pseudo-terminal (test/pty.ts: keys typed, output awaited); without one
 * (pipes) they take defaults and `--answer`s. Each test checks the values
 * later steps receive. Atmos' interactive-workflows example runs both ways.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs, repoRoot } from "./helpers.ts";
import { KEY, PtySession } from "./pty.ts";

const dirs = projectDirs("muster-prompts-");
const sessions: PtySession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.close();
});

/** A project with one workflow file. */
const project = (yaml: string, files: Record<string, string> = {}) => dirs.make({ "workflows.yaml": yaml, ...files });

/** Runs muster on a pseudo-terminal (closed after the suite). */
function onTerminal(args: string[], options: ConstructorParameters<typeof PtySession>[1] = {}): PtySession {
  const session = new PtySession(args, options);
  sessions.push(session);
  return session;
}

/** A shell step that prints `KEY=[value]` for each template. */
const report = (entries: Record<string, string>) => `      - name: report
        type: shell
        command: printf '%s\\n' "${Object.entries(entries).map(([k, v]) => `${k}=[${v}]`).join(" ")}"
`;

describe("prompts on a terminal", () => {
  test("input: typed text with editing keys, an empty entry takes the default, a password is masked", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: who
        type: input
        prompt: Your name
        placeholder: e.g. Ada
        default: anon
      - name: again
        type: input
        prompt: Another name
        default: anon
      - name: pw
        type: input
        prompt: Password
        password: true
${report({ who: "{{ .steps.who.value }}", again: "{{ .steps.again.value }}", pwlen: "{{ len .steps.pw.value }}" })}`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("e.g. Ada");
    s.type("hlo", KEY.left, KEY.left, "el", KEY.enter);
    await s.waitFor("✔ Your name · hello");
    await s.waitFor("Another name (anon)");
    s.type(KEY.enter);
    await s.waitFor("✔ Another name · anon");
    await s.waitFor("Password");
    s.type("s3cret", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("who=[hello] again=[anon] pwlen=[6]");
    expect(s.screen).toContain("✔ Password · ••••••");
    expect(s.raw).not.toContain("s3cret");
  });

  test("confirm: y answers at once, arrows and Enter choose, and No is an answer, not a failure", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: first
        type: confirm
        prompt: Deploy?
        default: "yes"
      - name: second
        type: confirm
        prompt: Really?
${report({ first: "{{ .steps.first.value }}", second: "{{ .steps.second.value }}" })}`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("[Yes]  No");
    s.type("n");
    await s.waitFor("✔ Deploy? · No");
    await s.waitFor(" Yes  [No]");
    s.type(KEY.left, KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("first=[false] second=[true]");
  });

  test("choose: the default is highlighted first, arrows move and wrap round", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: env
        type: choose
        prompt: Environment
        options: [dev, "{{ .vars.extra }}", prod]
        default: prod
${report({ env: "{{ .steps.env.value }}" })}`);
    const s = onTerminal(["workflow", "ask", "--var", "extra=staging"], { cwd: dir });
    await s.waitFor("❯ prod");
    s.type(KEY.down, KEY.down, KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("env=[staging]");
  });

  test("filter: typing narrows the options by fuzzy match; several with a limit, in option order", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: one
        type: filter
        prompt: One region
        options: [us-east-1, us-west-2, eu-west-1]
      - name: some
        type: filter
        prompt: Some regions
        limit: 2
        options: [us-east-1, us-west-2, eu-west-1]
${report({ one: "{{ .steps.one.value }}", value: "{{ .steps.some.value }}", values: '{{ join "," .steps.some.values }}' })}`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("type to filter");
    s.type("usw");
    await s.waitFor("1/3");
    s.type(KEY.enter);
    await s.waitFor("✔ One region · us-west-2");
    await s.waitFor("0/2 selected");
    s.type("west");
    await s.waitFor("2/3");
    // Both match "west" at the same place: they keep their order. Ticked, the filter cleared, the third toggle is over the limit.
    s.type(KEY.space, KEY.down, KEY.space, KEY.backspace.repeat(4));
    await s.waitFor("2/2 selected");
    s.type(KEY.space);
    await s.waitFor("at most 2 may be selected");
    s.type(KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("one=[us-west-2] value=[us-west-2] values=[us-west-2,eu-west-1]");
  });

  test("file: lists the files under path with the extensions (not .git), typing filters, the value is the absolute path", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: config
        type: file
        prompt: Config file
        path: conf
        extensions: [yaml, .JSON]
${report({ config: "{{ .steps.config.value }}" })}`, { "conf/a.yaml": "a: 1\n", "conf/sub/b.json": "{}\n", "conf/c.txt": "c\n", "conf/.git/d.yaml": "d: 1\n" });
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("sub/b.json");
    expect(s.screen).toContain("a.yaml");
    expect(s.screen).not.toContain("c.txt");
    expect(s.screen).not.toContain("d.yaml");
    s.type("json", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain(`config=[${join(dir, "conf/sub/b.json")}]`);
  });

  test("write: a multi-line editor where Ctrl-J starts a line and Enter submits", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: notes
        type: write
        prompt: Notes
        placeholder: What changed?
        height: 3
${report({ notes: '{{ .steps.notes.value | replace "\\n" "|" }}' })}`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("What changed?");
    s.type("fixed it", KEY.newline, "shipped", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("notes=[fixed it|shipped]");
    expect(s.screen).toContain("✔ Notes · fixed it … (2 lines)");
  });

  test("after a prompt, a later step that reads the terminal gets every key typed (the prompt let go of stdin)", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: who
        type: input
        prompt: Your name
      - name: readit
        type: shell
        command: 'read x; echo "got=[$x] for {{ .steps.who.value }}"'
`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("Your name");
    s.type("ada", KEY.enter);
    await s.waitFor("▸ readit");
    s.type("hello", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("got=[hello] for ada");
  });

  test("--answer answers on a terminal too, without asking", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: env
        type: choose
        prompt: Environment
        options: [dev, prod]
${report({ env: "{{ .steps.env.value }}" })}`);
    const s = onTerminal(["workflow", "ask", "--answer", "env=prod"], { cwd: dir });
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("env=[prod]");
    expect(s.screen).not.toContain("Environment");
  });

  test("Esc at a prompt interrupts the run: exit 130, later steps never run", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: who
        type: input
        prompt: Your name
      - name: after
        type: shell
        command: echo should-not-run
`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("Your name");
    s.type(KEY.esc);
    expect(await s.exited).toBe(130);
    expect(s.screen).toContain("✗ Your name · aborted");
    expect(s.screen).toContain("workflow ask interrupted");
    expect(s.screen).not.toContain("should-not-run");
  });

  test("Ctrl-C at a prompt interrupts the run like Ctrl-C anywhere: the background service is torn down", async () => {
    const label = `prompt-${process.pid}-${Date.now()}`;
    const dir = project(`workflows:
  ask:
    steps:
      - name: db
        type: container
        background: true
        with:
          image: muster-test/busybox:1
          command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
          labels: { test.run: ${label} }
      - name: go
        type: confirm
        prompt: Continue?
`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir });
    await s.waitFor("Continue?");
    const running = Bun.spawnSync(["docker", "ps", "-q", "--filter", `label=test.run=${label}`]).stdout.toString().trim();
    expect(running).not.toBe("");
    s.type(KEY.ctrlC);
    expect(await s.exited).toBe(130);
    expect(s.screen).toContain("✗ Continue? · aborted");
    const left = Bun.spawnSync(["docker", "ps", "-aq", "--filter", `label=test.run=${label}`]).stdout.toString().trim();
    expect(left).toBe("");
  });

  test("with NO_COLOR the prompts carry no colour codes; without it they are coloured", async () => {
    const yaml = `workflows:
  ask:
    steps:
      - name: env
        type: choose
        prompt: Environment
        options: [dev, prod]
`;
    const sgr = /\x1b\[[0-9;]*m/;
    const plainRun = onTerminal(["workflow", "ask"], { cwd: project(yaml), env: { NO_COLOR: "1" } });
    await plainRun.waitFor("❯ dev");
    plainRun.type(KEY.enter);
    expect(await plainRun.exited).toBe(0);
    expect(plainRun.raw).not.toMatch(sgr);
    const coloured = onTerminal(["workflow", "ask"], { cwd: project(yaml) });
    await coloured.waitFor("❯ dev");
    coloured.type(KEY.enter);
    expect(await coloured.exited).toBe(0);
    expect(coloured.raw).toContain("\x1b[36m?\x1b[39m");
  });

  test("at 80 columns a long option is cut with … so that no prompt line wraps", async () => {
    const long = `option-${"x".repeat(150)}`;
    const dir = project(`workflows:
  ask:
    steps:
      - name: pick
        type: choose
        prompt: Pick one
        options: [short, ${long}]
`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir, cols: 80, env: { NO_COLOR: "1" } });
    await s.waitFor("Pick one");
    await s.waitFor("…");
    const lines = s.screen.split("\n").filter((line) => line.includes("option-"));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(79);
    s.type(KEY.down, KEY.enter);
    expect(await s.exited).toBe(0);
  });

  test("under Deno the same prompt works (deno run -A src/main.ts)", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: ok
        type: confirm
        prompt: Proceed?
${report({ ok: "{{ .steps.ok.value }}" })}`);
    const s = onTerminal(["workflow", "ask"], { cwd: dir, command: [join(repoRoot, "node_modules/.bin/deno"), "run", "-A", join(repoRoot, "src/main.ts")] });
    await s.waitFor("Proceed?", 60_000);
    s.type("y");
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("ok=[true]");
  });
});

describe("the workflow picker", () => {
  const files = {
    "workflows/deploy.yaml": `workflows:
  deploy:
    description: Ship it
    steps:
      - name: build
        type: shell
        command: echo step-build
      - name: release
        type: shell
        command: echo step-release
  shared:
    steps:
      - name: one
        type: shell
        command: echo shared-from-deploy
`,
    "workflows/ops.yaml": `workflows:
  shared:
    steps:
      - name: one
        type: shell
        command: echo shared-from-ops
`,
    "atmos.yaml": "workflows:\n  base_path: workflows\n",
  };

  test("no name on a terminal: pick the file, the workflow (with its description) and the step to start from", async () => {
    const dir = dirs.make(files);
    const s = onTerminal(["workflow"], { cwd: dir });
    await s.waitFor("Which workflow file?");
    s.type("deploy", KEY.enter);
    await s.waitFor("deploy — Ship it");
    s.type(KEY.enter);
    await s.waitFor('Start "deploy" at which step?');
    s.type("rel", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("→ muster workflow deploy -f workflows/deploy.yaml --from-step release");
    expect(s.screen).toContain("step-release");
    expect(s.screen).not.toContain("step-build\n");
  });

  test("a name defined in two files: a picker of the files on a terminal, the error without one", async () => {
    const dir = dirs.make(files);
    const s = onTerminal(["workflow", "shared"], { cwd: dir });
    await s.waitFor('Workflow "shared" is defined in 2 files. Which one?');
    s.type("ops", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("shared-from-ops");
    const piped = await muster(["workflow", "shared"], { cwd: dir });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('workflow "shared" is defined in 2 files');
  });

  test("no name without a terminal: the list of workflows and exit 2", async () => {
    const run = await muster(["workflow"], { cwd: dirs.make(files) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("deploy    workflows/deploy.yaml");
    expect(run.stderr).toContain("name a workflow: muster workflow NAME");
  });
});

describe("prompts without a terminal", () => {
  const everyType = `workflows:
  ask:
    steps:
      - name: marker
        type: shell
        command: touch started
      - name: who
        type: input
        prompt: Name
        default: anon
      - name: ok
        type: confirm
        prompt: OK?
        default: "no"
      - name: env
        type: choose
        prompt: Env
        options: [dev, prod]
        default: dev
      - name: regions
        type: filter
        prompt: Regions
        multiple: true
        options: [a, b, c]
        default: "a, c"
      - name: conf
        type: file
        prompt: File
        default: conf/x.yaml
      - name: notes
        type: write
        prompt: Notes
        default: none
${report({ who: "{{ .steps.who.value }}", ok: "{{ .steps.ok.value }}", env: "{{ .steps.env.value }}", regions: '{{ join "," .steps.regions.values }}', conf: "{{ .steps.conf.value }}", notes: "{{ .steps.notes.value }}" })}`;

  test("each prompt takes its default unasked (Atmos): confirm no is false, a multi-filter default is split on commas, a file default is kept as written", async () => {
    const run = await muster(["workflow", "ask"], { cwd: project(everyType) });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("who=[anon] ok=[false] env=[dev] regions=[a,c] conf=[conf/x.yaml] notes=[none]");
  });

  test("--answer answers each type, checked against its options; a file answer becomes an absolute path", async () => {
    const dir = project(everyType, { "conf/y.yaml": "y: 1\n" });
    const run = await muster(["workflow", "ask", "--answer", "who=Ada", "--answer", "ok=y", "--answer=env=prod", "--answer", "regions=b,c", "--answer", "conf=conf/y.yaml", "--answer", "notes="], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`who=[Ada] ok=[true] env=[prod] regions=[b,c] conf=[${join(dir, "conf/y.yaml")}] notes=[]`);
  });

  test("an answer that cannot be right, or names no prompt step, stops the run before anything starts (exit 2)", async () => {
    const cases: Array<[string[], string]> = [
      [["--answer", "ok=maybe"], "--answer ok=maybe: expected yes or no"],
      [["--answer", "env=staging"], "--answer env=staging: expected one of: dev, prod"],
      [["--answer", "regions=a,z"], 'expected a comma-separated list of: a, b, c (not "z")'],
      [["--answer", "envv=dev"], '--answer envv=…: workflow "ask" has no step "envv"; did you mean "env"?'],
      [["--answer", "marker=x"], 'step "marker" is not a prompt'],
      [["--answer", "novalue"], "--answer \"novalue\": expected NAME=VALUE"],
    ];
    for (const [flags, message] of cases) {
      const dir = project(everyType);
      const run = await muster(["workflow", "ask", ...flags], { cwd: dir });
      expect({ flags, code: run.code }).toEqual({ flags, code: 2 });
      expect(run.stderr).toContain(message);
      expect(existsSync(join(dir, "started"))).toBe(false);
    }
  });

  test("a prompt with no default and no answer stops the run before anything starts, naming the steps and the flags that answer them", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: marker
        type: shell
        command: touch started
      - name: env
        type: choose
        prompt: Env
        options: [dev, prod]
      - name: ok
        type: confirm
        prompt: OK?
${report({ env: "{{ .steps.env.value }}" })}`);
    const run = await muster(["workflow", "ask"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('prompt steps with no default and no answer: "env" (choose), "ok" (confirm)');
    expect(run.stderr).toContain("Give --answer env=VALUE --answer ok=VALUE");
    expect(existsSync(join(dir, "started"))).toBe(false);
    const answered = await muster(["workflow", "ask", "--answer", "env=prod", "--answer", "ok=no"], { cwd: dir });
    expect(answered.code).toBe(0);
    expect(answered.stdout).toContain("env=[prod]");
    // Steps before --from-step are not asked.
    const later = await muster(["workflow", "ask", "--from-step", "report"], { cwd: dir });
    expect(later.stderr).not.toContain("no default and no answer");
    // A dry run previews instead of refusing: the prompt is reported as not asked, its value empty.
    rmSync(join(dir, "started"));
    const preview = await muster(["workflow", "ask", "--dry-run"], { cwd: dir });
    expect(preview.code).toBe(0);
    expect(preview.stderr).toContain("○ env not asked (dry run without a terminal): its value is empty");
    expect(existsSync(join(dir, "started"))).toBe(false);
  });

  test("a failed run's resume command repeats the answers, but never a password's", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: env
        type: choose
        prompt: Env
        options: [dev, prod]
      - name: pw
        type: input
        prompt: Password
        password: true
      - name: fails
        type: shell
        command: exit 3
`);
    // Without the journal the hint is a --from-step command, which must carry the answers itself.
    const run = await muster(["workflow", "ask", "--answer", "env=prod", "--answer", "pw=hunter2"], { cwd: dir, env: { MUSTER_NO_JOURNAL: "1" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("--answer env=prod --from-step fails");
    expect(run.stderr + run.stdout).not.toContain("hunter2");
  });

  test("prompts are refused inside parallel and matrix", async () => {
    const dir = project(`workflows:
  ask:
    steps:
      - name: group
        type: parallel
        steps:
          - name: env
            type: choose
            prompt: Env
            options: [dev]
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('step type "choose" is not allowed inside a parallel or matrix step');
  });

  test("!env and !exec in prompt fields are evaluated once at the start of the run; other Atmos tags load as text; an unknown tag is a positioned error", async () => {
    const yaml = `workflows:
  ask:
    steps:
      - name: stage
        type: input
        prompt: !env PROMPT_TEXT
        default: !env STAGE dev
      - name: region
        type: choose
        prompt: Region
        options:
          - !exec echo us-east-1
          - !exec printf '"eu-west-1"'
        default: !exec echo eu-west-1
      - name: literal
        type: input
        prompt: Output
        default: !terraform.output vpc vpc_id
${report({ stage: "{{ .steps.stage.value }}", region: "{{ .steps.region.value }}", literal: "{{ .steps.literal.value }}" })}`;
    const dir = project(yaml);
    const unset = await muster(["workflow", "ask"], { cwd: dir });
    expect(unset.code).toBe(0);
    expect(unset.stdout).toContain("stage=[dev] region=[eu-west-1] literal=[!terraform.output vpc vpc_id]");
    const set = await muster(["workflow", "ask", "--answer", "region=us-east-1"], { cwd: dir, env: { STAGE: "prod" } });
    expect(set.stdout).toContain("stage=[prod] region=[us-east-1]");
    // The prompt text itself comes from the environment on a terminal.
    const s = onTerminal(["workflow", "ask", "--answer", "region=us-east-1", "--answer", "literal=x"], { cwd: dir, env: { PROMPT_TEXT: "Stage from the environment" } });
    await s.waitFor("Stage from the environment (dev)");
    s.type(KEY.enter);
    expect(await s.exited).toBe(0);

    const list = project(`workflows:
  ask:
    steps:
      - name: region
        type: input
        prompt: Region
        default: !exec echo '["a","b"]'
`);
    const refused = await muster(["workflow", "ask"], { cwd: list });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`workflow "ask", step "region", default: !exec "echo '[\\"a\\",\\"b\\"]'" printed JSON list (expected one string for a prompt field)`);

    const unknown = project(`workflows:
  ask:
    steps:
      - name: region
        type: input
        prompt: Region
        default: !evn STAGE
`);
    const invalid = await muster(["validate"], { cwd: unknown });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("workflows.yaml:7:18: invalid YAML: unknown YAML tag !evn; did you mean !env?");
  });
});

describe("Atmos' interactive-workflows example", () => {
  /** A fresh copy of the example, in the suite's own temp dir. */
  const example = () => {
    const dir = dirs.make({});
    cpSync(join(repoRoot, "fixtures/atmos/examples/interactive-workflows"), dir, { recursive: true });
    return dir;
  };
  // Every workflow of the example, with the answers its prompts need without a terminal, and a line it must print.
  const runs: Array<[string, string[], string]> = [
    ["deploy", ["--answer", "select_environment=staging", "--answer", "confirm_prod=yes"], "- Environment: staging\n- Message: Routine deployment"],
    ["select-components", ["--answer", "components=vpc,eks,rds"], "Selected 3 component(s)"],
    ["select-config", ["--answer", "select_file=atmos.yaml"], "/atmos.yaml"],
    ["credentials", ["--answer", "username=admin", "--answer", "password=s3cret"], "Credentials collected for user: admin"],
    ["write-notes", ["--answer", "notes=Fixed the VPC"], "Fixed the VPC"],
    ["build", [], "Build completed successfully!"],
    ["show-environments", [], "us-west-2"],
    ["format-output", ["--answer", "select_regions=us-east-1,eu-west-1"], "Selected regions: us-east-1, eu-west-1"],
    ["full-deploy", ["--answer", "environment=prod", "--answer", "components=vpc,rds", "--answer", "notes=quarterly", "--answer", "confirm=yes"], "Deployment complete!"],
    ["readme", [], "Interactive Workflows README"],
    ["show-demo", [], "All steps completed!"],
    ["verbose-build", [], "Build pipeline complete!"],
    ["logging", [], "Logging demo complete!"],
    ["stage-demo", [], "Pipeline complete!"],
  ];

  test("validate accepts all 14 workflows", async () => {
    const run = await muster(["validate"], { cwd: example() });
    expect(run.stderr).toContain("14 workflows: valid");
    expect(run.code).toBe(0);
  });

  test.each(runs)("%s runs without a terminal, answered by --answer", async (name, answers, expected) => {
    const run = await muster(["workflow", name, "-f", "interactive", ...answers], { cwd: example(), env: { USER: "tester" } });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout + run.stderr).toContain(expected);
  });

  test("deploy runs interactively on a terminal", async () => {
    const s = onTerminal(["workflow", "deploy", "-f", "interactive"], { cwd: example() });
    await s.waitFor("Select the target environment");
    s.type(KEY.down, KEY.down, KEY.enter);
    await s.waitFor("You selected: prod");
    await s.waitFor("You selected PRODUCTION. Are you absolutely sure?");
    s.type("y");
    await s.waitFor("e.g., Fix for ticket JIRA-123");
    s.type("JIRA-7", KEY.enter);
    expect(await s.exited).toBe(0);
    expect(s.screen).toContain("- Environment: prod\n- Message: JIRA-7");
  });
});
