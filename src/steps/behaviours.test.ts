import { expect, test } from "bun:test";
import { startsQuietly, waitsForServices } from "./behaviours.ts";
import { KINDS } from "./index.ts";

// Pinned when the flags became hooks (issue #27): the same kinds as `behaviours.gated: false` and `reportsItself: true` named before.
const step = { background: false };

test("the kinds that do not wait for started services: those managing them, messages, prompts, env, dependencies", () => {
  expect(KINDS.filter((kind) => !waitsForServices(kind, step)).map((kind) => kind.type).sort()).toEqual([
    "alert", "archive", "assert", "cancel", "choose", "clear", "confirm", "dependency", "env", "exit", "file", "filter", "format", "hint", "input",
    "join", "junit", "linebreak", "log", "markdown", "pager", "require", "say", "stage", "style", "table", "title", "toast", "wait", "wait-all", "write",
  ]);
});

test("the kinds whose own output is their report start quietly; a background container once its service is ready", () => {
  expect(KINDS.filter((kind) => startsQuietly(kind, step)).map((kind) => kind.type).sort()).toEqual([
    "alert", "assert", "choose", "clear", "confirm", "exit", "file", "filter", "format", "hint", "http", "input", "join", "junit", "linebreak", "log",
    "markdown", "pager", "require", "say", "script", "spin", "stage", "style", "table", "title", "toast", "webhook", "write",
  ]);
  const container = KINDS.find((kind) => kind.type === "container")!;
  expect(startsQuietly(container, { background: true })).toBe(true);
});
