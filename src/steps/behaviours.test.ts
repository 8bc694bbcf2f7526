import { expect, test } from "bun:test";
import { startsQuietly, waitsForServices } from "./behaviours.ts";
import { CHILD_STEP_TYPES, loadAllKinds, STEP_TYPES, typesNamedIn } from "./index.ts";

const KINDS = await loadAllKinds();

// Pinned when the flags became hooks (issue #27): the same kinds as `behaviours.gated: false` and `reportsItself: true` named before.
// Only the kinds of that time are checked, so that a new kind is still one file and one registry entry.
const PINNED = new Set([
  "atmos", "shell", "sleep", "env", "parallel", "matrix", "container", "wait", "wait-all", "cancel", "toast", "log", "hint", "format", "alert", "stage",
  "linebreak", "clear", "title", "join", "exit", "require", "assert", "say", "markdown", "table", "style", "pager", "spin", "script", "input", "confirm",
  "choose", "filter", "file", "write", "archive", "junit", "http", "webhook", "emulator", "store", "tflint", "exec", "dependency",
]);
const kinds = KINDS.filter((kind) => PINNED.has(kind.type));
const step = { background: false };

test("the pinned kinds are all still registered", () => {
  expect(kinds.length).toBe(PINNED.size);
});

test("the registry's entries say what the kinds say: internal, and allowed inside parallel/matrix", () => {
  expect(STEP_TYPES).toEqual(KINDS.filter((kind) => !kind.internal).map((kind) => kind.type));
  expect(CHILD_STEP_TYPES).toEqual(KINDS.filter((kind) => !kind.internal && kind.behaviours.concurrent).map((kind) => kind.type));
});

test("the kinds that do not wait for started services: those managing them, messages, prompts, env, dependencies", () => {
  expect(kinds.filter((kind) => !waitsForServices(kind, step)).map((kind) => kind.type).sort()).toEqual([
    "alert", "archive", "assert", "cancel", "choose", "clear", "confirm", "dependency", "env", "exit", "file", "filter", "format", "hint", "input",
    "join", "junit", "linebreak", "log", "markdown", "pager", "require", "say", "stage", "style", "table", "title", "toast", "wait", "wait-all", "write",
  ]);
});

test("the kinds whose own output is their report start quietly; a background container once its service is ready", () => {
  expect(kinds.filter((kind) => startsQuietly(kind, step)).map((kind) => kind.type).sort()).toEqual([
    "alert", "assert", "choose", "clear", "confirm", "exit", "file", "filter", "format", "hint", "http", "input", "join", "junit", "linebreak", "log",
    "markdown", "pager", "require", "say", "spin", "stage", "style", "table", "title", "toast", "webhook", "write",
  ]);
  const container = KINDS.find((kind) => kind.type === "container")!;
  expect(startsQuietly(container, { background: true })).toBe(true);
});

test("typesNamedIn: the types a file names, atmos for a step without one, parallel and dependency for dependencies", () => {
  expect([...typesNamedIn({ workflows: { w: { steps: [{ type: "shell" }, { command: "plan" }, { type: "parallel", steps: [{ type: "sleep" }] }] } } })].sort()).toEqual(["atmos", "parallel", "shell", "sleep"]);
  expect([...typesNamedIn({ workflows: { w: { dependencies: { workflows: ["a"] }, steps: [{ type: "shell" }] } } })].sort()).toEqual(["dependency", "parallel", "shell"]);
});
