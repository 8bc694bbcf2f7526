/**
 * End-to-end: Atmos' output modes (`output: raw | log | viewport | none`,
 * step and workflow level), `viewport` settings and `show` merged from the
 * workflow into each step, on the compiled binary; `viewport` on a real
 * terminal (tmux: the screen as a person sees it) and without one.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { eventually, muster, musterBin, tempDir, writeFiles } from "./helpers.ts";

const tmp = tempDir("muster-output-modes-");
const socket = `muster-modes-${process.pid}`;
const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...args], { stdout: "pipe", stderr: "pipe" }).stdout.toString();
afterAll(() => {
  tmux("kill-server");
  tmp.cleanup();
});
let n = 0;
const project = (yaml: string) => {
  const dir = join(tmp.path, `p${++n}`);
  writeFiles(dir, { "workflows.yaml": yaml });
  return dir;
};

describe("output modes without a terminal", () => {
  test("none hides stdout and stderr, and the step's result still holds its output", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: quiet, type: shell, command: "echo hidden-out; echo hidden-err >&2", output: none }
      - { name: after, type: shell, command: "echo got {{ .steps.quiet.value }}" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("got hidden-out\n");
    expect(run.stderr.split("\n")).not.toContain("hidden-err");
    expect(run.stderr).toContain("✓ quiet in ");
  });

  test("log holds the output to the end: all of stdout, then all of stderr, before the step's end line", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: held, type: shell, command: "echo err-1 >&2; echo out-1; echo err-2 >&2; echo out-2", output: log }
`);
    const run = await muster(["workflow", "w", "--format", "text"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("out-1\nout-2\n");
    const stderr = run.stderr.split("\n");
    const start = stderr.findIndex((l) => l.startsWith("▸ held "));
    const end = stderr.findIndex((l) => l.startsWith("✓ held in "));
    expect(stderr.slice(start + 1, end)).toEqual(["err-1", "err-2"]);
  });

  test("log with a step that fails: its output, then the failure", async () => {
    const dir = project(`workflows:
  w:
    output: log
    steps:
      - { name: bad, type: shell, command: "echo before-fail; exit 3" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("before-fail\n");
    expect(run.stderr).toContain("✗ bad failed (exit code 3)");
  });

  test("raw streams as it comes (a line is out before the step ends), and is the default for shell", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: live, type: shell, command: "echo first-line; while [ ! -e release ]; do sleep 0.05; done; echo second-line", output: raw }
`);
    const { spawnMuster } = await import("./helpers.ts");
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    const reader = proc.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    // The step is still waiting for the release file: what came out is the first line, streamed.
    expect(first).toBe("first-line\n");
    writeFiles(dir, { release: "" });
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe("second-line\n");
    expect(await proc.exited).toBe(0);
  });

  test("the workflow's output is the default; a step's own output wins; script's default is log", async () => {
    const dir = project(`workflows:
  w:
    output: none
    steps:
      - { name: dropped, type: shell, command: "echo dropped-by-workflow" }
      - { name: shown, type: shell, command: "echo shown-by-step", output: raw }
      - { name: s, type: script, interpreter: sh, script: "echo script-out", output: log }
  plain:
    steps:
      - { name: s, type: script, interpreter: sh, script: "echo err-first >&2; echo script-out" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("shown-by-step\nscript-out\n");
    const plain = await muster(["workflow", "plain"], { cwd: dir });
    expect(plain.stdout).toBe("script-out\n");
    expect(plain.stderr).toMatch(/▸ s sh script \(1 lines\)\nerr-first\n✓ s in /);
  });

  test("describe says each step's written output mode (text and --json)", async () => {
    const dir = project(`workflows:
  w:
    output: log
    steps:
      - { name: a, type: shell, command: "true" }
      - { name: b, type: shell, command: "true", output: none }
`);
    const text = await muster(["describe", "w"], { cwd: dir });
    expect(text.stdout).toContain("1. a (shell, output log)\n");
    expect(text.stdout).toContain("2. b (shell, output none)\n");
    const json = JSON.parse((await muster(["describe", "w", "--json"], { cwd: dir })).stdout);
    expect(json.steps.map((s: { output?: string }) => s.output)).toEqual(["log", "none"]);
  });

  test("viewport without a terminal is log (the output printed when the step ends)", async () => {
    const dir = project(`workflows:
  w:
    viewport: { height: 2 }
    steps:
      - { name: view, type: shell, command: "for i in 1 2 3 4; do echo line-$i; done", output: viewport }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("line-1\nline-2\nline-3\nline-4\n");
  });

});

describe("show, merged from the workflow into each step", () => {
  test("labels: false at the workflow leaves out the steps' own lines; a step's labels: true brings its back", async () => {
    const dir = project(`workflows:
  w:
    show: { labels: false, header: true }
    description: Shows its header
    steps:
      - { name: unlabelled, type: shell, command: "echo one" }
      - { name: labelled, type: shell, command: "echo two", show: { labels: true } }
      - { name: failing, type: shell, command: "exit 4" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("one\ntwo\n");
    expect(run.stderr).toContain("# w\nShows its header\n");
    expect(run.stderr).not.toContain("unlabelled");
    expect(run.stderr).toContain("▸ labelled $ echo two\n");
    expect(run.stderr).toContain("✓ labelled in ");
    // A failure is always said.
    expect(run.stderr).toContain("✗ failing failed (exit code 4)");
  });

  test("count: true numbers the start lines [i/N] among all top-level steps; a step's count: false leaves its number out", async () => {
    const dir = project(`workflows:
  w:
    show: { count: true }
    steps:
      - { name: first, type: shell, command: "true" }
      - { name: second, type: shell, command: "true", show: { count: false } }
      - { name: third, type: sleep, duration: 1ms }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("▸ [1/3] first $ true\n");
    expect(run.stderr).toContain("▸ second $ true\n");
    expect(run.stderr).toMatch(/▸ \[3\/3\] third /);
    // --from-step keeps the numbers of the whole workflow.
    const from = await muster(["workflow", "w", "--from-step", "third"], { cwd: dir, env: { MUSTER_NO_JOURNAL: "1" } });
    expect(from.stderr).toMatch(/▸ \[3\/3\] third /);
  });

  test("validate: show, output and viewport on a step; output on a kind without output, and a bad mode, are refused at the field", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: ok, type: shell, command: "true", output: viewport, viewport: { height: 3, width: 40 }, show: { command: true, count: true } }
      - { name: pause, type: sleep, duration: 1s, show: { count: true } }
      - { name: wait, type: sleep, duration: 1s, output: log }
      - { name: odd, type: shell, command: "true", output: pager }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    const problems = run.stderr.split("\n").filter((l) => l.includes("workflows.yaml:"));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^workflows\.yaml:6:50: workflow "w", step "wait": unknown field "output"/);
    expect(problems[1]).toBe(`workflows.yaml:7:60: workflow "w", step "odd": field "output": got "pager" (expected one of: raw, log, viewport, none)`);
  });
});

describe("viewport on a terminal", () => {
  test("a bounded live region of the step's last lines while it runs; gone when it succeeds; its output printed when a viewport step fails", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: view
        type: shell
        output: viewport
        viewport: { height: 3 }
        command: "for i in 1 2 3 4 5 6; do echo view-line-$i; done; while [ ! -e release ]; do sleep 0.05; done"
      - { name: after, type: shell, command: "echo after-out" }
      - { name: broken, type: shell, output: viewport, command: "echo broken-out; exit 5" }
`);
    tmux("new-session", "-d", "-x", "80", "-y", "30", "-s", "view", `cd ${dir} && env -u NO_COLOR -u FORCE_COLOR ${musterBin} workflow w; echo EXIT=$?; sleep 600`);
    const screen = () => tmux("capture-pane", "-p", "-t", "view");
    // Handshake on the screen: the region shows the last three lines under the step's line.
    expect(await eventually(() => /│ view-line-6/.test(screen()), 20_000)).toBe(true);
    const live = screen().split("\n").filter((l) => l.includes("│ "));
    expect(live.map((l) => l.trim())).toEqual(["│ view-line-4", "│ view-line-5", "│ view-line-6"]);
    writeFiles(dir, { release: "" });
    expect(await eventually(() => screen().includes("EXIT=5"), 20_000)).toBe(true);
    const final = screen();
    expect(final).not.toMatch(/view-line-\d/);
    expect(final).not.toContain("│ ");
    expect(final).toContain("after-out");
    expect(final).toMatch(/▸ broken \$ echo broken-out; exit 5\nbroken-out\n✗ broken failed \(exit code 5\)/);
    tmux("kill-session", "-t", "view");
  });

  test("ATMOS_PAGER on makes viewport a script's default (its output is not left on screen); NO_PAGER, or a shell step, keeps it", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: s, type: script, interpreter: sh, script: "echo script-out" }
      - { name: sh, type: shell, command: "echo shell-out" }
`);
    const final = (session: string, env: string) => {
      tmux("new-session", "-d", "-x", "80", "-y", "30", "-s", session, `cd ${dir} && env -u NO_COLOR -u FORCE_COLOR ${env} ${musterBin} workflow w; echo EXIT=$?; sleep 600`);
      return eventually(() => tmux("capture-pane", "-p", "-t", session).includes("EXIT=0"), 20_000).then(() => {
        const screen = tmux("capture-pane", "-p", "-t", session);
        tmux("kill-session", "-t", session);
        return screen.split("\n").map((l) => l.trimEnd());
      });
    };
    const paged = await final("pager", "ATMOS_PAGER=true");
    expect(paged).not.toContain("script-out");
    expect(paged).toContain("shell-out");
    const unpaged = await final("nopager", "ATMOS_PAGER=true NO_PAGER=1");
    expect(unpaged).toContain("script-out");
  });
});

describe("a group's children", () => {
  test("output: none on a child hides its output in the group's block; log is the group's own way anyway", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: checks
        type: parallel
        steps:
          - { name: hushed, type: shell, command: "echo hushed-out", output: none }
          - { name: told, type: shell, command: "echo told-out", output: log }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("told-out\n");
    expect(run.stdout).not.toContain("hushed-out");
    expect(run.stderr).toContain("[hushed] succeeded");
  });
});

describe("on other kinds with output", () => {
  test("atmos: log holds the command's output to the end; none hides it", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: held, command: "terraform plan vpc", output: log }
      - { name: hushed, command: "terraform apply vpc", output: none }
`);
    writeFiles(dir, { "bin/atmos": `#!/bin/sh\necho "atmos-out $*"; echo "atmos-err $1" >&2\n` });
    const { chmodSync } = await import("node:fs");
    chmodSync(join(dir, "bin/atmos"), 0o755);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { ATMOS_BIN: join(dir, "bin/atmos") } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("atmos-out terraform plan vpc\n");
    expect(run.stderr).toMatch(/▸ held .*\natmos-err terraform\n✓ held in /);
    expect(run.stderr).not.toContain("atmos-err terraform\n✓ hushed");
  });

  test("container (Docker): a foreground container's output with none is hidden, with log printed at its end", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: hushed, type: container, output: none, with: { image: "muster-test/busybox:1", command: "echo container-hidden" } }
      - { name: held, type: container, output: log, with: { image: "muster-test/busybox:1", command: "echo container-shown" } }
`);
    const run = await muster(["workflow", "w"], { cwd: dir, timeoutMs: 90_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toBe("container-shown\n");
  }, 120_000);
});
