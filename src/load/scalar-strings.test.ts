import { expect, test } from "bun:test";
import * as v from "valibot";
import { replaceAt, scalarsWhereStrings } from "./scalar-strings.ts";

test("numbers and booleans where only a string goes, through maps and lists; not where a number or boolean is taken", () => {
  const schema = v.strictObject({
    command: v.string(),
    words: v.union([v.string(), v.array(v.string())]),
    count: v.optional(v.number()),
    either: v.optional(v.union([v.string(), v.number()])),
    with: v.optional(v.strictObject({ tags: v.array(v.string()) })),
  });
  const value = { command: true, words: 3, count: 2, either: 4, with: { tags: ["a", 1.5] } };
  expect(scalarsWhereStrings(schema, value)).toEqual([["command"], ["words"], ["with", "tags", 1]]);
  expect(replaceAt(value, ["with", "tags", 1], "1.50")).toEqual({ ...value, with: { tags: ["a", "1.50"] } });
  expect(value.with.tags[1]).toBe(1.5);
});
