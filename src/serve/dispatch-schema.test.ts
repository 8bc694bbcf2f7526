import { expect, test } from "bun:test";
import { parseDispatch } from "./dispatch-schema.ts";

const valid = { runId: "run-1", workflow: "deploy", stack: "tenant-42", vars: { region: "eu-west-1" }, callbackUrl: "https://hooks.example/cb", callbackToken: "t" };

test("a valid dispatch passes", () => {
  expect(parseDispatch(valid)).toEqual({ ok: true, dispatch: valid });
});

test("hostile values are refused field by field", () => {
  const result = parseDispatch({ ...valid, runId: "-x", workflow: "a;b", file: "../../etc/passwd", stack: "--help", vars: { "a-b": "1", ok: "x".repeat(5000) }, extra: true });
  expect(result.ok).toBe(false);
  if (result.ok) return;
  const fields = result.errors.map((e) => e.field);
  for (const f of ["runId", "workflow", "file", "stack", "vars.a-b", "vars.ok", "extra"]) expect(fields).toContain(f);
  expect(parseDispatch({}).ok).toBe(false);
  expect(parseDispatch([1]).ok).toBe(false);
});

test("vars named __proto__, constructor or prototype are refused by name, not dropped", () => {
  for (const name of ["__proto__", "constructor", "prototype"]) {
    const result = parseDispatch(JSON.parse(`{"runId":"r1","workflow":"deploy","callbackUrl":"https://hooks.example/cb","vars":{"ok":"1","${name}":"x"}}`));
    expect(result.ok).toBe(false);
    if (result.ok) continue;
    expect(result.errors).toEqual([{ field: `vars.${name}`, message: expect.stringContaining("is reserved") }]);
  }
});
