/**
 * Every renderer fed the same recorded run: a workflow run once by the real
 * engine (test/kit.ts) whose group `checks` fails through its child `lint`
 * after `setup` succeeded, and whose last step is skipped. The events are
 * replayed into the text renderer (plain and with GitHub and GitLab log
 * groups), the JSON renderer (checked against schemas/events.v1.json), the
 * JUnit renderer, the log-dir renderer and the GitHub job summary.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent, RunObserver } from "../engine/events.ts";
import { runYaml } from "../../test/kit.ts";
import { validateJson } from "../../test/json-schema.ts";
import { SummaryRenderer } from "./ci/summary-renderer.ts";
import { github, gitlab } from "./ci/providers.ts";
import { createColors } from "./colors.ts";
import { JsonRenderer } from "./json-renderer.ts";
import { JunitRenderer } from "./junit-renderer.ts";
import { LogDirRenderer } from "./log-dir-renderer.ts";
import type { OutputStream } from "./terminal.ts";
import { TextRenderer } from "./text-renderer.ts";

const WORKFLOW = `workflows:
  deploy:
    steps:
      - { name: setup, type: shell, command: "echo preparing; echo careful >&2" }
      - name: checks
        type: parallel
        steps:
          - { name: lint, type: shell, command: "echo '3 problems <in> main.tf'; exit 2" }
          - { name: unit, type: shell, command: "echo all green" }
      - { name: ship, type: shell, command: "echo never" }
`;

const root = mkdtempSync(join(tmpdir(), "muster-renderers-test-"));
let recorded: RunEvent[] = [];
beforeAll(async () => {
  const { result, observer } = await runYaml(WORKFLOW);
  expect(result).toMatchObject({ exitCode: 2, failedStep: "checks" });
  recorded = observer.events;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Replays the recorded run into `observer`, then closes it. */
async function replay(observer: RunObserver): Promise<void> {
  for (const event of recorded) await observer.emit(event);
  await observer.close?.();
}

/** An output stream that keeps what is written (not a terminal, no colours). */
function captured(): OutputStream & { text: () => string } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  return {
    isTerminal: false,
    colors: createColors(false),
    write: (data) => void chunks.push(typeof data === "string" ? data : decoder.decode(data)),
    text: () => chunks.join(""),
  };
}

test("the recording itself: a failed group child, a skipped last step, a run.end naming the group", () => {
  const ends = recorded.flatMap((e) => (e.type === "step.end" ? [[e.path.join("/"), e.result.status, e.result.exitCode]] : []));
  expect(ends).toEqual(expect.arrayContaining([["setup", "succeeded", 0], ["checks/lint", "failed", 2], ["checks/unit", "succeeded", 0], ["checks", "failed", 2], ["ship", "skipped", expect.any(Number)]]));
  expect(recorded.at(-1)).toMatchObject({ type: "run.end", workflow: "deploy", status: "failed", exitCode: 2, failedStep: "checks" });
});

test("text: children's output on stdout, muster's lines on stderr, the group's summary and the failure line", async () => {
  const stdout = captured();
  const stderr = captured();
  await replay(new TextRenderer({ stdout, stderr }));
  expect(stdout.text()).toContain("3 problems <in> main.tf");
  expect(stdout.text()).toContain("all green");
  expect(stdout.text()).not.toContain("never");
  expect(stderr.text()).toContain("careful");
  expect(stderr.text()).toMatch(/✗ workflow deploy failed at step "checks" \(exit 2\) after /);
  expect(stderr.text()).toMatch(/checks.*1 failed/);
});

test("text -q: only failures and the final result", async () => {
  const stdout = captured();
  const stderr = captured();
  await replay(new TextRenderer({ stdout, stderr, quiet: true }));
  const all = stdout.text() + stderr.text();
  expect(all).toContain("3 problems <in> main.tf");
  expect(all).not.toContain("preparing");
  expect(all).not.toContain("all green");
  expect(stderr.text()).toMatch(/✗ workflow deploy failed at step "checks"/);
});

