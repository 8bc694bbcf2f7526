import { expect, test } from "bun:test";
import { abortableSleep } from "./abortable-sleep.ts";

test("finishes, or stops early when aborted", async () => {
  expect(await abortableSleep(5, new AbortController().signal)).toBe(true);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 5);
  expect(await abortableSleep(10_000, controller.signal)).toBe(false);
  expect(await abortableSleep(10_000, AbortSignal.abort())).toBe(false);
});
