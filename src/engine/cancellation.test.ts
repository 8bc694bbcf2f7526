import { expect, test } from "bun:test";
import { Cancellation } from "./cancellation.ts";

test("a child scope follows its parent; canceling the child leaves the parent alone", () => {
  const run = new Cancellation();
  const group = new Cancellation(run);
  group.cancel("SIGTERM", "fail_fast");
  expect(group.canceled).toBe(true);
  expect(run.canceled).toBe(false);
  const other = new Cancellation(run);
  run.cancel("SIGINT", "interrupted");
  expect(other.canceled).toBe(true);
  expect(other.signalName).toBe("SIGINT");
  expect(other.reason).toBe("interrupted");
  expect(other.forced).toBe(false);
  run.force();
  expect(other.forced).toBe(true);
});

test("the first reason wins; force implies cancel; a late child starts canceled", () => {
  const c = new Cancellation();
  c.cancel("SIGTERM", "first");
  c.cancel("SIGINT", "second");
  expect(c.reason).toBe("first");
  const d = new Cancellation();
  d.force();
  expect(d.canceled && d.forced).toBe(true);
  expect(new Cancellation(d).forced).toBe(true);
});

test("a canceled step's exit code follows the signal: 130 after SIGINT, 143 after SIGTERM or a force", () => {
  const int = new Cancellation();
  int.cancel("SIGINT", "interrupted");
  expect(int.exitCode).toBe(130);
  expect(new Cancellation(int).exitCode).toBe(130);
  const term = new Cancellation();
  term.cancel("SIGTERM", "terminated");
  expect(term.exitCode).toBe(143);
  const forced = new Cancellation();
  forced.force();
  expect(forced.exitCode).toBe(143);
});
