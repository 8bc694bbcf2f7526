import { describe, expect, test } from "bun:test";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  test("accepts Go durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("0")).toBe(0);
  });
  test("rejects anything else", () => {
    for (const bad of ["", "5", "5 s", "5sec", "s", "1m30", "-5s", "five"]) {
      expect(parseDuration(bad)).toBeUndefined();
    }
  });
});

describe("formatDuration", () => {
  test("scales units", () => {
    expect(formatDuration(12)).toBe("12ms");
    expect(formatDuration(1234)).toBe("1.2s");
    expect(formatDuration(125_000)).toBe("2m05s");
  });
});
