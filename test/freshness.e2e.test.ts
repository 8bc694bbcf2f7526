/**
 * Freshness on the binary: `inputs.sources`, `artifacts.paths` and
 * `preconditions.tools` with Atmos' implicit conditions, the skip said in the
 * output and the events, `--force`, nothing recorded for a failed step, the
 * state in Atmos' own file at Atmos' path (key and hash rebuilt here from
 * Atmos' Go source), the facts in CEL, and positioned errors at `validate`.
 * Atmos' documented examples are in fixtures/atmos/freshness (see ORIGIN.md).
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs, repoRoot } from "./helpers.ts";
import schema from "../schemas/events.v1.json";
import { validateJson } from "./json-schema.ts";

const projects = projectDirs("muster-fresh-");
const fixture = join(repoRoot, "fixtures/atmos/freshness/workflows/freshness.yaml");
const stateOf = (dir: string) => join(dir, ".atmos", "cache", "freshness");
const stateFiles = (dir: string) => (existsSync(stateOf(dir)) ? readdirSync(stateOf(dir)).sort() : []);
const stepEnds = (file: string) =>
  readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.type === "step.end");

/** Atmos' stateKey (pkg/runner/freshness/checker.go): sha256 of the parts, each followed by NUL, patterns sorted. */
const atmosKey = (scope: string, step: string, dir: string, patterns: string[]) =>
  createHash("sha256").update([scope, step, dir, ...[...patterns].sort()].map((p) => `${p}\0`).join("")).digest("hex");
/** Atmos' HashFiles (pkg/hashfile): sorted paths, each path and content preceded by its length as 8 big-endian bytes. */
function atmosHash(files: Array<[string, string]>): string {
  const h = createHash("sha256");
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return b;
  };
  for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(u64(Buffer.byteLength(path))).update(path).update(u64(Buffer.byteLength(content))).update(content);
  return h.digest("hex");
}

const build = `workflows:
  build:
    steps:
      - name: compile
        type: shell
        command: mkdir -p out && cat src/*.txt > out/app && echo compiled
        inputs: { sources: ["src/*.txt"] }
        artifacts: { paths: ["out/app"] }
      - { name: after, type: shell, command: echo after }
`;

