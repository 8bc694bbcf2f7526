import { expect, test } from "bun:test";
import { expandMatrix, matrixChildName } from "./matrix-expand.ts";

const axes = [{ name: "os", values: ["linux", "darwin"] }, { name: "go", values: ["1.22", "1.23"] }];

test("the product in axis order", () => {
  expect(expandMatrix({ axes, include: [], exclude: [] })).toEqual([
    { os: "linux", go: "1.22" }, { os: "linux", go: "1.23" }, { os: "darwin", go: "1.22" }, { os: "darwin", go: "1.23" },
  ]);
});

test("exclude drops, include extends or adds", () => {
  const combos = expandMatrix({
    axes,
    exclude: [{ os: "darwin", go: "1.22" }],
    include: [{ os: "linux", experimental: true }, { os: "windows", go: "1.23" }],
  });
  expect(combos).toEqual([
    { os: "linux", go: "1.22", experimental: true },
    { os: "linux", go: "1.23", experimental: true },
    { os: "darwin", go: "1.23" },
    { os: "windows", go: "1.23" },
  ]);
});

test("readable child names", () => {
  expect(matrixChildName("test", { os: "linux", go: "1.22" })).toBe("test (linux, 1.22)");
  expect(matrixChildName("test", { n: 1, ok: false })).toBe("test (1, false)");
});
