import { expect, test } from "bun:test";
import { colourCode, drawBox, parseSpacing } from "./box.ts";

test("spacing reads one to four numbers as CSS does", () => {
  expect(parseSpacing("1")).toEqual([1, 1, 1, 1]);
  expect(parseSpacing(2)).toEqual([2, 2, 2, 2]);
  expect(parseSpacing("1 2")).toEqual([1, 2, 1, 2]);
  expect(parseSpacing("1 2 3")).toEqual([1, 2, 3, 2]);
  expect(parseSpacing("1 2 3 4")).toEqual([1, 2, 3, 4]);
  expect(parseSpacing("x")).toEqual([0, 0, 0, 0]);
});

test("a rounded box with padding, no colour", () => {
  expect(drawBox("hi\nthere", { border: "rounded", padding: [0, 1, 0, 1] }, false)).toBe("╭───────╮\n│ hi    │\n│ there │\n╰───────╯");
});

test("width wraps words inside the padding and centre alignment splits the gap", () => {
  const box = drawBox("one two three", { border: "normal", width: 9, padding: [0, 1, 0, 1], align: "center" }, false);
  // 9 columns less 1 + 1 of padding leaves 7: "one two" fits, "three" wraps and is centred.
  expect(box).toBe("┌─────────┐\n│ one two │\n│  three  │\n└─────────┘");
});

test("colours and attributes only when colour is on", () => {
  const plain = drawBox("x", { bold: true, foreground: "#ff0000" }, false);
  expect(plain).toBe("x");
  const coloured = drawBox("x", { bold: true, foreground: "#ff0000" }, true);
  expect(coloured).toBe("\x1b[1;38;2;255;0;0mx\x1b[0m");
  expect(colourCode("212", "bg")).toBe("48;5;212");
  expect(colourCode("nonsense", "fg")).toBeUndefined();
});

test("margin and height", () => {
  expect(drawBox("x", { margin: [1, 0, 0, 2], height: 2 }, false)).toBe("\n  x\n");
});
