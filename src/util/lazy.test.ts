import { expect, test } from "bun:test";
import { lazy } from "./lazy.ts";

test("lazy loads nothing until called, then once: every call shares the first load", async () => {
  let loads = 0;
  const module = lazy(async () => ({ n: ++loads }));
  expect(loads).toBe(0);
  const [a, b] = await Promise.all([module(), module()]);
  expect(await module()).toBe(a);
  expect(b).toBe(a);
  expect(loads).toBe(1);
});

test("lazy loads a real module on first use", async () => {
  const words = lazy(() => import("./shell-words.ts"));
  expect((await words()).splitShellWords("a 'b c'")).toEqual(["a", "b c"]);
});
