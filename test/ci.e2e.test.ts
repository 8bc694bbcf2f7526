/**
 * End-to-end: machine-readable runs for CI (JSON events against the
 * published schema, JUnit, GitHub Actions and GitLab log groups,
 * annotations and the job summary).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import schema from "../schemas/events.v1.json";
import { muster, spawnMuster, watch, writeFiles, projectDirs } from "./helpers.ts";
import { validateJson } from "./json-schema.ts";

const projects = projectDirs();
const project = (yaml: string) => projects.make({ "workflows.yaml": yaml });

const WORKFLOW = `workflows:
  w:
    steps:
      - { name: build, type: shell, command: "echo built; printf '\\\\377\\\\376' >&2" }
      - name: checks
        type: parallel
        steps:
          - { name: lint, type: shell, command: "echo lint-out" }
          - { name: unit, type: shell, needs: [lint], command: "echo unit-out; echo unit-err >&2; exit 3" }
      - { name: report, type: shell, when: always, command: "echo reported" }
`;

/** Parses JUnit XML with Python's parser (a real XML parser) into testcases. */
function junitCases(file: string): Array<{ name: string; failure?: string; skipped?: boolean }> {
  const script = `import json,sys,xml.etree.ElementTree as E
r=E.parse(sys.argv[1]).getroot()
print(json.dumps([{"name":c.get("name"),**({"failure":c.find("failure").get("message")} if c.find("failure") is not None else {}),**({"skipped":True} if c.find("skipped") is not None else {})} for c in r.iter("testcase")]))`;
  const proc = Bun.spawnSync(["python3", "-c", script, file], { stdout: "pipe", stderr: "pipe" });
  if (!proc.success) throw new Error(`not well-formed XML: ${proc.stderr.toString()}`);
  return JSON.parse(proc.stdout.toString());
}

