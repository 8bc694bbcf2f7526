import { expect, test } from "bun:test";
import { YamlSource } from "./yaml-source.ts";

const text = "workflows:\n  w:\n    steps:\n      - name: a\n        command: x\n";

test("positions of keys and values, with the nearest ancestor for a missing path", () => {
  const source = new YamlSource(text);
  expect(source.value).toEqual({ workflows: { w: { steps: [{ name: "a", command: "x" }] } } });
  expect(source.position(["workflows", "w", "steps", 0, "command"])).toEqual({ line: 5, col: 18 });
  expect(source.position(["workflows", "w", "steps", 0, "command"], "key")).toEqual({ line: 5, col: 9 });
  expect(source.position(["workflows", "w", "steps", 0, "nope"])).toEqual({ line: 4, col: 9 });
});

test("syntax errors carry positions; a known value defers parsing until a position is asked", () => {
  expect(new YamlSource("a: [1\n").syntaxErrors[0]).toMatchObject({ line: 2, col: 1 });
  const deferred = new YamlSource(text, { cached: true });
  expect(deferred.value).toEqual({ cached: true });
  expect(deferred.position(["workflows", "w"])).toEqual({ line: 3, col: 5 });
});
