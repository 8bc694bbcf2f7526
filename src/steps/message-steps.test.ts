import { expect, test } from "bun:test";
import { parseWorkflowFile } from "../load/parse.ts";
import { logShows } from "./log.ts";
import { listOf, listTexts } from "./message.ts";
import { scriptArgv } from "./script.ts";
import { minimalTable } from "./table.ts";
import { toastLine } from "./toast.ts";

test("toast: icons per level; unknown levels are info, as in Atmos", () => {
  expect(toastLine("success", "x")).toBe("✓ x");
  expect(toastLine("WARN", "x")).toBe("⚠ x");
  expect(toastLine("warning", "x")).toBe("⚠ x");
  expect(toastLine("error", "x")).toBe("✗ x");
  expect(toastLine("loud", "x")).toBe("ℹ x");
});

test("log: Atmos' default threshold is Warning; ATMOS_LOGS_LEVEL moves it; Off hides all", () => {
  expect([logShows("info", undefined), logShows("warn", undefined), logShows("error", undefined)]).toEqual([false, true, true]);
  expect(logShows("debug", "Debug")).toBe(true);
  expect(logShows("trace", "Debug")).toBe(false);
  expect(logShows("error", "Off")).toBe(false);
  expect(logShows("info", "nonsense")).toBe(false);
});

test("list fields keep their order past ten items", () => {
  const values = Array.from({ length: 12 }, (_, i) => `v${i}`);
  expect(listOf(listTexts("options", values), "options")).toEqual(values);
});

test("defaults and required fields of each message type", () => {
  const { workflowFile, diagnostics } = parseWorkflowFile("w.yaml", `workflows:
  w:
    steps:
      - { type: toast, content: hi }
      - { type: log, content: hi }
      - { type: linebreak }
      - { type: stage }
      - { type: exit }
      - { type: join, content: x }
      - { type: require, tools: [sh] }
      - { type: assert, dirs: [/] }
`);
  expect(diagnostics).toEqual([]);
  const steps = workflowFile!.workflows.get("w")!.steps as unknown as Array<Record<string, unknown>>;
  expect(steps[0]).toMatchObject({ type: "toast", level: "info", texts: { content: "hi" } });
  expect(steps[1]).toMatchObject({ type: "log", level: "info" });
  expect(steps[2]).toMatchObject({ type: "linebreak", count: 1 });
  expect(steps[3]).toMatchObject({ type: "stage", texts: { title: "step4" } });
  expect(steps[4]).toMatchObject({ type: "exit", code: 0 });
  expect(steps[5]).toMatchObject({ type: "join", separator: "\n", texts: { content: "x" } });
  expect(steps[7]).toMatchObject({ type: "assert" });
  const missing = parseWorkflowFile("w.yaml", `workflows:\n  w:\n    steps:\n      - { type: toast }\n      - { type: hint }\n      - { type: format }\n`).diagnostics.map((d) => d.message);
  expect(missing).toEqual([
    `workflow "w", step "step1": missing required field "content" (expected a string)`,
    `workflow "w", step "step2": missing required field "content" (expected a string)`,
    `workflow "w", step "step3": missing required field "content" (expected a string)`,
  ]);
});

test("table: minimal style pads by one space, rules the header, trims line ends", () => {
  expect(minimalTable(["NAME", "V"], [["web", "1"], ["db", ""]])).toBe(" NAME  V\n─────────\n web   1\n db");
});

test("script: Atmos' argv per interpreter", () => {
  expect(scriptArgv("python3", "p")).toEqual({ argv: ["python3", "-"], stdin: "p" });
  expect(scriptArgv("/usr/bin/node", "n")).toEqual({ argv: ["/usr/bin/node", "-e", "n"] });
  expect(scriptArgv("zsh", "z")).toEqual({ argv: ["zsh", "-c", "z"] });
  expect(scriptArgv("pwsh", "w")).toEqual({ argv: ["pwsh", "-NoProfile", "-NonInteractive", "-Command", "-"], stdin: "w" });
  expect(scriptArgv("CMD.EXE", "c")).toEqual({ argv: ["CMD.EXE", "/S", "/C", "c"] });
  expect(scriptArgv("ruby", "r")).toEqual({ argv: ["ruby", "-"], stdin: "r" });
  expect(scriptArgv("python3 -u", "p")).toEqual({ argv: ["python3", "-u", "-"], stdin: "p" });
});