describe("a step with inputs", () => {
  test("runs, is skipped as fresh while its sources are unchanged (output and events say so), runs after an edit and with --force", async () => {
    const dir = projects.make({ "workflows.yaml": build, "src/a.txt": "a\n" });
    const first = await muster(["workflow", "build"], { cwd: dir });
    expect(first.stdout).toBe("compiled\nafter\n");
    expect(first.code).toBe(0);

    const events = join(dir, "events.ndjson");
    const second = await muster(["workflow", "build", "--events", events], { cwd: dir });
    expect(second.stdout).toBe("after\n");
    expect(second.stderr).toContain("○ compile skipped (fresh: inputs.sources and artifacts.paths unchanged since its last success; --force runs it)");
    expect(second.code).toBe(0);
    const [compile] = stepEnds(events);
    expect(compile).toMatchObject({ path: ["compile"], status: "skipped", attempts: 0, fresh: true, error: "fresh: inputs.sources and artifacts.paths unchanged since its last success; --force runs it" });
    expect(validateJson(compile, schema as Record<string, unknown>)).toEqual([]);

    writeFileSync(join(dir, "src/a.txt"), "changed\n");
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("compiled\nafter\n");
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("after\n");
    // A new file matching the glob is a change too.
    writeFileSync(join(dir, "src/b.txt"), "b\n");
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("compiled\nafter\n");

    const forced = await muster(["workflow", "build", "--force"], { cwd: dir });
    expect(forced.stdout).toBe("compiled\nafter\n");
    // describe shows what gates the step.
    expect((await muster(["describe", "build"], { cwd: dir })).stdout).toContain("1. compile (shell, inputs src/*.txt, artifacts out/app)");
    const described = JSON.parse((await muster(["describe", "build", "--json"], { cwd: dir })).stdout) as { steps: Array<Record<string, unknown>> };
    expect(described.steps[0]).toMatchObject({ inputs: { sources: ["src/*.txt"] }, artifacts: { paths: ["out/app"] } });
  });

  test("the state is Atmos' file at Atmos' path: <base_path>/.atmos/cache/freshness/<key>.json with {\"sources_hash\":...}", async () => {
    const dir = projects.make({ "workflows.yaml": build, "src/a.txt": "a\n", "src/z.txt": "zz" });
    await muster(["workflow", "build"], { cwd: dir });
    const key = atmosKey(`workflow:${join(dir, "workflows.yaml")}:build`, "compile", ".", ["src/*.txt"]);
    expect(stateFiles(dir)).toEqual([`${key}.json`]);
    expect(readFileSync(join(stateOf(dir), `${key}.json`), "utf8")).toBe(`{"sources_hash":"${atmosHash([["src/a.txt", "a\n"], ["src/z.txt", "zz"]])}"}`);
    // State written by Atmos (same file) is honoured: a record of other content means a change.
    writeFileSync(join(stateOf(dir), `${key}.json`), `{"sources_hash":"${atmosHash([["src/a.txt", "old"]])}"}`);
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("compiled\nafter\n");
  });

  test("globs start at the step's working_directory, and Atmos' key names that directory", async () => {
    const dir = projects.make({
      "workflows.yaml": `workflows:
  w:
    steps:
      - name: tf
        type: shell
        working_directory: infra
        command: echo planned
        inputs: { sources: ["**/*.tf"] }
`,
      "infra/main.tf": "x",
      "infra/modules/vpc.tf": "y",
      "main.tf": "not this one",
    });
    expect((await muster(["workflow", "w"], { cwd: dir })).stdout).toBe("planned\n");
    const key = atmosKey(`workflow:${join(dir, "workflows.yaml")}:w`, "tf", "infra", ["**/*.tf"]);
    expect(readFileSync(join(stateOf(dir), `${key}.json`), "utf8")).toBe(`{"sources_hash":"${atmosHash([["infra/main.tf", "x"], ["infra/modules/vpc.tf", "y"]])}"}`);
    writeFileSync(join(dir, "main.tf"), "outside the step's directory");
    expect((await muster(["workflow", "w"], { cwd: dir })).stdout).toBe("");
    writeFileSync(join(dir, "infra/modules/vpc.tf"), "z");
    expect((await muster(["workflow", "w"], { cwd: dir })).stdout).toBe("planned\n");
  });

  test("a failed step records nothing and runs again; a --dry-run records nothing", async () => {
    const dir = projects.make({
      "workflows.yaml": `workflows:
  w:
    steps:
      - name: flaky
        type: shell
        command: echo trying; test -f ok
        inputs: { sources: ["src/*"] }
`,
      "src/a": "a",
    });
    const failed = await muster(["workflow", "w"], { cwd: dir });
    expect(failed.code).toBe(1);
    expect(stateFiles(dir)).toEqual([]);
    // The resume hint repeats --force: it changes what runs.
    expect((await muster(["workflow", "w", "--force"], { cwd: dir })).stderr).toMatch(/--force --resume=\S+\n/);
    expect((await muster(["workflow", "w", "--dry-run"], { cwd: dir })).code).toBe(0);
    expect(stateFiles(dir)).toEqual([]);
    writeFileSync(join(dir, "ok"), "");
    expect((await muster(["workflow", "w"], { cwd: dir })).stdout).toBe("trying\n");
    expect(stateFiles(dir)).toHaveLength(1);
    expect((await muster(["workflow", "w"], { cwd: dir })).stdout).toBe("");
  });

  test("a missing artifact makes the step run, whatever its sources say", async () => {
    const dir = projects.make({ "workflows.yaml": build, "src/a.txt": "a\n" });
    await muster(["workflow", "build"], { cwd: dir });
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("after\n");
    // out/app is gone: the step runs though src/ did not change.
    writeFileSync(join(dir, "workflows.yaml"), build.replace(`paths: ["out/app"]`, `paths: ["out/app", "out/app.sig"]`));
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("compiled\nafter\n");
    expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("compiled\nafter\n");
  });
});

describe("preconditions.tools", () => {
  test("all tools found: skipped as fresh; one missing: the step runs (Atmos' implicit !preconditions.success), and fails the run if it fails", async () => {
    const dir = projects.make({ "README": "" });
    const env = { PATH: `${join(dir, "tools")}:/usr/bin:/bin` };
    const run = await muster(["workflow", "install-stringer", "-f", fixture], { cwd: dir, env });
    expect(run.stdout).toBe("installed\n");
    const again = await muster(["workflow", "install-stringer", "-f", fixture], { cwd: dir, env });
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain("○ install-stringer skipped (fresh: preconditions.tools all found (stringer); --force runs it)");
    // Preconditions keep no state.
    expect(stateFiles(dir)).toEqual([]);
    const explicit = await muster(["workflow", "install-stringer-explicit", "-f", fixture], { cwd: dir, env });
    expect(explicit.stderr).toContain(`○ install-stringer skipped (when: !preconditions.success)`);
    const failing = projects.make({
      "workflows.yaml": `workflows:
  w:
    steps:
      - { name: install, type: shell, command: "echo installing; exit 3", preconditions: { tools: [no-such-tool-muster] } }
      - { name: next, type: shell, command: echo next }
`,
    });
    const result = await muster(["workflow", "w"], { cwd: failing });
    expect(result.stdout).toBe("installing\n");
    expect(result.code).toBe(3);
  });
});

