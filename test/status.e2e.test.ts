/**
 * End-to-end: the live status display, checked through a real pseudo-
 * terminal (tmux: the screen as a person sees it), and heartbeats without one.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { eventually, muster, musterBin, tempDir, writeFiles } from "./helpers.ts";

const tmp = tempDir();
const socket = `muster-status-${process.pid}`;
const tmux = (...args: string[]) => {
  const proc = Bun.spawnSync(["tmux", "-L", socket, ...args], { stdout: "pipe", stderr: "pipe" });
  return proc.stdout.toString();
};
afterAll(() => {
  tmux("kill-server");
  tmp.cleanup();
});

const WORKFLOW = `workflows:
  w:
    steps:
      - { name: first, type: shell, command: "echo hello" }
      - name: checks
        type: parallel
        steps:
          - { name: quick, type: shell, command: "echo quick-out" }
          - { name: slowpoke, type: shell, command: "while [ ! -e release ]; do sleep 0.05; done; echo slow-out" }
      - { name: last, type: shell, command: "echo bye" }
`;

describe("on a terminal", () => {
  test("the running child's name and elapsed time are shown live; the final screen keeps no status line", async () => {
    const dir = join(tmp.path, "tty");
    writeFiles(dir, { "workflows.yaml": WORKFLOW });
    tmux("new-session", "-d", "-x", "80", "-y", "30", "-s", "run", `cd ${dir} && env -u NO_COLOR -u FORCE_COLOR ${musterBin} workflow w; echo EXIT=$?; sleep 600`);
    const screen = () => tmux("capture-pane", "-p", "-t", "run");
    // Handshake on the screen itself: the status line names the child that is still running, with its elapsed time.
    expect(await eventually(() => /⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/.test(screen()) && /checks \/ slowpoke \d+(\.\d)?m?s/.test(screen()), 20_000)).toBe(true);
    expect(screen()).toContain("[quick] succeeded");
    writeFiles(dir, { release: "" });
    expect(await eventually(() => screen().includes("EXIT=0"), 20_000)).toBe(true);
    const final = screen();
    expect(final).not.toMatch(/⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/);
    expect(final).not.toContain("checks / slowpoke");
    const lines = final.split("\n").map((l) => l.trimEnd()).filter(Boolean);
    expect(lines.slice(0, 4)).toEqual(["▸ first $ echo hello", "hello", "✓ first in " + lines[2]!.slice("✓ first in ".length), "▸ checks parallel: 2 children, wait_all, grouped"]);
    expect(lines).toContain("slow-out");
    expect(lines.at(-1)).toBe("EXIT=0");
    tmux("kill-session", "-t", "run");
  });
});

const SPINNERS = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const LONG_NAME = "compile-every-service-of-the-platform";
const LONG_WORKFLOW = `workflows:
  w:
    steps:
      - name: a-group-with-a-rather-long-name-of-its-own
        type: parallel
        steps:
          - name: ${LONG_NAME}
            type: shell
            command: "echo 'building the first of many artifacts with a long line that goes on past the edge of the screen'; while [ ! -e release ]; do sleep 0.05; done; echo built"
`;

describe("on a terminal, keys typed while steps run", () => {
  /** A run of LONG_WORKFLOW in an 80-column tmux pane, and its screen. */
  function start(name: string) {
    const dir = join(tmp.path, name);
    writeFiles(dir, { "workflows.yaml": LONG_WORKFLOW });
    tmux("new-session", "-d", "-x", "80", "-y", "30", "-s", name, `cd ${dir} && env -u NO_COLOR -u FORCE_COLOR ${musterBin} workflow w; echo EXIT=$?; stty -a | grep -o -- ' -*echo '; sleep 600`);
    return { dir, screen: () => tmux("capture-pane", "-p", "-t", name) };
  }

  test("are not echoed into the live region; at 80 columns it keeps the step's name and its last line (cut with …); echo is back after the run", async () => {
    const { dir, screen } = start("typing");
    const regionLine = () => screen().split("\n").find((l) => SPINNERS.test(l) && l.includes(LONG_NAME));
    // Handshake: the region shows the child with its last output line.
    expect(await eventually(() => regionLine()?.includes("building the first") === true, 20_000)).toBe(true);
    tmux("send-keys", "-t", "typing", "-l", "zzqx typed while running");
    tmux("send-keys", "-t", "typing", "Enter");
    tmux("send-keys", "-t", "typing", "-l", "more keys");
    // The region is redrawn on its next tick (every 250 ms): wait for a redraw with a new elapsed time, then look.
    const before = regionLine();
    expect(await eventually(() => regionLine() !== undefined && regionLine() !== before, 20_000)).toBe(true);
    const line = regionLine()!.trimEnd();
    expect(line.length).toBeLessThanOrEqual(79);
    expect(line).toMatch(new RegExp(`^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] …[a-z-]* / ${LONG_NAME} \\d+(\\.\\d)?m?s  building the first of [a-z ]*…$`));
    expect(screen()).not.toContain("zzqx");
    expect(screen()).not.toContain("more keys");
    writeFiles(dir, { release: "" });
    expect(await eventually(() => screen().includes("EXIT=0"), 20_000)).toBe(true);
    expect(screen()).not.toContain("zzqx");
    expect(screen()).not.toMatch(SPINNERS);
    // Echo is the terminal's again: keys typed now show.
    expect(screen()).toContain("EXIT=0\n echo\n");
    tmux("send-keys", "-t", "typing", "-l", "echo-is-back");
    expect(await eventually(() => screen().includes("echo-is-back"), 20_000)).toBe(true);
    tmux("kill-session", "-t", "typing");
  }, 30_000);

  test("a step after the region that reads the terminal gets its keys echoed", async () => {
    const dir = join(tmp.path, "asking");
    writeFiles(dir, { "workflows.yaml": LONG_WORKFLOW + `      - { name: ask, type: shell, command: "touch asking; read answer; echo \\"got $answer\\"" }\n` });
    tmux("new-session", "-d", "-x", "80", "-y", "30", "-s", "asking", `cd ${dir} && env -u NO_COLOR -u FORCE_COLOR ${musterBin} workflow w; echo EXIT=$?; sleep 600`);
    const screen = () => tmux("capture-pane", "-p", "-t", "asking");
    expect(await eventually(() => screen().split("\n").some((l) => SPINNERS.test(l) && l.includes(LONG_NAME)), 20_000)).toBe(true);
    writeFiles(dir, { release: "" });
    // Handshake: the step has started (its file) before the keys are typed.
    expect(await eventually(() => existsSync(join(dir, "asking")), 20_000)).toBe(true);
    tmux("send-keys", "-t", "asking", "-l", "typed-answer");
    tmux("send-keys", "-t", "asking", "Enter");
    expect(await eventually(() => screen().includes("EXIT=0"), 20_000)).toBe(true);
    const lines = screen().split("\n").map((l) => l.trimEnd());
    expect(lines).toContain("typed-answer");
    expect(lines).toContain("got typed-answer");
    tmux("kill-session", "-t", "asking");
  }, 30_000);

  test("Ctrl-C gives the terminal its echo back", async () => {
    const { screen } = start("interrupt");
    expect(await eventually(() => screen().split("\n").some((l) => SPINNERS.test(l) && l.includes(LONG_NAME)), 20_000)).toBe(true);
    tmux("send-keys", "-t", "interrupt", "-l", "zzqx");
    tmux("send-keys", "-t", "interrupt", "C-c");
    expect(await eventually(() => screen().includes("EXIT=130"), 20_000)).toBe(true);
    expect(screen()).not.toContain("zzqx");
    expect(await eventually(() => screen().includes("EXIT=130\n echo\n"), 20_000)).toBe(true);
    tmux("send-keys", "-t", "interrupt", "-l", "echo-is-back");
    expect(await eventually(() => screen().includes("echo-is-back"), 20_000)).toBe(true);
    tmux("kill-session", "-t", "interrupt");
  }, 30_000);
});

