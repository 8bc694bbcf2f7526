/**
 * Atmos auth identities (`identity:` on a step): muster does not implement
 * Atmos' auth manager; it asks the `atmos` executable for the identity's
 * environment (`atmos auth env --identity NAME --format json --login`,
 * which uses cached credentials first) once per run and identity, and adds
 * it last to the environment of the step's processes, as Atmos does.
 * @module
 */
import { StepFailure } from "../errors.ts";
import { EXIT_FAILURE } from "../exit-codes.ts";
import type { Cancellation } from "./cancellation.ts";
import { runProcess } from "./run-process.ts";

const known = new Map<string, Promise<Record<string, string>>>();

/**
 * The environment variables of an Atmos identity (cached for the run).
 *
 * @example
 * ```ts
 * const creds = await identityEnv("prod-admin", { atmosBin: "atmos", env, cancellation });
 * creds.AWS_PROFILE; // as atmos auth env says
 * ```
 */
export function identityEnv(identity: string, options: { atmosBin: string; env: Record<string, string>; cancellation: Cancellation }): Promise<Record<string, string>> {
  const key = `${options.atmosBin}\0${identity}`;
  let pending = known.get(key);
  if (!pending) {
    pending = fetchIdentityEnv(identity, options);
    known.set(key, pending);
    pending.catch(() => known.delete(key)); // a failure is not remembered: a later step may ask again
  }
  return pending;
}

async function fetchIdentityEnv(identity: string, options: { atmosBin: string; env: Record<string, string>; cancellation: Cancellation }): Promise<Record<string, string>> {
  const decoder = new TextDecoder();
  let stdout = "";
  let stderr = "";
  const argv = [options.atmosBin, "auth", "env", "--identity", identity, "--format", "json", "--login"];
  const outcome = await runProcess(argv, {
    env: options.env,
    stdin: "inherit", // a login may ask for a code on the terminal
    stdout: (c) => void (stdout += decoder.decode(c, { stream: true })),
    stderr: (c) => void (stderr += decoder.decode(c, { stream: true })),
    graceMs: 2000,
    cancellation: options.cancellation,
  }).catch((error: Error) => {
    throw new StepFailure(`identity "${identity}": cannot run ${options.atmosBin} (${error.message}); muster gets identities from Atmos' CLI (expected atmos on PATH, or ATMOS_BIN)`, EXIT_FAILURE);
  });
  if (outcome.code !== 0) {
    const tail = stderr.trim().split("\n").slice(-3).join("; ");
    throw new StepFailure(`identity "${identity}": atmos auth env exited with ${outcome.code}${tail ? `: ${tail}` : ""}`, EXIT_FAILURE);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new StepFailure(`identity "${identity}": atmos auth env --format json printed no JSON object`, EXIT_FAILURE);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new StepFailure(`identity "${identity}": atmos auth env --format json printed no JSON object`, EXIT_FAILURE);
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** The environment of a step's processes: muster's, the step's own, then the identity's credentials. */
export async function processEnv(step: { identity?: string }, stepEnv: Record<string, string>, run: { env: Record<string, string>; atmosBin: string; identity?: string }, cancellation: Cancellation): Promise<Record<string, string>> {
  const env = { ...run.env, ...stepEnv };
  const identity = step.identity ?? run.identity;
  if (identity === undefined) return env;
  return { ...env, ...(await identityEnv(identity, { atmosBin: run.atmosBin, env, cancellation })) };
}
