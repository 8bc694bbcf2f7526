import { expect, test } from "bun:test";
import { parseVars, varsFromEnv } from "./common.ts";

test("--var collects every pair, values may contain =", () => {
  expect(parseVars(["x", "--var", "a=1", "--var=b=x=y", "--var", "c="])).toEqual({ a: "1", b: "x=y", c: "" });
});

test("--var rejects pairs without a key", () => {
  expect(() => parseVars(["--var", "=1"])).toThrow("expected KEY=VALUE");
  expect(() => parseVars(["--var", "novalue"])).toThrow("expected KEY=VALUE");
  expect(() => parseVars(["--var"])).toThrow("--var needs KEY=VALUE");
});

test("MUSTER_VARS_FROM_ENV=1 takes every MUSTER_VAR_* as a var; without it none", () => {
  const env = { MUSTER_VARS_FROM_ENV: "1", MUSTER_VAR_who: "$(id)", MUSTER_VAR_: "no key", MUSTER_VARX: "not a var", PATH: "/bin" };
  expect(varsFromEnv(env)).toEqual({ who: "$(id)" });
  expect(varsFromEnv({ ...env, MUSTER_VARS_FROM_ENV: undefined })).toEqual({});
});
