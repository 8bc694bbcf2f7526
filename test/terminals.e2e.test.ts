/**
 * End-to-end: `tty: true` and `interactive: true` on shell and container
 * `run` steps, on the compiled binary. Each is driven twice: with muster on
 * a real pseudo-terminal (test/pty.ts; muster made its controlling
 * terminal, so a typed Ctrl-C is a SIGINT as on any terminal) and with
 * muster's stdin and stdout pipes. Containers attach against the real
 * engine (scripts/setup-docker.sh imports muster-test/busybox:1).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { muster, musterBin, repoRoot, tempDir, watch, writeFiles, baseEnv } from "./helpers.ts";
import { KEY, PtySession } from "./pty.ts";

const IMAGE = "muster-test/busybox:1";
const tmp = tempDir();
const sessions: PtySession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.close();
  tmp.cleanup();
});

// Markers are printed computed ($((…))): the start line shows the command, and must not match them.
// A trap that says so, then waits for the next line: the handshakes of the Ctrl-C tests.
const TRAPPER = `trap 'echo caught-$((1+2)); touch int' INT; echo ready-$((40+2)); until [ -e int ]; do sleep 0.05; done; echo reading-$((2+2)); read x; echo "got=$x"`;
// The TTY is 0x0 until an engine before API 1.42 sizes it, just after the start.
const SIZE = `until s=$(stty size 2>/dev/null) && [ -n "$s" ] && [ "$s" != "0 0" ]; do sleep 0.05; done; echo "size=$s"`;
// Says the new size once the terminal is resized, and ends (after the first size came: an older engine sets it after the start).
const ON_RESIZE = `until s=$(stty size 2>/dev/null) && [ -n "$s" ] && [ "$s" != "0 0" ]; do sleep 0.05; done; trap 'echo "resized=$(stty size)"; exit 0' WINCH; echo ready-$((40+2)); while :; do sleep 0.05; done`;
const AFTER = `{ name: after, type: shell, command: "echo after-$((3*3))" }`;

const WORKFLOWS = `workflows:
  tty:
    steps:
      - { name: term, type: shell, tty: true, command: 'test -t 0 && test -t 1 && test -t 2 && echo "on $(tty)"; echo "size=$(stty size)"' }
  resize:
    steps:
      - { name: term, type: shell, tty: true, command: ${JSON.stringify(ON_RESIZE)} }
  container-resize:
    steps:
      - { name: box, type: container, tty: true, with: { image: ${IMAGE}, pull: never, command: ${JSON.stringify(ON_RESIZE)} } }
  interactive:
    steps:
      - { name: ask, type: shell, interactive: true, command: ${JSON.stringify(TRAPPER)} }
      - ${AFTER}
  both:
    steps:
      - { name: ask, type: shell, tty: true, interactive: true, command: ${JSON.stringify(`${TRAPPER}; test -t 0 && echo stdin-tty-$((2*3))`)} }
      - ${AFTER}
  container-tty:
    steps:
      - { name: box, type: container, tty: true, with: { image: ${IMAGE}, pull: never, command: ${JSON.stringify(`test -t 1 && echo tty-$((6*7)); ${SIZE}`)} } }
  container-interactive:
    steps:
      - { name: box, type: container, interactive: true, with: { image: ${IMAGE}, pull: never, command: 'echo ready-$((40+2)); read x; echo "got=$x"; test -t 0 || echo stdin-pipe-$((1+1))' } }
  container-both:
    steps:
      - { name: box, type: container, tty: true, interactive: true, with: { image: ${IMAGE}, pull: never, command: ${JSON.stringify(`${TRAPPER}; ${SIZE}`)} } }
      - ${AFTER}
`;

/** A project with WORKFLOWS in its own directory. */
function project(name: string): string {
  const dir = join(tmp.path, name);
  writeFiles(dir, { "workflows.yaml": WORKFLOWS });
  return dir;
}

/** muster on a real pseudo-terminal (100x30), as its controlling terminal: Ctrl-C typed is SIGINT to muster. */
function onTerminal(args: string[], cwd: string): PtySession {
  // A session leader acquires the first terminal it opens: setsid, then stdin opened again.
  const command = ["setsid", "sh", "-c", 'exec 0<>/proc/self/fd/0; exec "$@"', "sh", musterBin];
  const session = new PtySession(args, { cwd, command, cols: 100 });
  sessions.push(session);
  return session;
}

