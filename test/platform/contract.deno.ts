/**
 * The platform contract under Deno: `deno test -A --no-check test/platform/contract.deno.ts`.
 */
import { platform } from "../../src/platform/index.ts";
import { platformContract } from "./contract.ts";

const Deno = (globalThis as unknown as { Deno: { test(options: { name: string; fn: () => unknown; sanitizeOps: boolean; sanitizeResources: boolean }): void; env: { get(name: string): string | undefined } } }).Deno;

platformContract(platform, {
  test: (name, fn) => Deno.test({ name: `deno: ${name}`, fn, sanitizeOps: false, sanitizeResources: false }),
  equal(actual, expected, message) {
    const a = JSON.stringify(actual);
    const b = JSON.stringify(expected);
    if (a !== b) throw new Error(`${message ? `${message}: ` : ""}expected ${b}, got ${a}`);
  },
  // Started by the Bun suite (contract.bun.test.ts), which runs this file.
  postgresUrl: Deno.env.get("MUSTER_CONTRACT_POSTGRES_URL") ?? "postgres://unset@127.0.0.1:1/none",
});
