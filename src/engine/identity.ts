/**
 * Atmos auth identities (`identity:` on a step): muster does not implement
 * Atmos' auth manager; it asks the `atmos` executable for the identity's
 * environment (`atmos auth env --identity NAME --format json --login`,
 * which uses cached credentials first) once per run and identity (under the
 * run's scope: see {@linkcode IdentityCache}), and adds
 * it last to the environment of the step's processes, as Atmos does.
 * @module
 */
import { StepFailure } from "../errors.ts";
import { EXIT_FAILURE } from "../exit-codes.ts";
import type { Cancellation } from "./cancellation.ts";

/** Where an identity's environment is fetched: once per run, under the run's own scope, not the first asking step's. */
export interface IdentityScope {
  atmosBin: string;
  /** The run's environment (muster's own): the fetch is shared, so no one step's `env:` goes into it. */
  env: Record<string, string>;
  /** The fetch's scope: canceled when the run ends or is forced, never by one step's timeout or a group's fail-fast. */
  cancellation: Cancellation;
  /** `null` when muster's stdin is not the user's terminal. */
  stdin?: "inherit" | "null";
}

/**
 * The run's identities (`atmos auth env`), each fetched once. A step that
 * is canceled while it waits stops waiting; the fetch goes on for the others.
 *
 * @example
 * ```ts
 * const identities = new IdentityCache({ atmosBin: "atmos", env, cancellation: new Cancellation() });
 * const creds = await identities.env("prod-admin", step.cancellation);
 * creds.AWS_PROFILE; // as atmos auth env says
 * ```
 */
export class IdentityCache {
  readonly #known = new Map<string, Promise<Record<string, string>>>();
  constructor(readonly scope: IdentityScope) {}

  /** The identity's variables; rejects when `waiter` is canceled first (the fetch is not). */
  env(identity: string, waiter: Cancellation): Promise<Record<string, string>> {
    let pending = this.#known.get(identity);
    if (!pending) {
      pending = fetchIdentityEnv(identity, this.scope);
      this.#known.set(identity, pending);
      pending.catch(() => this.#known.delete(identity)); // a failure is not remembered: a later step may ask again
    }
    if (waiter.canceled) return Promise.reject(new StepFailure(`identity "${identity}": ${waiter.reason}`, waiter.exitCode));
    return new Promise((resolve, reject) => {
      const stop = () => reject(new StepFailure(`identity "${identity}": ${waiter.reason}`, waiter.exitCode));
      waiter.signal.addEventListener("abort", stop, { once: true });
      pending.then(resolve, reject).finally(() => waiter.signal.removeEventListener("abort", stop));
    });
  }
}

async function fetchIdentityEnv(identity: string, options: IdentityScope): Promise<Record<string, string>> {
  const decoder = new TextDecoder();
  let stdout = "";
  let stderr = "";
  const argv = [options.atmosBin, "auth", "env", "--identity", identity, "--format", "json", "--login"];
  const { runProcess } = await import("./run-process.ts");
  const outcome = await runProcess(argv, {
    env: options.env,
    stdin: options.stdin ?? "inherit", // a login may ask for a code on the terminal
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

/**
 * The environment of a step's processes: muster's, the step's own, then the
 * identity's credentials, from the run's `identities` (without one, a
 * fetch of this step's own, under its own cancellation).
 */
export async function processEnv(
  step: { identity?: string },
  stepEnv: Record<string, string>,
  run: { env: Record<string, string>; atmosBin: string; identity?: string },
  cancellation: Cancellation,
  identities?: IdentityCache,
): Promise<Record<string, string>> {
  const env = { ...run.env, ...stepEnv };
  const identity = step.identity ?? run.identity;
  if (identity === undefined) return env;
  const cache = identities ?? new IdentityCache({ atmosBin: run.atmosBin, env, cancellation });
  return { ...env, ...(await cache.env(identity, cancellation)) };
}
