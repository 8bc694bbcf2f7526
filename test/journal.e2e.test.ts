/**
 * End-to-end on the compiled binary: the run journal and `--resume`. A run
 * whose second step fails is resumed once the cause is fixed, with the
 * first step's stored result and without running it again; a changed
 * earlier step runs again; an interrupted run resumes too; masked values
 * are never in the journal in clear; `muster runs` lists and shows runs.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { KEY, PtySession } from "./pty.ts";
import { muster, processesMatching, projectDirs, spawnMuster, tagged, watch, writeFiles } from "./helpers.ts";

const dirs = projectDirs("muster-journal-");
let n = 0;
/** A project with `workflows.yaml`, and a journal of its own. */
function project(yaml: string): { dir: string; env: Record<string, string>; journal: string } {
  const dir = dirs.make({ "workflows.yaml": yaml });
  const journal = join(dirs.root, `journal-${++n}`);
  return { dir, journal, env: { MUSTER_JOURNAL_DIR: journal } };
}

const RUN_ID = /--resume=(\d{8}-\d{6}-[0-9a-f]{4})\n/;

const TWO = `workflows:
  two:
    steps:
      - name: first
        type: shell
        command: 'echo ran >> first.log; echo "value-$$"'
      - name: second
        type: shell
        command: '[ -e fixed ] || exit 5; echo "second saw {{ .steps.first.value }}"'
`;

