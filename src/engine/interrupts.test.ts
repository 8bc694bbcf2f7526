import { expect, test } from "bun:test";
import { claimInterrupts, passInterrupt } from "./interrupts.ts";

test("a SIGINT goes to the latest claim until it is released; without one muster keeps it", () => {
  const got: string[] = [];
  expect(passInterrupt()).toBe(false);
  const outer = claimInterrupts(() => got.push("outer"));
  const inner = claimInterrupts(() => got.push("inner"));
  expect(passInterrupt()).toBe(true);
  inner();
  inner(); // releasing twice releases once
  expect(passInterrupt()).toBe(true);
  outer();
  expect(passInterrupt()).toBe(false);
  expect(got).toEqual(["inner", "outer"]);
});
