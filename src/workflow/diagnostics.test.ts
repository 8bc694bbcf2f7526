import { expect, test } from "bun:test";
import { describeValue, formatDiagnostic, formatFieldPath, suggest } from "./diagnostics.ts";

test("suggest finds typos and nothing else", () => {
  expect(suggest("comand", ["name", "command", "stack"])).toBe("command");
  expect(suggest("stak", ["name", "command", "stack"])).toBe("stack");
  expect(suggest("banana", ["name", "command", "stack"])).toBeUndefined();
});

test("values and paths read well in messages", () => {
  expect(describeValue("x")).toBe('"x"');
  expect(describeValue(5)).toBe("number 5");
  expect(describeValue([1])).toBe("a list");
  expect(describeValue({})).toBe("a map");
  expect(describeValue(null)).toBe("an empty value");
  expect(formatFieldPath(["with", "ports", 0, "host"])).toBe("with.ports[0].host");
  expect(formatDiagnostic({ file: "a.yaml", line: 2, col: 3, message: "m" })).toBe("a.yaml:2:3: m");
});
