/**
 * End-to-end: parallel and matrix groups run by the compiled binary.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { logFilePath } from "../src/output/log-dir-renderer.ts";
import { eventually, muster, processesMatching, repoRoot, spawnMuster, tempDir, writeFiles, tagged } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
function project(yaml: string): string {
  const dir = join(tmp.path, `g${++n}`);
  writeFiles(dir, { "workflows.yaml": yaml });
  return dir;
}
const group = (settings: string, children: string) => `workflows:
  w:
    steps:
      - name: group
        type: parallel
${settings.replace(/^/gm, "        ")}
        steps:
${children.replace(/^/gm, "          ")}
`;

describe("the seed's example workflows", () => {
  const cwd = join(repoRoot, "examples/parallel-steps");

  test("checks: grouped blocks, summarize after its needs, summary line", async () => {
    const run = await muster(["workflow", "checks", "-f", "parallel"], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("running unit tests\npassed\nchecking formatting\npassed\nlint and test passed: ready to ship\n");
    expect(run.stderr).toMatch(/\[test\] succeeded in \d+ms\n\[lint\] succeeded in \d+ms\n\[summarize\] succeeded/);
    expect(run.stderr).toContain("[checks] summary: 3 succeeded, 0 failed, 0 skipped, 0 canceled");
  });

  test("prefixed: live lines with prefixes", async () => {
    const run = await muster(["workflow", "prefixed", "-f", "parallel"], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n").filter(Boolean).sort()).toEqual(["[lint] checking formatting", "[lint] passed", "[test] passed", "[test] running unit tests"]);
  });

  test("matrix: readable names, values in commands, definition order", async () => {
    const run = await muster(["workflow", "matrix", "-f", "parallel"], { cwd });
    expect(run.code).toBe(0);
    const headers = run.stderr.split("\n").filter((l) => l.startsWith("[test ("));
    expect(headers.map((h) => h.replace(/ in \d+ms$/, ""))).toEqual([
      "[test (linux, 1.22)] succeeded", "[test (linux, 1.23)] succeeded", "[test (darwin, 1.22)] succeeded", "[test (darwin, 1.23)] succeeded",
    ]);
    expect(run.stdout).toContain("running unit tests with OS=darwin GO_VERSION=1.23\n");
  });
});

describe("scheduling", () => {
  test("at most max_concurrency children overlap, and that many do", async () => {
    // A barrier instead of timestamps: each child waits until 3 children run (or all 8 have started),
    // then records how many it sees running. A scheduler that overlaps more shows a count above 3;
    // one that overlaps fewer never lets the first three through (their bounded wait runs out and they record less).
    const wait = `mkdir -p running started; touch started/$N running/$N; i=0; while [ $(ls running | wc -l) -lt 3 ] && [ $(ls started | wc -l) -lt 8 ] && [ $i -lt 1500 ]; do sleep 0.01; i=$((i+1)); done; ls running | wc -l >> counts; rm running/$N`;
    const children = Array.from({ length: 8 }, (_, i) => `- { name: c${i}, type: shell, env: { N: c${i} }, command: ${JSON.stringify(wait)} }`).join("\n");
    const dir = project(group("max_concurrency: 3", children));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    const counts = readFileSync(join(dir, "counts"), "utf8").trim().split("\n").map(Number);
    expect(counts.length).toBe(8);
    expect(Math.max(...counts)).toBe(3);
  });

  test("--jobs caps children across the run", async () => {
    const children = Array.from({ length: 4 }, (_, i) => `- { name: c${i}, type: shell, command: "echo start $(date +%s%N) >> times; sleep 0.15; echo end $(date +%s%N) >> times" }`).join("\n");
    const dir = project(group("max_concurrency: 4", children));
    expect((await muster(["workflow", "w", "--jobs", "1"], { cwd: dir })).code).toBe(0);
    const lines = readFileSync(join(dir, "times"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
    expect(lines).toEqual(["start", "end", "start", "end", "start", "end", "start", "end"]);
  });

  test("wait_all: dependents of a failure are skipped transitively, the rest runs, exit code is the failure's", async () => {
    const dir = project(group("", `- { name: a, type: shell, command: "exit 5" }
- { name: b, type: shell, needs: [a], command: touch b }
- { name: c, type: shell, needs: [b], command: touch c }
- { name: d, type: shell, command: "sleep 0.2; touch d" }`));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(5);
    expect(existsSync(join(dir, "d"))).toBe(true);
    expect(existsSync(join(dir, "b"))).toBe(false);
    expect(run.stderr).toContain("[b] skipped (needs a)");
    expect(run.stderr).toContain("[c] skipped (needs b)");
    expect(run.stderr).toContain("[group] summary: 1 succeeded, 1 failed, 2 skipped, 0 canceled");
  });

  test("fail_fast cancels a sleeping sibling (counted canceled) and leaves no process", async () => {
    const dir = project(group("fail: { mode: fail_fast }", `- { name: slow, type: shell, command: "sleep ${tagged(1030)}" }
- { name: pending, type: shell, needs: [slow], command: touch pending }
- { name: broken, type: shell, command: "sleep 0.2; exit 3" }`));
    const run = await muster(["workflow", "w", "--grace", "1s"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("[group] summary: 0 succeeded, 1 failed, 0 skipped, 2 canceled");
    expect(run.stderr).toMatch(/\[slow\] canceled in \d+/);
    expect(await processesMatching(`sleep ${tagged(1030)}`)).toEqual([]);
    expect(existsSync(join(dir, "pending"))).toBe(false);
  });

  test("wait_all with max_failures stops starting new children but lets running ones finish", async () => {
    const dir = project(group("max_concurrency: 2\nfail: { mode: wait_all, max_failures: 1 }", `- { name: broken, type: shell, command: "exit 4" }
- { name: running, type: shell, command: "sleep 0.3; touch running" }
- { name: later, type: shell, command: touch later }`));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(4);
    expect(existsSync(join(dir, "running"))).toBe(true);
    expect(existsSync(join(dir, "later"))).toBe(false);
    expect(run.stderr).toContain("1 succeeded, 1 failed, 0 skipped, 1 canceled");
  });

  test("best_effort: the parent succeeds and the workflow goes on", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: fan
        type: parallel
        fail: { mode: best_effort }
        steps:
          - { name: bad, type: shell, command: "exit 9" }
          - { name: dep, type: shell, needs: [bad], command: touch dep }
          - { name: good, type: shell, command: touch good }
      - { name: next, type: shell, command: touch next }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, "next"))).toBe(true);
    expect(existsSync(join(dir, "good"))).toBe(true);
    expect(run.stderr).toContain("[fan] summary: 1 succeeded, 1 failed, 1 skipped, 0 canceled");
  });

  test("children get /dev/null as stdin", async () => {
    const dir = project(group("", `- { name: reader, type: shell, command: "if [ -t 0 ]; then echo tty; else cat; echo eof; fi" }`));
    const proc = Bun.spawn([join(repoRoot, "dist/muster"), "workflow", "w"], { cwd: dir, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    // A child that read our stdin would block here: we never close it.
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stdout).text()).toBe("eof\n");
  });
});

describe("output", () => {
  test("prefixed: concurrent partial lines never mix", async () => {
    const writer = (tag: string) =>
      `- { name: ${tag}, type: shell, command: "for i in 1 2 3 4 5 6 7 8 9 10; do printf '${tag}-part1-'; sleep 0.01; printf '${tag}-part2\\\\n'; done; printf '${tag}-no-newline'" }`;
    const dir = project(group("output: prefixed", `${writer("a")}\n${writer("b")}`));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.length).toBe(22);
    for (const line of lines) expect(line).toMatch(/^\[(a|b)\] \1-(part1-\1-part2|no-newline)$/);
  });

  test("prefixed: stderr lines go to stderr with the rendered prefix", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: m
        type: matrix
        matrix: { os: [linux] }
        output: { mode: prefixed, prefix: "{{ .matrix.os }}" }
        steps:
          - { name: t, type: shell, command: "echo out; echo err >&2" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.stdout).toBe("[linux] out\n");
    expect(run.stderr).toContain("[linux] err\n");
  });

  test("grouped, order definition: blocks in declaration order even when later ones finish first; skipped included", async () => {
    const dir = project(group("output: { mode: grouped, order: definition }", `- { name: slow, type: shell, command: "sleep 0.3; echo slow-out" }
- { name: fast, type: shell, command: "echo fast-out; exit 2" }
- { name: dep, type: shell, needs: [fast], command: echo never }`));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("slow-out\nfast-out\n");
    const headers = run.stderr.split("\n").filter((l) => /^\[(slow|fast|dep)\]/.test(l));
    expect(headers.map((h) => h.split(" ").slice(0, 2).join(" "))).toEqual(["[slow] succeeded", "[fast] failed", "[dep] skipped"]);
  });

  test("grouped, order completion: a block is printed the moment its child finishes", async () => {
    // slow finishes only after fast has (a handshake through a file): fast's block must come first.
    const dir = project(group("output: grouped", `- { name: slow, type: shell, command: "while [ ! -e fast-done ]; do sleep 0.01; done; echo slow-out" }
- { name: fast, type: shell, command: "echo fast-out; touch fast-done" }`));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.stdout).toBe("fast-out\nslow-out\n");
  });

  test("grouped: output over 1 MiB spills to a temp file that is removed, and is replayed whole", async () => {
    // A TMPDIR of this test's own: the child sees the spill dir while it runs (3 MB cannot pass a 64 KiB pipe
    // before muster has read past the 1 MiB threshold), and nothing may be left there afterwards.
    const tmpdir = join(tmp.path, "spill-tmp");
    mkdirSync(tmpdir);
    const dir = project(group("output: grouped", `- { name: big, type: shell, command: "head -c 3000000 /dev/zero | tr '\\\\0' 'x'; echo; ls \\"$TMPDIR\\" > seen" }`));
    const run = await muster(["workflow", "w"], { cwd: dir, env: { TMPDIR: tmpdir } });
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBe(3_000_001);
    expect(readFileSync(join(dir, "seen"), "utf8")).toMatch(/^muster-capture-/m);
    expect(readdirSync(tmpdir)).toEqual([]);
  });

  test("none: silent on success, the tail of a failed child's output on failure", async () => {
    const dir = project(group("output: none", `- { name: quiet, type: shell, command: "echo hidden" }
- { name: loud, type: shell, command: "seq 1 20000; echo boom >&2; exit 1" }`));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).not.toContain("hidden");
    expect(run.stderr).toContain("[loud] failed");
    expect(run.stderr).toContain("20000\nboom\n");
    expect(run.stderr).toContain("last 65536 of 108899 bytes");
  });

  test("--log-dir keeps each step's full output in every mode", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: top, type: shell, command: echo top-level }
      - name: m
        type: matrix
        output: none
        matrix: { n: [1, 2] }
        steps:
          - { name: t, type: shell, command: "echo child {{ .matrix.n }}" }
`);
    const run = await muster(["workflow", "w", "--log-dir", "logs"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("top-level\n");
    const top = readFileSync(logFilePath(join(dir, "logs"), ["top"]), "utf8");
    expect(top).toMatch(/^# muster: top \(shell\)\n# command: \$ echo top-level\n# started: \d{4}-\d\d-\d\dT.*\ntop-level\n\n# succeeded after \d+m?s, 1 attempt\n$/);
    expect(readFileSync(logFilePath(join(dir, "logs"), ["m", "t (1)"]), "utf8")).toContain("\nchild 1\n");
    expect(readFileSync(logFilePath(join(dir, "logs"), ["m", "t (2)"]), "utf8")).toContain("\nchild 2\n");
  });

  test("matrix include and exclude", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: m
        type: matrix
        output: prefixed
        matrix:
          os: [linux, darwin]
          arch: [amd64, arm64]
          exclude: [{ os: darwin, arch: amd64 }]
          include: [{ os: windows, arch: amd64 }]
        steps:
          - { name: build, type: shell, command: "echo {{ .matrix.os }}/{{ .matrix.arch }}" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.stdout.trim().split("\n").sort()).toEqual([
      "[build (darwin, arm64)] darwin/arm64", "[build (linux, amd64)] linux/amd64", "[build (linux, arm64)] linux/arm64", "[build (windows, amd64)] windows/amd64",
    ]);
  });
});

test("Ctrl-C mid-group cancels running children, prints the summary, exits 130, leaves nothing", async () => {
  const dir = project(group("", `- { name: a, type: shell, command: "sleep ${tagged(1031)}" }
- { name: b, type: shell, command: "sleep ${tagged(1031)} & wait" }
- { name: c, type: shell, needs: [a], command: touch c }`));
  const proc = spawnMuster(["workflow", "w"], { cwd: dir });
  expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1031)}`)).length >= 3)).toBe(true);
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(130);
  const stderr = await new Response(proc.stderr).text();
  expect(stderr).toContain("[group] summary: 0 succeeded, 0 failed, 0 skipped, 3 canceled");
  expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1031)}`)).length === 0, 2000)).toBe(true);
  expect(existsSync(join(dir, "c"))).toBe(false);
});
