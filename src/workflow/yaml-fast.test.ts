import { expect, test } from "bun:test";
import { countKeys } from "./yaml-fast.ts";

// The scan takes shortcuts for a cold start (no expression per line, comments stripped only where a
// line has # or a quote): these lines are where a shortcut could count differently. The counts are
// the ones the scan gave before the shortcuts (src/load/yaml-fast.test.ts checks it against the parsers).
test("the scan's shortcuts count as the plain scan did", () => {
  const cases: Array<[string, number | undefined]> = [
    ["a#b: 1\n", undefined], // a # before the colon: not a plain key, and the colon makes it unsure
    ["a: 1 # c: d\n", 1],
    ["url: http://x\n", 1],
    ["k:v\n", 0], // a colon without a space: a scalar
    ["a: b:c\n", 1],
    ["a: 'x: y'\n", 1],
    ["a:\r\n  b: 1\r\n", 2],
    ["\u00a0a: 1\n", 1], // indentation by a character trim removes
    ["c: |\n\n  a: 1\n\u3000\nd: 2\n", 2], // a block scalar with blank and whitespace-only lines
    ["- - a: 1\n  - b: 2\n", 2],
    ["#: 1\n", 0],
    ["{a: 1}: 2\n", undefined],
    ["'q': 1\n'unclosed: 2\n", undefined],
    ['a: "x" # y\n', 1],
  ];
  for (const [text, count] of cases) expect({ text, count: countKeys(text) }).toEqual({ text, count });
});
