/**
 * The platform contract under Bun, and (through `deno test`) under Deno.
 */
import { afterAll, expect, test } from "bun:test";
import { platform } from "../../src/platform/index.ts";
import { repoRoot } from "../helpers.ts";
import { startPostgres } from "../postgres.ts";
import { platformContract } from "./contract.ts";

const postgres = await startPostgres();
const postgresUrl = await postgres.database("contract");
afterAll(() => postgres.stop());

platformContract(platform, {
  test: (name, fn) => test(`bun: ${name}`, fn),
  equal: (actual, expected, message) => expect(actual, message).toEqual(expected as never),
  postgresUrl,
});

test("deno: the same contract passes under Deno", async () => {
  const proc = Bun.spawn([`${repoRoot}/node_modules/.bin/deno`, "test", "-A", "--no-check", "test/platform/contract.deno.ts"], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", MUSTER_CONTRACT_POSTGRES_URL: postgresUrl },
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, out: code === 0 ? "" : out + err }).toEqual({ code: 0, out: "" });
  expect(out).toMatch(/ok \| 20 passed \| 0 failed/);
});