describe("without a terminal", () => {
  test("a heartbeat names what is still running after a silence (MUSTER_HEARTBEAT)", async () => {
    const dir = join(tmp.path, "pipe");
    writeFiles(dir, { "workflows.yaml": WORKFLOW.replace("while [ ! -e release ]; do sleep 0.05; done", "while ! grep -q 'still running' ../heard 2>/dev/null; do sleep 0.05; done") });
    // The child waits until muster's heartbeat has been seen (written by the test's reader below): no sleeps, no clock.
    const proc = Bun.spawn([musterBin, "workflow", "w"], { cwd: dir, env: { ...process.env, MUSTER_HEARTBEAT: "300ms" }, stdout: "pipe", stderr: "pipe" });
    let stderr = "";
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      stderr += decoder.decode(value, { stream: true });
      if (stderr.includes("still running")) await Bun.write(join(tmp.path, "heard"), stderr);
    }
    expect(await proc.exited).toBe(0);
    expect(stderr).toMatch(/^still running: checks \(\S+\), checks \/ slowpoke \(\S+\)$/m);
    expect(stderr).not.toMatch(/\x1b\[/);
  });

  test("prefixed mode says when each child finishes, successes included", async () => {
    const dir = join(tmp.path, "prefixed");
    writeFiles(dir, { "workflows.yaml": `workflows:\n  w:\n    steps:\n      - name: g\n        type: parallel\n        output: prefixed\n        steps:\n          - { name: a, type: shell, command: "echo a-out" }\n` });
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("[a] a-out\n");
    expect(run.stderr).toMatch(/^\[a\] succeeded in \S+$/m);
  });
});