test("CI log groups: GitHub opens and closes one per top-level step and per group child; GitLab sections pair up", async () => {
  const stdout = captured();
  await replay(new TextRenderer({ stdout, stderr: captured(), ci: { provider: github, groups: true } }));
  const lines = stdout.text().split("\n");
  expect(lines).toContain("::group::setup");
  expect(lines).toContain("::group::checks / lint");
  expect(lines.filter((l) => l.startsWith("::group::")).length).toBe(lines.filter((l) => l === "::endgroup::").length);
  const lab = captured();
  await replay(new TextRenderer({ stdout: lab, stderr: captured(), ci: { provider: gitlab, groups: true } }));
  const starts = lab.text().match(/section_start:\d+:(\w+)/g) ?? [];
  const ends = lab.text().match(/section_end:\d+:(\w+)/g) ?? [];
  expect(starts.length).toBeGreaterThan(0);
  expect(ends.map((e) => e.replace(/^section_end:\d+:/, "")).sort()).toEqual(starts.map((s) => s.replace(/^section_start:\d+:/, "")).sort());
});

test("JSON: one valid v1 event a line, in the engine's order, the child's output inside its step.output", async () => {
  const out: string[] = [];
  await replay(new JsonRenderer({ write: (line) => void out.push(line) }));
  const schema = JSON.parse(readFileSync(join(import.meta.dir, "../../schemas/events.v1.json"), "utf8"));
  const events = out.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(events).toHaveLength(recorded.filter((e) => e.type !== "service.logs").length);
  for (const event of events) expect(validateJson(event, schema)).toEqual([]);
  expect(events.map((e) => e.type)).toEqual(recorded.map((e) => e.type));
  expect(events.find((e) => e.type === "step.output" && (e.path as string[]).join("/") === "checks/lint")).toMatchObject({ stream: "stdout", text: "3 problems <in> main.tf\n" });
  expect(events.at(-1)).toMatchObject({ type: "run.end", status: "failed", exit_code: 2, failed_step: "checks" });
});

test("JUnit: a testcase per leaf and group child, the failure with its exit code and output tail (escaped), the skipped step", async () => {
  const file = join(root, "junit.xml");
  await replay(new JunitRenderer(file));
  const xml = readFileSync(file, "utf8");
  expect(xml).toContain('<testsuite name="deploy" tests="4" failures="1" errors="0" skipped="1"');
  expect(xml).toMatch(/<testcase name="setup" classname="deploy" time="[\d.]+"\/>/);
  expect(xml).toMatch(/<testcase name="checks\/lint"[^>]*>\s*<failure message="exit code 2[^"]*" type="exit 2">[^<]*3 problems &lt;in&gt; main.tf/);
  expect(xml).toMatch(/<testcase name="ship"[^>]*>\s*<skipped message="skipped/);
  expect(xml).not.toContain('name="checks" ');
});

test("log dir: a file per step that ran, a group child's under its group, each with its header, output and status line", async () => {
  const dir = join(root, "logs");
  const warnings: string[] = [];
  await replay(new LogDirRenderer(dir, (text) => void warnings.push(text)));
  expect(warnings).toEqual([]);
  expect(readdirSync(dir).sort()).toEqual(["checks", "checks.log", "setup.log"]);
  expect(readdirSync(join(dir, "checks")).sort()).toEqual(["lint.log", "unit.log"]);
  const lint = readFileSync(join(dir, "checks", "lint.log"), "utf8");
  expect(lint).toStartWith("# muster: checks / lint (shell)\n# command: ");
  expect(lint).toContain("3 problems <in> main.tf\n");
  expect(lint).toMatch(/\n# failed \(exit 2\) after .+, 1 attempt\n$/);
  expect(readFileSync(join(dir, "setup.log"), "utf8")).toMatch(/preparing\ncareful\n\n# succeeded after .+, 1 attempt\n$/);
});

test("GitHub job summary: the run's line and a row per step in start order, the group marked", async () => {
  const file = join(root, "summary.md");
  await replay(new SummaryRenderer(file));
  const rows = readFileSync(file, "utf8").split("\n");
  expect(rows[0]).toMatch(/^### ❌ muster workflow `deploy` failed \(exit 2\) in /);
  const steps = rows.filter((r) => r.startsWith("| ") && !r.startsWith("| step") && !r.startsWith("| ---")).map((r) => r.split(" | ").slice(0, 2).join(" | "));
  expect(steps).toEqual(["| setup | ✅ succeeded", "| checks (group) | ❌ failed", "| checks / lint | ❌ failed", "| checks / unit | ✅ succeeded", "| ship | ⏭️ skipped"]);
});