/** muster with stdin and stdout pipes. */
function piped(args: string[], cwd: string) {
  const proc = Bun.spawn([musterBin, ...args], { cwd, env: baseEnv(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  return { proc, out: watch(proc.stdout), err: watch(proc.stderr) };
}

setDefaultTimeout(60_000);

describe("tty: true on a shell step", () => {
  test("with muster on a terminal, the command has a terminal of its own, sized as muster's", async () => {
    const session = onTerminal(["workflow", "tty"], project("tty-pty"));
    await session.waitFor(/on \/dev\/pts\/\d+/);
    await session.waitFor("size=30 100");
    expect(await session.exited).toBe(0);
  });

  test("resizing muster's terminal resizes the command's (SIGWINCH)", async () => {
    const session = onTerminal(["workflow", "resize"], project("resize-pty"));
    await session.waitFor("ready-42");
    session.resize(120, 40);
    await session.waitFor("resized=40 120");
    expect(await session.exited).toBe(0);
  });

  test("with muster's stdin and stdout pipes, the command still has a terminal (80x24)", async () => {
    const run = await muster(["workflow", "tty"], { cwd: project("tty-pipe") });
    expect(run.stdout).toMatch(/on \/dev\/pts\/\d+/);
    expect(run.stdout).toContain("size=24 80");
    expect(run.code).toBe(0);
  });

  test("an atmos step with tty runs atmos on a terminal of its own, with its stack", async () => {
    const dir = project("atmos-tty");
    // A stand-in for atmos: says whether it is on a terminal, and its arguments.
    writeFiles(dir, { "fake-atmos": `#!/bin/sh\ntest -t 1 && echo "atmos on a terminal: $*"\n` });
    chmodSync(join(dir, "fake-atmos"), 0o755);
    writeFiles(dir, { "plan.yaml": `workflows:\n  plan:\n    steps:\n      - { name: plan, tty: true, stack: dev, command: terraform plan vpc }\n` });
    const run = await muster(["workflow", "plan", "-f", "plan.yaml"], { cwd: dir, env: { ATMOS_BIN: join(dir, "fake-atmos") } });
    expect(run.stdout).toContain("atmos on a terminal: terraform plan vpc -s dev");
    expect(run.code).toBe(0);
  });
});

describe("interactive: true on a shell step", () => {
  test("on a terminal: Ctrl-C reaches the step (it traps it) and the run goes on; a typed line is read", async () => {
    const session = onTerminal(["workflow", "interactive"], project("interactive-pty"));
    await session.waitFor("ready-42");
    session.type(KEY.ctrlC);
    await session.waitFor("caught-3");
    await session.waitFor("reading-4");
    session.type("hello", KEY.enter);
    await session.waitFor("got=hello");
    await session.waitFor("after-9");
    expect(await session.exited).toBe(0);
    expect(session.screen).not.toContain("stopping");
  });

  test("through a pipe: a SIGINT to muster goes to the step, the run goes on, and the line piped in is read", async () => {
    const { proc, out, err } = piped(["workflow", "interactive"], project("interactive-pipe"));
    expect(await out.waitFor("ready-42")).toBe(true);
    proc.kill("SIGINT");
    expect(await out.waitFor("reading-4")).toBe(true);
    proc.stdin.write("hello\n");
    await proc.stdin.end();
    expect(await proc.exited).toBe(0);
    await out.done;
    await err.done;
    expect(out.text).toContain("caught-3");
    expect(out.text).toContain("got=hello");
    expect(out.text).toContain("after-9");
    expect(err.text).not.toContain("SIGINT: stopping");
  });

  test("with tty on a terminal: keys (Ctrl-C as a byte, in raw mode) reach the step's own terminal", async () => {
    const session = onTerminal(["workflow", "both"], project("both-pty"));
    await session.waitFor("ready-42");
    session.type(KEY.ctrlC);
    await session.waitFor("caught-3");
    await session.waitFor("reading-4");
    session.type("hello", KEY.enter);
    await session.waitFor("got=hello");
    await session.waitFor("stdin-tty-6");
    await session.waitFor("after-9");
    expect(await session.exited).toBe(0);
  });

  test("with tty through a pipe: the piped line reaches the step's terminal, a SIGINT to muster reaches the step", async () => {
    const { proc, out } = piped(["workflow", "both"], project("both-pipe"));
    expect(await out.waitFor("ready-42")).toBe(true);
    proc.kill("SIGINT");
    expect(await out.waitFor("reading-4")).toBe(true);
    proc.stdin.write("hello\n");
    await proc.stdin.end();
    expect(await proc.exited).toBe(0);
    await out.done;
    expect(out.text).toContain("caught-3");
    expect(out.text).toContain("got=hello");
    expect(out.text).toContain("stdin-tty-6");
    expect(out.text).toContain("after-9");
  });
});

describe("container run steps attach over the Engine API", () => {
  test("tty on a terminal: the container has a TTY the size of muster's", async () => {
    const session = onTerminal(["workflow", "container-tty"], project("ctty-pty"));
    await session.waitFor("tty-42");
    await session.waitFor("size=30 100");
    expect(await session.exited).toBe(0);
  });

  test("tty on a terminal: resizing muster's terminal resizes the container's TTY", async () => {
    const session = onTerminal(["workflow", "container-resize"], project("cresize-pty"));
    await session.waitFor("ready-42");
    session.resize(120, 40);
    await session.waitFor("resized=40 120");
    expect(await session.exited).toBe(0);
  });

  test("tty through a pipe: the container has a TTY all the same (80x24)", async () => {
    const run = await muster(["workflow", "container-tty"], { cwd: project("ctty-pipe") });
    expect(run.stdout).toContain("tty-42");
    expect(run.stdout).toContain("size=24 80");
    expect(run.code).toBe(0);
  });

  test("interactive through a pipe: the container reads the piped line through the attach stream, and sees its end", async () => {
    const { proc, out } = piped(["workflow", "container-interactive"], project("cin-pipe"));
    expect(await out.waitFor("ready-42")).toBe(true);
    proc.stdin.write("hello\n");
    await proc.stdin.end();
    expect(await proc.exited).toBe(0);
    await out.done;
    expect(out.text).toContain("got=hello");
    expect(out.text).toContain("stdin-pipe-2");
  });

  test("tty and interactive on a terminal: typed keys reach the container (Ctrl-C too), the run goes on", async () => {
    const session = onTerminal(["workflow", "container-both"], project("cboth-pty"));
    await session.waitFor("ready-42");
    session.type(KEY.ctrlC);
    await session.waitFor("caught-3");
    await session.waitFor("reading-4");
    session.type("hello", KEY.enter);
    await session.waitFor("got=hello");
    await session.waitFor("size=30 100");
    await session.waitFor("after-9");
    expect(await session.exited).toBe(0);
  });
});

describe("where Atmos refuses them, muster does too", () => {
  test("exec, parallel children and background containers refuse tty and interactive at validate", async () => {
    const dir = join(tmp.path, "refusals");
    writeFiles(dir, {
      "workflows.yaml": `workflows:
  w:
    steps:
      - { name: par, type: parallel, steps: [{ name: child, type: shell, interactive: true, command: "true" }] }
      - { name: svc, type: container, background: true, tty: true, with: { image: ${IMAGE} } }
      - { name: last, type: exec, tty: true, command: "true" }
`,
    });
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).not.toBe(0);
    const text = run.stdout + run.stderr;
    expect(text).toContain(`a child of a parallel or matrix step cannot set "interactive"`);
    expect(text).toContain(`"tty: true" is not allowed on a background container`);
    expect(text).toContain(`"tty" is not allowed on an exec step`);
  });

  test("under Deno a tty step is refused when it runs, naming Deno; interactive alone runs", async () => {
    const dir = join(tmp.path, "deno");
    writeFiles(dir, {
      "workflows.yaml": `workflows:
  w:
    steps:
      - { name: plain, type: shell, interactive: true, command: "echo interactive-ran" }
      - { name: term, type: shell, tty: true, command: "tty" }
`,
    });
    const deno = join(repoRoot, "node_modules/.bin/deno");
    const run = await muster(["workflow", "w"], { cwd: dir, command: [deno, "run", "-A", join(repoRoot, "src/main.ts")], timeoutMs: 60_000 });
    expect(run.stdout).toContain("interactive-ran");
    expect(run.stderr).toContain(`"tty: true" needs a pseudo-terminal, and Deno has no API to open one`);
    expect(run.code).toBe(126);
  });

  test("under Deno containers attach all the same (the TTY is the engine's; the attach stream a Deno socket)", async () => {
    const deno = join(repoRoot, "node_modules/.bin/deno");
    const proc = Bun.spawn([deno, "run", "-A", join(repoRoot, "src/main.ts"), "workflow", "container-both"], { cwd: project("deno-container"), env: baseEnv(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const out = watch(proc.stdout);
    expect(await out.waitFor("ready-42", 60_000)).toBe(true);
    proc.kill("SIGINT");
    expect(await out.waitFor("reading-4")).toBe(true);
    proc.stdin.write("hello\n");
    await proc.stdin.end();
    expect(await proc.exited).toBe(0);
    await out.done;
    expect(out.text).toContain("caught-3");
    expect(out.text).toContain("got=hello");
    expect(out.text).toContain("size=24 80");
    expect(out.text).toContain("after-9");
  });
});
