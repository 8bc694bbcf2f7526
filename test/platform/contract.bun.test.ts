/**
 * The platform contract under Bun, and (through `deno test`) under Deno.
 */
import { expect, test } from "bun:test";
import { platform } from "../../src/platform/index.ts";
import { repoRoot } from "../helpers.ts";
import { platformContract } from "./contract.ts";

platformContract(platform, {
  test: (name, fn) => test(`bun: ${name}`, fn),
  equal: (actual, expected, message) => expect(actual, message).toEqual(expected as never),
});

test("deno: the same contract passes under Deno", async () => {
  const proc = Bun.spawn([`${repoRoot}/node_modules/.bin/deno`, "test", "-A", "--no-check", "test/platform/contract.deno.ts"], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, out: code === 0 ? "" : out + err }).toEqual({ code: 0, out: "" });
  expect(out).toMatch(/ok \| 14 passed \| 0 failed/);
});
