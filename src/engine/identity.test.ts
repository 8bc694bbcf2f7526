import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cancellation } from "./cancellation.ts";
import { IdentityCache, processEnv } from "./identity.ts";

const dir = mkdtempSync(join(tmpdir(), "muster-identity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake `atmos`: counts its calls, takes a moment (a login), prints the identity's variables. */
function fakeAtmos(): { bin: string; calls: () => number } {
  const bin = join(dir, `atmos-${crypto.randomUUID().slice(0, 8)}`);
  const count = `${bin}.calls`;
  writeFileSync(bin, `#!/bin/sh\necho x >> ${count}\nsleep 0.3\necho '{"AWS_PROFILE":"prod","FROM":"'"$FROM"'"}'\n`);
  chmodSync(bin, 0o755);
  return { bin, calls: () => { try { return readFileSync(count, "utf8").split("\n").filter(Boolean).length; } catch { return 0; } } };
}

test("the identity cache is not the first caller's: canceling the step that asked first leaves the fetch to the others (was: atmos auth env exited with 143)", async () => {
  const atmos = fakeAtmos();
  const run = new Cancellation();
  const identities = new IdentityCache({ atmosBin: atmos.bin, env: { PATH: "/usr/bin:/bin", FROM: "run" }, cancellation: run, stdin: "null" });
  const first = new Cancellation(run);
  const second = new Cancellation(run);
  const runEnv = { env: { PATH: "/usr/bin:/bin", FROM: "run" }, atmosBin: atmos.bin };
  const a = processEnv({ identity: "prod-admin" }, { FROM: "first step" }, runEnv, first, identities);
  const b = processEnv({ identity: "prod-admin" }, { FROM: "second step" }, runEnv, second, identities);
  first.cancel("SIGTERM", "fail_fast: a sibling failed");
  await expect(a).rejects.toThrow(/identity "prod-admin": fail_fast/);
  const env = await b;
  expect(env.AWS_PROFILE).toBe("prod");
  // Fetched once, with the run's environment, not the first step's.
  expect(env.FROM).toBe("run");
  expect(atmos.calls()).toBe(1);
  // Later steps reuse it.
  expect((await identities.env("prod-admin", new Cancellation(run))).AWS_PROFILE).toBe("prod");
  expect(atmos.calls()).toBe(1);
});

test("a canceled waiter reports the signal's exit code", async () => {
  const atmos = fakeAtmos();
  const identities = new IdentityCache({ atmosBin: atmos.bin, env: { PATH: "/usr/bin:/bin" }, cancellation: new Cancellation(), stdin: "null" });
  const waiter = new Cancellation();
  waiter.cancel("SIGINT", "interrupted");
  const error = await identities.env("x", waiter).catch((e: unknown) => e);
  expect((error as { exitCode?: number }).exitCode).toBe(130);
});
