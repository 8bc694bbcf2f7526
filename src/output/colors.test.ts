import { expect, test } from "bun:test";
import { createColors, shouldColor } from "./colors.ts";

test("NO_COLOR wins over a terminal, FORCE_COLOR over a pipe", () => {
  expect(shouldColor({}, true)).toBe(true);
  expect(shouldColor({}, false)).toBe(false);
  expect(shouldColor({ NO_COLOR: "1" }, true)).toBe(false);
  expect(shouldColor({ NO_COLOR: "1", FORCE_COLOR: "1" }, true)).toBe(false);
  expect(shouldColor({ FORCE_COLOR: "1" }, false)).toBe(true);
  expect(shouldColor({ FORCE_COLOR: "0" }, true)).toBe(false);
  expect(shouldColor({ TERM: "dumb" }, true)).toBe(false);
});

test("disabled colours leave text alone; enabled ones wrap it", () => {
  expect(createColors(false).red("x")).toBe("x");
  expect(createColors(true).red("x")).toBe("\x1b[31mx\x1b[39m");
  expect(createColors(true).rotating(0)("a")).not.toBe(createColors(true).rotating(1)("a"));
});
