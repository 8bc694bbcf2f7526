/**
 * Reading the record a suspended run left: the question it asks is the
 * run's own writing, so only its known fields, of the known types and
 * bounded, are taken; anything else refuses the suspension (the run fails).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeJournalDir, readSuspension } from "./suspended-run.ts";

const root = mkdtempSync(join(tmpdir(), "muster-suspended-run-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ID = "20261202-160000-abcd";
const START = { t: "start", v: 1, id: ID, status: "running", project: "/c", file: "/c/w.yaml", fileShown: "w.yaml", workflow: "gate", digest: { workflow: "x", steps: [] }, vars: {}, answers: {}, startedAt: "2026-12-02T16:00:00.000Z", updatedAt: "2026-12-02T16:00:00.000Z" };
const ASKED = { step: "approve", type: "confirm", prompt: "Apply?", default: "no", since: "2026-12-02T16:00:01.000Z", digest: "a".repeat(64), check: { step: { name: "approve", type: "confirm" }, texts: { prompt: "Apply?" } } };
/** The suspension read from a journal dir holding one record waiting at `waitingFor`. */
function read(waitingFor: unknown) {
  const dir = makeJournalDir(mkdtempSync(join(root, "run-")));
  writeFileSync(join(dir, `${ID}.jsonl`), `${JSON.stringify(START)}\n${JSON.stringify({ t: "waiting", waitingFor, at: "x" })}\n`);
  return readSuspension(dir, "/c");
}

test("a well-formed question is read (its since may be missing: the runner sets its own)", () => {
  const found = read(ASKED);
  expect(typeof found).not.toBe("string");
  expect(found).toMatchObject({ waitingFor: { step: "approve", type: "confirm", digest: "a".repeat(64) }, journalId: ID });
  expect(typeof read({ ...ASKED, since: undefined })).not.toBe("string");
});

test.each([
  ["an unknown field", { ...ASKED, evil: "<script>" }, "evil"],
  ["a since that is not a string", { ...ASKED, since: {} }, "since"],
  ["a prompt that is not a string", { ...ASKED, prompt: ["x"] }, "prompt"],
  ["a missing digest", { ...ASKED, digest: undefined }, "digest"],
  ["a digest that is not one", { ...ASKED, digest: "0".repeat(63) + "g" }, "digest"],
  ["options that are not strings", { ...ASKED, options: ["a", 1] }, "options"],
  ["a default that is not a string", { ...ASKED, default: 5 }, "default"],
  ["texts that are not strings", { ...ASKED, check: { ...ASKED.check, texts: { prompt: {} } } }, "check"],
  ["a check with more than step and texts", { ...ASKED, check: { ...ASKED.check, more: 1 } }, "check"],
  ["a step name past the bound", { ...ASKED, step: "s".repeat(300) }, "step"],
  ["a prompt past the bound", { ...ASKED, prompt: "p".repeat(70_000) }, "prompt"],
])("a question with %s is refused, naming the field", (_what, waitingFor, field) => {
  const found = read(waitingFor);
  expect(typeof found).toBe("string");
  expect(found as string).toContain(field);
});