describe("--format json", () => {
  test("stdout is NDJSON only: every line parses and validates against schemas/events.v1.json, with all children's output", async () => {
    const dir = project(WORKFLOW);
    const run = await muster(["workflow", "w", "--format", "json"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("");
    const events = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    for (const event of events) expect({ type: event.type, problems: validateJson(event, schema as Record<string, unknown>) }).toEqual({ type: event.type, problems: [] });
    const text = (path: string) => events.filter((e) => e.type === "step.output" && e.path.join("/") === path).map((e) => e.text ?? atob(e.base64)).join("");
    expect(text("build")).toContain("built\n");
    expect(text("checks/lint")).toBe("lint-out\n");
    expect(text("checks/unit")).toContain("unit-out\n");
    expect(events.some((e) => e.type === "step.output" && e.path[0] === "build" && e.base64 === btoa("\xff\xfe"))).toBe(true);
    expect(events.find((e) => e.type === "step.end" && e.path.join("/") === "checks/unit")).toMatchObject({ status: "failed", exit_code: 3, attempts: 1 });
    expect(events.at(-1)).toMatchObject({ type: "run.end", status: "failed", exit_code: 3, failed_step: "checks" });
    expect(events[0]).toMatchObject({ type: "run.start", workflow: "w" });
  });

  test("the schema refuses what is not an event (the checker works)", () => {
    expect(validateJson({ v: 1, type: "step.end", time: "x", path: [] }, schema as Record<string, unknown>)).not.toEqual([]);
    expect(validateJson({ v: 2, type: "message", time: "x", level: "info", text: "t" }, schema as Record<string, unknown>)).not.toEqual([]);
  });
});

describe("--events and --junit", () => {
  test("together: the events file matches the stream, the JUnit XML parses and the failing child is its only failure", async () => {
    const dir = project(WORKFLOW);
    const run = await muster(["workflow", "w", "--events", "events.ndjson", "--junit", "report.xml"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("✗ workflow w failed");
    const events = readFileSync(join(dir, "events.ndjson"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    for (const event of events) expect(validateJson(event, schema as Record<string, unknown>)).toEqual([]);
    expect(events.at(-1)?.type).toBe("run.end");
    const cases = junitCases(join(dir, "report.xml"));
    expect(cases.map((c) => c.name)).toEqual(["build", "checks/lint", "checks/unit", "report"]);
    expect(cases.filter((c) => c.failure)).toEqual([{ name: "checks/unit", failure: "exit code 3" }]);
    expect(readFileSync(join(dir, "report.xml"), "utf8")).toContain("unit-out");
  });

  test("the JUnit report is written when the run is interrupted, with the rest marked skipped", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: long, type: shell, command: "echo started; sleep 30" }
      - { name: never, type: shell, command: "true" }
`);
    const proc = spawnMuster(["workflow", "w", "--junit", "report.xml"], { cwd: dir });
    const stdout = watch(proc.stdout);
    expect(await stdout.waitFor("started")).toBe(true);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(junitCases(join(dir, "report.xml"))).toEqual([{ name: "long", skipped: true }, { name: "never", skipped: true }]);
  });

  test("an unwritable report location is a usage error before anything runs", async () => {
    const dir = project(WORKFLOW);
    const run = await muster(["workflow", "w", "--junit", "/nonexistent/dir/report.xml"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--junit "/nonexistent/dir/report.xml": cannot write there`);
    expect(run.stdout).toBe("");
  });
});

describe("CI awareness", () => {
  test("GitHub Actions: groups open and close in order, the annotation names the failed child, the summary lists every step", async () => {
    const dir = project(WORKFLOW);
    const summary = join(dir, "summary.md");
    writeFiles(dir, { "summary.md": "# earlier content\n" });
    const run = await muster(["workflow", "w"], { cwd: dir, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(run.code).toBe(3);
    const markers = run.stdout.split("\n").filter((l) => l.startsWith("::"));
    expect(markers).toEqual([
      "::group::build", "::endgroup::",
      "::group::checks / lint", "::endgroup::",
      `::error title=muster%3A step "checks/unit" failed (exit 3)::step "checks/unit" failed with exit code 3`,
      "::group::checks / unit", "::endgroup::",
      `::error title=muster%3A step "checks" failed (exit 3)::step "checks" failed with exit code 3: 1 of 2 failed; first: "unit" exit 3`,
      "::group::report", "::endgroup::",
    ]);
    const md = readFileSync(summary, "utf8");
    expect(md.startsWith("# earlier content\n")).toBe(true);
    for (const row of ["| build | ✅ succeeded", "| checks (group) | ❌ failed", "| checks / lint | ✅ succeeded", "| checks / unit | ❌ failed | 3", "| report | ✅ succeeded"]) expect(md).toContain(row);
  });

  test("children are told a log group is open; --ci none turns it all off", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: env, type: shell, command: "echo $MUSTER_CI_LOG_GROUP_ACTIVE $ATMOS_CI_LOG_GROUP_ACTIVE" }\n`);
    const on = await muster(["workflow", "w"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
    expect(on.stdout).toContain("1 1\n");
    const off = await muster(["workflow", "w", "--ci", "none"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
    expect(off.stdout).toBe("\n");
  });

  test("atmos.yaml's ci.groups.mode: off keeps annotations but opens no groups", async () => {
    const dir = project(WORKFLOW);
    writeFiles(dir, { "atmos.yaml": "ci:\n  enabled: true\n  groups:\n    mode: off\n" });
    const run = await muster(["workflow", "w"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
    expect(run.stdout).not.toContain("::group::");
    expect(run.stdout).toContain(`::error title=muster%3A step "checks/unit" failed (exit 3)`);
  });

  test("GitLab: collapsible sections open and close in pairs, in order", async () => {
    const dir = project(WORKFLOW);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { GITLAB_CI: "true" } });
    const sections = [...run.stdout.matchAll(/\x1b\[0Ksection_(start|end):\d+:([a-z0-9_.-]+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(sections).toEqual([
      "start muster_1_build", "end muster_1_build",
      "start muster_2_checks_lint", "end muster_2_checks_lint",
      "start muster_3_checks_unit", "end muster_3_checks_unit",
      "start muster_4_report", "end muster_4_report",
    ]);
    expect(run.stdout).toContain("[collapsed=true]\r\x1b[0Kbuild\n");
  });

  test("Buildkite: a --- group per step and child block; a failed one is expanded with ^^^ +++", async () => {
    const dir = project(WORKFLOW);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { BUILDKITE: "true" } });
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("--- ") || l === "^^^ +++");
    expect(lines).toEqual(["--- build", "--- checks / lint", "--- checks / unit", "^^^ +++", "--- report"]);
  });

  test("validation errors become annotations with file, line and col; validate --format json", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { type: shel, command: x }\n`);
    const run = await muster(["validate"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`::error file=workflows.yaml,line=4,col=17,title=muster%3A invalid workflow file::workflow "w", step "step1": unknown step type "shel"`);
    const json = await muster(["validate", "--format", "json"], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      valid: false, files: 1, workflows: 0, skipped: 0,
      problems: [{ file: "workflows.yaml", line: 4, col: 17, path: `workflow "w", step "step1"`, message: `unknown step type "shel", did you mean "shell"?`, expected: "a step type; every type is in docs/step-types.md" }],
      warnings: [],
    });
  });
});
