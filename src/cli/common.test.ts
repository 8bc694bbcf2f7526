import { expect, test } from "bun:test";
import { parseVars } from "./common.ts";

test("--var collects every pair, values may contain =", () => {
  expect(parseVars(["x", "--var", "a=1", "--var=b=x=y", "--var", "c="])).toEqual({ a: "1", b: "x=y", c: "" });
});

test("--var rejects pairs without a key", () => {
  expect(() => parseVars(["--var", "=1"])).toThrow("expected KEY=VALUE");
  expect(() => parseVars(["--var", "novalue"])).toThrow("expected KEY=VALUE");
  expect(() => parseVars(["--var"])).toThrow("--var needs KEY=VALUE");
});
