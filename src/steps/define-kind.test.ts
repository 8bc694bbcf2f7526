import { expect, test } from "bun:test";
import * as v from "valibot";
import { LEAF } from "./behaviours.ts";
import { defineKind } from "./define-kind.ts";
import type { BuildContext, StepKind } from "./kind.ts";
import { stepSchema } from "./schema.ts";
import type { StepBase } from "../workflow/types.ts";

/** A kind that exists only here: its fields differ by placement, and `build` tells them apart by type. */
interface EchoStep extends StepBase {
  type: "echo";
  text: string;
  times: number;
}
const topFields = { text: v.string(), times: v.optional(v.number(), 1) };
const childFields = { text: v.string() };

const echo: StepKind<EchoStep, null> = defineKind({
  type: "echo",
  summary: "test only",
  behaviours: { ...LEAF, timeout: false, retry: false },
  fields: topFields,
  childFields,
  build(fields, base) {
    // `fields` is the union of the two outputs: `times` exists (a number, defaulted) only on the top-level one.
    const times = "times" in fields ? fields.times : 1;
    // @ts-expect-error a field the kind does not declare is a type error, not an `unknown` to cast
    void fields.missing;
    return { ...base, type: "echo", text: fields.text, times };
  },
  templates: () => [],
  plan: () => null,
  describe: (planned) => `echo ${planned.step.text}`,
  view: (planned) => ({ name: planned.name, type: "echo" }),
  viewText: () => ({ head: "echo", lines: [] }),
  run: async () => ({ status: "succeeded", exitCode: 0 }),
});

const base: StepBase = { name: "e", type: "echo", source: { file: "w.yaml", line: 1, col: 1 }, sourceOf: () => ({ file: "w.yaml", line: 1, col: 1 }), needs: [], outputs: {} };
const ctx = {} as BuildContext;

test("build receives the output of the kind's own schema, defaults applied", () => {
  const parsed = v.parse(stepSchema(echo, "top"), { type: "echo", text: "hi" }) as { text: string; times: number };
  expect(echo.build(parsed, base, ctx)).toMatchObject({ type: "echo", text: "hi", times: 1 });
});

test("fields may depend on placement: each placement's schema has its own entries", () => {
  expect(v.safeParse(stepSchema(echo, "top"), { type: "echo", text: "hi", times: 3 }).success).toBe(true);
  expect(v.safeParse(stepSchema(echo, "child"), { type: "echo", text: "hi", times: 3 }).success).toBe(false);
});

test("entries given once (here as a function) become the contract's fields() for every placement", () => {
  const fixed: StepKind<EchoStep, null> = defineKind({ ...echo, fields: () => topFields, build: (fields, b) => ({ ...b, type: "echo", text: fields.text, times: fields.times }) });
  expect(Object.keys(fixed.fields("child"))).toEqual(["text", "times"]);
});
