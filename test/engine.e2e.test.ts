/**
 * End-to-end regressions for the engine-v2 reshaping (issue "Engine v2,
 * part 1"): each test names a defect of the old engine and fails on it.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, writeFiles, projectDirs } from "./helpers.ts";

const projects = projectDirs();
const project = (yaml: string) => projects.make({ "workflows.yaml": yaml });

describe("templates are all checked before anything runs", () => {
  const yaml = `workflows:
  w:
    steps:
      - { name: first, type: shell, command: touch ran }
      - name: g
        type: parallel
        output: { mode: prefixed, prefix: "{{ .vars.nope }}" }
        steps:
          - { name: a, type: shell, command: "true" }
`;
  test("a missing key in output.prefix is a positioned error, exit 2, never an internal error", async () => {
    const dir = project(yaml);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:7:47: workflow "w", step "g", child "a": field "output.prefix": map has no entry for key "nope" (at <.vars.nope>); pass it with --var nope=VALUE`);
    expect(run.stderr).not.toContain("internal error");
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("--dry-run refuses the same plan; with the var it shows it", async () => {
    const dir = project(yaml);
    expect((await muster(["workflow", "w", "--dry-run"], { cwd: dir })).code).toBe(2);
    const ok = await muster(["workflow", "w", "--dry-run", "--var", "nope=x"], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("g (parallel, max_concurrency unbounded, fail wait_all, output prefixed, 1 children)");
  });
});

describe("timeout applies to every kind that accepts it", () => {
  test("a parallel group with timeout: 200ms around a 30 s child fails with 124 and stops the child", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: g
        type: parallel
        timeout: 200ms
        steps:
          - { name: slow, type: shell, command: "sleep 30; touch finished" }
`);
    const run = await muster(["workflow", "w", "--grace", "1s"], { cwd: dir });
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("✗ g failed (timed out after 200ms)");
    expect(run.stderr).toMatch(/\[slow\] canceled/);
    expect(existsSync(join(dir, "finished"))).toBe(false);
  });

  test("retry on a group and timeout on cancel are refused with a position", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: g
        type: matrix
        retry: { max_attempts: 2 }
        matrix: { n: [1] }
        steps:
          - { name: a, type: shell, command: "true" }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:6:9: workflow "w", step "g": "retry" is not supported on matrix steps (expected it on the children, which are retried one by one)`);
  });
});

describe("-q means failures and the final result only", () => {
  test("in a grouped group: no succeeded blocks, no clean summary; a failed child's output is shown", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: before, type: shell, command: echo before-out }
      - name: g
        type: parallel
        steps:
          - { name: good, type: shell, command: echo good-out }
          - { name: bad, type: shell, command: "echo bad-out; exit 3" }
`);
    const run = await muster(["workflow", "w", "-q"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout + run.stderr).not.toContain("good-out");
    expect(run.stdout + run.stderr).not.toContain("before-out");
    expect(run.stderr).not.toContain("[good]");
    expect(run.stderr).toContain("[bad] failed (exit code 3)");
    expect(run.stderr).toContain("bad-out");
    expect(run.stderr).toContain("summary: 1 succeeded, 1 failed");
    expect(run.stderr).toContain(`✗ workflow w failed at step "g" (exit 3)`);
  });

  test("a clean run prints only the final line", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: a, type: shell, command: echo a-out }
      - name: g
        type: parallel
        output: prefixed
        steps:
          - { name: b, type: shell, command: echo b-out }
`);
    const run = await muster(["workflow", "w", "--quiet"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^✓ workflow w succeeded in \S+\n$/);
  });
});

describe("--log-dir", () => {
  test("an unwritable directory is a usage error before anything runs", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: a, type: shell, command: touch ran }
`);
    const run = await muster(["workflow", "w", "--log-dir", "/proc/muster-nope"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--log-dir "/proc/muster-nope": cannot write there`);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("never through a symlink, never into a directory others may write: --log-dir, --junit and --events (exit 78 naming the path and the rule)", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: greet, type: shell, command: "echo hello; touch ran" }
`);
    const victim = join(dir, "victim");
    writeFileSync(victim, "victim-content\n", { mode: 0o600 });
    // A directory group and others may write (no sticky bit), with a planted link where greet's log goes.
    const shared = join(dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    symlinkSync(victim, join(shared, "greet.log"));
    for (const args of [["--log-dir", shared], ["--junit", join(shared, "junit.xml")], ["--events", join(shared, "events.ndjson")]]) {
      const run = await muster(["workflow", "w", ...args], { cwd: dir });
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(`${args[0]} ${JSON.stringify(args[1])}: ${shared} is writable by its group and others without the sticky bit (mode 0777); muster writes reports and logs only in a directory owned by its user or root that others cannot write, or that has the sticky bit`);
      expect(existsSync(join(dir, "ran"))).toBe(false);
    }
    // Another (non-root) user's directory: refused as well, whatever its mode.
    if (process.getuid?.() === 0) {
      const theirs = join(dir, "theirs");
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, 65534, 65534);
      const run = await muster(["workflow", "w", "--log-dir", theirs], { cwd: dir });
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(`${theirs} is owned by uid 65534`);
    }
    // Sticky (like /tmp): allowed, but a planted link is never followed: the step's log is refused, the run goes on.
    chmodSync(shared, 0o1777);
    const sticky = await muster(["workflow", "w", "--log-dir", shared], { cwd: dir });
    expect(sticky.code).toBe(0);
    expect(sticky.stderr).toContain(`--log-dir: cannot write ${join(shared, "greet.log")}: ${join(shared, "greet.log")} is a symlink (muster never writes through one)`);
    // A report file that is a link, in a directory of one's own: refused before the run.
    chmodSync(shared, 0o755);
    for (const flag of ["--junit", "--events"]) {
      const link = join(shared, `${flag.slice(2)}-link`);
      symlinkSync(victim, link);
      const run = await muster(["workflow", "w", flag, link], { cwd: dir });
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(`${flag} ${JSON.stringify(link)}: ${link} is a symlink (muster never writes through one)`);
    }
    expect(readFileSync(victim, "utf8")).toBe("victim-content\n");
  });

  test("retries are separated, the exit status is recorded, and matrix children never share a file", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: flaky
        type: shell
        command: "echo try; [ -e once ] || { touch once; exit 1; }"
        retry: { max_attempts: 2, initial_delay: 1ms }
      - name: m
        type: matrix
        matrix: { v: ["a/b", "a b"] }
        steps:
          - { name: t, type: shell, command: "echo {{ .matrix.v | quote }}" }
`);
    const run = await muster(["workflow", "w", "--log-dir", "logs"], { cwd: dir });
    expect(run.code).toBe(0);
    const { logFilePath } = await import("../src/output/log-dir-renderer.ts");
    const flaky = readFileSync(logFilePath(join(dir, "logs"), ["flaky"]), "utf8");
    expect(flaky).toContain("try\n\n# --- attempt 1/2 failed (exit code 1); attempt 2 in 1ms ---\ntry\n");
    expect(flaky).toMatch(/# succeeded after \S+, 2 attempts\n$/);
    const slash = readFileSync(logFilePath(join(dir, "logs"), ["m", "t (a/b)"]), "utf8");
    const space = readFileSync(logFilePath(join(dir, "logs"), ["m", "t (a b)"]), "utf8");
    expect(slash).toContain("\na/b\n");
    expect(space).toContain("\na b\n");
  });
});

describe("Atmos semantics taken over from the next issue", () => {
  test("a matrix combination's children run in declared order; combinations run side by side", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: m
        type: matrix
        matrix: { n: [1, 2] }
        steps:
          - { name: first, type: shell, command: "sleep 0.2; echo {{ .matrix.n }} > made-{{ .matrix.n }}" }
          - { name: second, type: shell, command: "cat made-{{ .matrix.n }}" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1\n");
    expect(run.stdout).toContain("2\n");
  });

  test("sleep: Atmos' timeout: is the duration when no duration: is given", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: nap, type: sleep, timeout: 300ms }\n`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("▸ nap sleep 300ms");
  });
});
