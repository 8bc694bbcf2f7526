import { expect, test } from "bun:test";
import { parseAnswerBody, parseDispatch } from "./dispatch-schema.ts";

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

test("answers and notifyUrl: a map of step names to strings, and a URL; the answers body of a waiting run", () => {
  expect(parseDispatch({ ...valid, answers: { approve: "yes", "pick-env": "prod" }, notifyUrl: "https://hooks.example/waiting" }).ok).toBe(true);
  const bad = parseDispatch({ ...valid, answers: { approve: true, "bad name": "x", ok: "a\u0000b" }, notifyUrl: "not a url" });
  expect(bad.ok).toBe(false);
  if (!bad.ok) for (const f of ["answers.approve", "answers.bad name", "answers.ok", "notifyUrl"]) expect(bad.errors.map((e) => e.field)).toContain(f);
  const reserved = parseDispatch(JSON.parse(`{"runId":"r1","workflow":"deploy","callbackUrl":"https://hooks.example/cb","answers":{"__proto__":"x"}}`));
  expect(reserved.ok === false && reserved.errors[0]!.field).toBe("answers.__proto__");

  expect(parseAnswerBody({ answers: { approve: "yes" }, digest: "a".repeat(64) })).toEqual({ ok: true, answers: { approve: "yes" }, digest: "a".repeat(64) });
  const wrong = parseAnswerBody({ answers: { approve: 1 }, digest: "xyz", more: 1 });
  expect(wrong.ok).toBe(false);
  if (!wrong.ok) expect(wrong.errors.map((e) => e.field).sort()).toEqual(["answers.approve", "digest", "more"]);
  expect(parseAnswerBody({}).ok).toBe(false);
});
