/**
 * `muster describe` plans every workflow of the Atmos files copied into
 * fixtures/atmos/ (the offline part of scripts/atmos-describe-survey.ts, which
 * runs the same over a whole Atmos checkout), except the two that Atmos' own
 * tests expect to be refused.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { musterBin, repoRoot } from "./helpers.ts";

test("describe plans every workflow in fixtures/atmos but no-steps and invalid-step-type", () => {
  const proc = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/atmos-describe-survey.ts"), join(repoRoot, "fixtures/atmos")], { env: { ...process.env, MUSTER_BIN: musterBin }, stdout: "pipe", stderr: "pipe" });
  const out = proc.stdout.toString();
  const failed = [...out.matchAll(/^ {2}(\S+#[^:]+):/gm)].map((m) => m[1]!);
  expect(failed).toEqual(["workflows/test.yaml#no-steps", "workflows/test.yaml#invalid-step-type"]);
  const [, planned, total] = /^(\d+) of (\d+) workflows planned/.exec(out) ?? [];
  expect(Number(total)).toBeGreaterThanOrEqual(80);
  expect(Number(planned)).toBe(Number(total) - failed.length);
}, 120_000);