describe("--resume", () => {
  test("a run whose second step failed resumes there once fixed: the first step does not run again, its stored value is there", async () => {
    const { dir, env } = project(TWO);
    const first = await muster(["workflow", "two"], { cwd: dir, env });
    expect(first.code).toBe(5);
    const value = /value-\d+/.exec(first.stdout)![0];
    const id = RUN_ID.exec(first.stderr)![1]!;
    expect(first.stderr).toContain(`  resume with: muster workflow two -f workflows.yaml --resume=${id}\n`);

    const listed = await muster(["runs"], { cwd: dir, env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^RUN +STATUS +WORKFLOW +STARTED \\(UTC\\) +TOOK +NOTE\\n${id}  failed +two +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +\\S+ +at step "second"\\n$`));

    writeFiles(dir, { fixed: "" });
    const resumed = await muster(["workflow", "two", "--resume"], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`second saw ${value}\n`);
    expect(resumed.stderr).toContain(`resuming run ${id} at step "second"; stored results of "first"`);
    expect(resumed.stderr).not.toContain("▸ first");
    expect(readFileSync(join(dir, "first.log"), "utf8")).toBe("ran\n");

    const after = await muster(["runs"], { cwd: dir, env });
    expect(after.stdout).toContain(`${id}  succeeded  two`);
    expect(after.stdout).toContain("resumed 1×");
    const shown = await muster(["runs", "show", id.slice(0, 17)], { cwd: dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`run ${id}  succeeded (exit 0)`);
    expect(shown.stdout).toContain(`resumed   `);
    expect(shown.stdout).toContain(`✓ first succeeded in `);
    expect(shown.stdout).toContain(`    .steps.first.value = "${value}"\n`);
    expect(shown.stdout).toContain(`✓ second succeeded in `);
    // Nothing is left to resume now.
    const again = await muster(["workflow", "two", `--resume=${id}`], { cwd: dir, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--resume: run ${id} succeeded; nothing is left to resume`);
  });

  test("an earlier step whose definition changed since is detected and runs again, with every step after it", async () => {
    const { dir, env } = project(TWO);
    const first = await muster(["workflow", "two"], { cwd: dir, env });
    expect(first.code).toBe(5);
    const id = RUN_ID.exec(first.stderr)![1]!;
    writeFiles(dir, { "workflows.yaml": TWO.replace('echo "value-$$"', () => 'echo "changed-$$"'), fixed: "" });
    const resumed = await muster(["workflow", "two", "--resume"], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`step "first" changed since run ${id}: it runs again, with every step after it`);
    expect(resumed.stdout).toMatch(/^changed-(\d+)\nsecond saw changed-\1\n$/);
    expect(readFileSync(join(dir, "first.log"), "utf8")).toBe("ran\nran\n");
  });

  test("a run stopped by SIGTERM is interrupted, says how to resume, and resumes at the step it stopped", async () => {
    const { dir, env } = project(`workflows:
  slow:
    steps:
      - { name: first, type: shell, command: 'echo ran >> first.log; echo "value-$$"' }
      - { name: wait, type: shell, command: '[ -e fixed ] || exec sleep ${tagged(300)}; echo "wait saw {{ .steps.first.value }}"' }
`);
    const proc = spawnMuster(["workflow", "slow"], { cwd: dir, env });
    const err = watch(proc.stderr);
    const out = watch(proc.stdout);
    expect(await err.waitFor("▸ wait")).toBe(true);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    await Promise.all([err.done, out.done]);
    const id = RUN_ID.exec(err.text)![1]!;
    expect(err.text).toContain(`  resume with: muster workflow slow -f workflows.yaml --resume=${id}\n`);
    expect((await muster(["runs"], { cwd: dir, env })).stdout).toContain(`${id}  interrupted  slow`);
    writeFiles(dir, { fixed: "" });
    const resumed = await muster(["workflow", "slow", "--resume"], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`wait saw ${/value-\d+/.exec(out.text)![0]}\n`);
    expect(readFileSync(join(dir, "first.log"), "utf8")).toBe("ran\n");
  });

  test("a muster killed with SIGKILL leaves a run that reads as interrupted, and resumes", async () => {
    const { dir, env } = project(`workflows:
  killed:
    steps:
      - { name: first, type: shell, command: 'echo ran >> first.log; echo "value-$$"' }
      - { name: wait, type: shell, command: '[ -e fixed ] || exec sleep ${tagged(301)}; echo "wait saw {{ .steps.first.value }}"' }
`);
    const proc = spawnMuster(["workflow", "killed"], { cwd: dir, env });
    const err = watch(proc.stderr);
    const out = watch(proc.stdout);
    expect(await err.waitFor("▸ wait")).toBe(true);
    proc.kill("SIGKILL");
    await proc.exited;
    await Promise.all([err.done, out.done]);
    // The step's sleep may outlive a SIGKILLed muster for a moment: it is not what this test is about.
    for (const line of await processesMatching(`sleep ${tagged(301)}`)) process.kill(Number(line.trim().split(/\s+/)[0]), "SIGKILL");
    const listed = await muster(["runs"], { cwd: dir, env });
    expect(listed.stdout).toMatch(/\n\d{8}-\d{6}-[0-9a-f]{4}  interrupted  killed /);
    writeFiles(dir, { fixed: "" });
    const resumed = await muster(["workflow", "killed", "--resume"], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`wait saw ${/value-\d+/.exec(out.text)![0]}\n`);
    expect(readFileSync(join(dir, "first.log"), "utf8")).toBe("ran\n");
  });

  test("a run started with --from-step resumes where it failed, not at the steps it skipped", async () => {
    const { dir, env } = project(`workflows:
  three:
    steps:
      - { name: zero, type: shell, command: 'echo zero >> ran.log' }
      - { name: one, type: shell, command: 'echo one >> ran.log' }
      - { name: two, type: shell, command: '[ -e fixed ] || exit 6; echo two >> ran.log' }
`);
    const first = await muster(["workflow", "three", "--from-step", "one"], { cwd: dir, env });
    expect(first.code).toBe(6);
    writeFiles(dir, { fixed: "" });
    const resumed = await muster(["workflow", "three", "--resume"], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, "ran.log"), "utf8")).toBe("one\ntwo\n");
  });

  test("what cannot be resumed is refused before anything runs", async () => {
    const { dir, env } = project(TWO);
    const none = await muster(["workflow", "two", "--resume"], { cwd: dir, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--resume: no failed or interrupted run of workflow "two" in this project (${dir}) in the journal; muster runs lists the runs`);
    const first = await muster(["workflow", "two", "--var", "region=eu"], { cwd: dir, env });
    expect(first.code).toBe(5);
    const both = await muster(["workflow", "two", "--resume", "--from-step", "second"], { cwd: dir, env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--resume and --from-step: give one");
    const changed = await muster(["workflow", "two", "--resume", "--var", "region=us"], { cwd: dir, env });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("--resume: --var region=us differs from run");
    expect(readFileSync(join(dir, "first.log"), "utf8")).toBe("ran\n");
    const unknown = await muster(["workflow", "two", "--resume=20990101-000000-0000"], { cwd: dir, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--resume=20990101-000000-0000: no such run in the journal");
  });
});

describe("the journal", () => {
  const SECRET = "hunter2-Pa55word";
  const TOKEN = "ghp_journaltest0123456789";
  const yaml = `workflows:
  secret:
    steps:
      - { name: pw, type: input, prompt: Password, password: true }
      - { name: use, type: shell, command: 'echo "using {{ .steps.pw.value }} and $GITHUB_TOKEN"' }
      - { name: plain, type: shell, command: 'echo plain-value' }
      - { name: deploy, type: shell, command: '[ -e fixed ] || exit 3; echo "deploy with {{ .steps.pw.value }}, {{ .steps.plain.value }}, {{ .steps.use.value }}"' }
`;

  test("is private (0700, 0600), never holds a masked value in clear, and asks for a password again to resume", async () => {
    const { dir, env, journal } = project(yaml);
    const withToken = { ...env, GITHUB_TOKEN: TOKEN };
    const first = await muster(["workflow", "secret", "--answer", `pw=${SECRET}`], { cwd: dir, env: withToken });
    expect(first.code).toBe(3);
    expect(first.stdout).toContain(`using ${SECRET} and ${TOKEN}`);
    const id = RUN_ID.exec(first.stderr)![1]!;
    expect(first.stderr + first.stdout).not.toContain(`pw=${SECRET}`);
    expect(statSync(journal).mode & 0o777).toBe(0o700);
    const files = readdirSync(journal);
    expect(files).toContain(`${id}.jsonl`);
    for (const name of files) {
      expect({ name, mode: (statSync(join(journal, name)).mode & 0o777).toString(8) }).toEqual({ name, mode: "600" });
      const text = readFileSync(join(journal, name), "utf8");
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(TOKEN);
    }
    const record = (await muster(["runs", "show", id, "--json"], { cwd: dir, env })).stdout;
    const parsed = JSON.parse(record);
    expect(parsed.answers).toEqual({ pw: "[masked]" });
    expect(parsed.steps.find((s: { name: string }) => s.name === "plain").steps.plain.value).toBe("plain-value");
    const shown = await muster(["runs", "show", id], { cwd: dir, env });
    expect(shown.stdout).toContain("answer    pw=[masked]");
    expect(shown.stdout).toContain(`    .steps.use.value = "using [masked] and [masked]"`);
    expect(shown.stdout).not.toContain(SECRET);

    writeFiles(dir, { fixed: "" });
    // deploy reads the password, which the journal does not keep: without a terminal it must be given again.
    const refused = await muster(["workflow", "secret", "--resume"], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--resume: step "deploy" reads .steps.pw, the answer of password prompt "pw", which the journal does not keep; give it again with --answer pw=VALUE`);
    const resumed = await muster(["workflow", "secret", "--resume", "--answer", `pw=${SECRET}`], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    // deploy also reads use's result, which held masked values: use runs again (and plain after it), pw does not.
    expect(resumed.stderr).toContain('step "deploy" reads .steps.use, which held a masked value and was not kept: step "use" runs again');
    expect(resumed.stderr).not.toContain("▸ pw");
    expect(resumed.stdout).toBe(`using ${SECRET} and \nplain-value\ndeploy with ${SECRET}, plain-value, using ${SECRET} and\n`);
    for (const name of readdirSync(journal)) expect(readFileSync(join(journal, name), "utf8")).not.toContain(SECRET);
  });

  test("on a terminal, a resumed run asks again for the password the journal did not keep, and only that", async () => {
    const { dir, env, journal } = project(yaml);
    const first = await muster(["workflow", "secret", "--answer", `pw=${SECRET}`], { cwd: dir, env });
    expect(first.code).toBe(3);
    writeFiles(dir, { fixed: "" });
    const s = new PtySession(["workflow", "secret", "--resume"], { cwd: dir, env });
    try {
      await s.waitFor("Password");
      s.type(SECRET, KEY.enter);
      expect(await s.exited).toBe(0);
      expect(s.screen).toContain(`deploy with ${SECRET}, plain-value, using ${SECRET} and`);
      expect(s.screen.match(/\? Password/g)?.length).toBe(1);
      expect(s.raw).not.toContain(`Password · ${SECRET}`);
    } finally {
      await s.close();
    }
    for (const name of readdirSync(journal)) expect(readFileSync(join(journal, name), "utf8")).not.toContain(SECRET);
  });

  test("a failure in CI offers --resume on its failure line", async () => {
    const { dir, env } = project(TWO);
    const run = await muster(["workflow", "two"], { cwd: dir, env: { ...env, GITHUB_ACTIONS: "true", CI: "true" } });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/✗ workflow two failed at step "second" \(exit 5\) after \S+\n {2}resume with: muster workflow two -f workflows\.yaml --resume=\d{8}-\d{6}-[0-9a-f]{4}\n/);
  });

  test("the record is written while the first step runs, whether or not that step starts a process", async () => {
    // Each step waits (a bounded poll) for the record while it runs and prints its start: the first
    // step's process, and a step after a first step that spawns nothing (sleep).
    const look = (name: string) => `{ name: ${name}, type: shell, command: 'for i in $(seq 500); do [ -s "$MUSTER_JOURNAL_DIR"/*.jsonl ] && break; sleep 0.01; done; head -n 1 "$MUSTER_JOURNAL_DIR"/*.jsonl' }`;
    for (const [workflow, steps] of [["spawns", [look("first")]], ["sleeps", ["{ name: nap, type: sleep, duration: 50ms }", look("second")]]] as const) {
      const { dir, env } = project(`workflows:\n  ${workflow}:\n    steps:\n${steps.map((s) => `      - ${s}\n`).join("")}`);
      const run = await muster(["workflow", workflow], { cwd: dir, env });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^\\{"t":"start","v":1,"id":"\\d{8}-\\d{6}-[0-9a-f]{4}","status":"running",.*"workflow":"${workflow}"`));
    }
  });

  test("a run's start prunes the journal at most once an hour (its .pruned file says when); muster prune prunes at once", async () => {
    const { dir, env, journal } = project(TWO);
    await muster(["workflow", "two"], { cwd: dir, env });
    const stamp = statSync(join(journal, ".pruned")).mtimeMs;
    // Within the hour a second run does not list the journal again: the stamp stays as it was.
    await muster(["workflow", "two"], { cwd: dir, env });
    expect(statSync(join(journal, ".pruned")).mtimeMs).toBe(stamp);
    expect(readdirSync(journal).filter((f) => f.endsWith(".jsonl")).length).toBe(2);
  });

  test("MUSTER_NO_JOURNAL=1 records nothing; prune removes the runs past MUSTER_JOURNAL_RETENTION", async () => {
    const { dir, env, journal } = project(TWO);
    const off = await muster(["workflow", "two"], { cwd: dir, env: { ...env, MUSTER_NO_JOURNAL: "1" } });
    expect(off.stderr).toContain("resume with: muster workflow two -f workflows.yaml --from-step first\n");
    expect(() => readdirSync(journal)).toThrow();
    await muster(["workflow", "two"], { cwd: dir, env });
    expect(readdirSync(journal).filter((f) => f.endsWith(".jsonl")).length).toBe(1);
    // No engine to reach: the journal is pruned all the same, before the containers are looked for.
    const pruned = await muster(["prune"], { cwd: dir, env: { ...env, MUSTER_JOURNAL_RETENTION: "1ms", DOCKER_HOST: `unix://${join(dir, "no-engine.sock")}` } });
    expect(pruned.stderr).toContain(`1 run removed from the journal (${journal})`);
    expect(readdirSync(journal).filter((f) => f.endsWith(".jsonl"))).toEqual([]);
    const listed = await muster(["runs"], { cwd: dir, env });
    expect(listed.stderr).toContain("no runs of this project");
  });
});