describe("Atmos' examples and the facts in CEL", () => {
  test("compile (inputs.mdx) builds once, then is fresh; timestamp.changed and the per-file records gate as documented", async () => {
    const dir = projects.make({ "cmd/handler/main.go": "package main\n", "go.sum": "" });
    expect((await muster(["workflow", "compile", "-f", fixture], { cwd: dir })).stdout).toBe("built\n");
    expect((await muster(["workflow", "compile", "-f", fixture], { cwd: dir })).stdout).toBe("");
    utimesSync(join(dir, "cmd/handler/main.go"), 1000, 1000);
    utimesSync(join(dir, "bin/handler"), 2000, 2000);
    expect((await muster(["workflow", "conditional-rebuild", "-f", fixture], { cwd: dir })).stdout).toBe("");
    expect((await muster(["workflow", "structured-records", "-f", fixture], { cwd: dir })).stdout).toBe("");
    utimesSync(join(dir, "cmd/handler/main.go"), 3000, 3000);
    expect((await muster(["workflow", "conditional-rebuild", "-f", fixture], { cwd: dir })).stdout).toBe("rebuilt\n");
    utimesSync(join(dir, "bin/handler"), 4000, 4000);
    expect((await muster(["workflow", "structured-records", "-f", fixture], { cwd: dir })).stdout).toBe("");
    utimesSync(join(dir, "cmd/handler/main.go"), 5000, 5000);
    expect((await muster(["workflow", "structured-records", "-f", fixture], { cwd: dir })).stdout).toBe("stale\n");
  });

  test("a condition on freshness facts waits for them: the start-up check does not judge it with empty facts", async () => {
    const dir = projects.make({
      "workflows.yaml": `workflows:
  w:
    steps:
      - { name: first, type: shell, command: echo first }
      - name: gated
        type: shell
        command: echo gated
        inputs: { sources: ["src/*.txt"] }
        when: checksum.changed == (sources[0].path == "src/a.txt")
`,
      "src/a.txt": "a",
    });
    // With empty facts sources[0] is an error (no && to absorb it) that would stop the run before "first".
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.stdout).toBe("first\ngated\n");
    expect(run.code).toBe(0);
    const again = await muster(["workflow", "w"], { cwd: dir });
    expect(again.stdout).toBe("first\n");
    expect(again.stderr).toContain(`○ gated skipped (when: checksum.changed == (sources[0].path == "src/a.txt"))`);
    expect((await muster(["workflow", "w", "--force"], { cwd: dir })).stdout).toBe("first\ngated\n");
  });
});

describe("validate", () => {
  test("bad values are refused with their positions", async () => {
    const dir = projects.make({
      "workflows.yaml": `workflows:
  w:
    steps:
      - name: a
        command: echo
        inputs: { sources: ["src/[abc"] }
      - name: b
        command: echo
        artifacts: { paths: out }
      - name: c
        command: echo
        preconditions: { tool: [x] }
      - name: d
        command: echo
        inputs: [src]
      - name: e
        type: parallel
        steps:
          - { name: x, command: echo, inputs: { sources: [a] } }
`,
    });
    const result = await muster(["validate"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`workflows.yaml:6:29: workflow "w", step "a": field "inputs.sources[0]": got "src/[abc" (expected a glob pattern (an unclosed [ or { is not one))`);
    expect(result.stderr).toContain(`workflows.yaml:9:29: workflow "w", step "b": field "artifacts.paths": got "out" (expected a list of glob patterns of the files the step makes)`);
    expect(result.stderr).toContain(`workflows.yaml:12:26: workflow "w", step "c": unknown field "tool" in "preconditions", did you mean "tools"?`);
    expect(result.stderr).toContain(`workflows.yaml:15:17: workflow "w", step "d": field "inputs": got a list (expected a map with sources: [glob, ...])`);
    expect(result.stderr).toContain(`workflows.yaml:19:39: workflow "w", step "e", child "x": "inputs" is not allowed on a child of a parallel or matrix step`);
    expect((await muster(["validate", "-f", fixture])).code).toBe(0);
  });
});

test("under Deno the source shares the state the binary wrote (same key, same hash)", async () => {
  const deno = join(repoRoot, "node_modules/.bin/deno");
  const viaDeno = { command: [deno, "run", "-A", join(repoRoot, "src/main.ts")], timeoutMs: 60_000 };
  const dir = projects.make({ "workflows.yaml": build, "src/a.txt": "a\n" });
  expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("compiled\nafter\n");
  const fresh = await muster(["workflow", "build"], { cwd: dir, ...viaDeno });
  expect(fresh.stdout).toBe("after\n");
  expect(fresh.stderr).toContain("○ compile skipped (fresh:");
  writeFileSync(join(dir, "src/a.txt"), "b\n");
  expect((await muster(["workflow", "build"], { cwd: dir, ...viaDeno })).stdout).toBe("compiled\nafter\n");
  expect((await muster(["workflow", "build"], { cwd: dir })).stdout).toBe("after\n");
});
