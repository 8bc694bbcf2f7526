/**
 * Pieces shared by several commands: the common flags, loading the project,
 * and turning `--var KEY=VALUE` into a map.
 * @internal
 * @module
 */
import { resolve } from "node:path";
import { findProject, type Project } from "../load/discover.ts";
import { UsageError } from "../errors.ts";
import { platform } from "../platform/index.ts";
import { stderr } from "../output/terminal.ts";

/** `-f FILE` */
export const fileArg = {
  type: "string",
  alias: "f",
  description: "Workflow file: absolute, or relative to the workflows directory (.yaml added when missing)",
  valueHint: "FILE",
} as const;

/** `-C DIR` */
export const dirArg = {
  type: "string",
  alias: "C",
  description: "Run as if muster was started in DIR",
  valueHint: "DIR",
} as const;

/** `--json` */
export const jsonArg = { type: "boolean", description: "Print JSON instead of text" } as const;

/** Finds the project for `-C` (or the current directory). */
export async function loadProject(dir: string | undefined): Promise<Project> {
  const project = await findProject(resolve(platform.cwd(), dir ?? "."), platform.env());
  for (const warning of project.warnings ?? []) await stderr.write(`${stderr.colors.yellow("!")} ${warning}\n`);
  return project;
}

/**
 * Collects every `--var KEY=VALUE` (and `--var=KEY=VALUE`) from raw arguments;
 * citty keeps only the last value of a repeated flag.
 *
 * @example
 * ```ts
 * parseVars(["deploy", "--var", "a=1", "--var=b=x=y"]); // { a: "1", b: "x=y" }
 * ```
 */
export function parseVars(rawArgs: string[]): Record<string, string> {
  return collectPairs(rawArgs, "--var", (key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key), "KEY made of letters, digits and _");
}

/**
 * The vars `muster serve` hands a run without putting them on its argv
 * (where every local user could read them): with `MUSTER_VARS_FROM_ENV=1`,
 * every `MUSTER_VAR_<KEY>` is taken as `--var KEY=value` (a `--var` on the
 * command line still wins). Empty without the switch.
 *
 * @example
 * ```ts
 * varsFromEnv({ MUSTER_VARS_FROM_ENV: "1", MUSTER_VAR_who: "$(id)" }); // { who: "$(id)" }
 * varsFromEnv({ MUSTER_VAR_who: "x" }); // {}
 * ```
 */
export function varsFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  if (env.MUSTER_VARS_FROM_ENV !== "1") return {};
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const key = name.startsWith("MUSTER_VAR_") ? name.slice("MUSTER_VAR_".length) : "";
    if (value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) vars[key] = value;
  }
  return vars;
}

/**
 * The answers a dispatched run gets from its runner (never on argv, which
 * other local users read): `MUSTER_ANSWERS`, a JSON object of strings, read
 * only under `MUSTER_VARS_FROM_ENV=1`. Anything else there is refused.
 *
 * @example
 * ```ts
 * answersFromEnv({ MUSTER_VARS_FROM_ENV: "1", MUSTER_ANSWERS: '{"approve":"yes"}' }); // { approve: "yes" }
 * ```
 */
export function answersFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  if (env.MUSTER_VARS_FROM_ENV !== "1" || !env.MUSTER_ANSWERS) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.MUSTER_ANSWERS);
  } catch {
    parsed = undefined;
  }
  const ok = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === "string");
  if (!ok) throw new UsageError("MUSTER_ANSWERS: expected a JSON object of step names to string answers");
  return Object.fromEntries(Object.entries(parsed as Record<string, string>).filter(([name]) => name !== ""));
}

/**
 * Collects every `--answer NAME=VALUE` (repeatable): the value of the prompt
 * step NAME. The value may be empty; it runs to the end (it may hold `=`).
 *
 * @example
 * ```ts
 * parseAnswers(["deploy", "--answer", "env=prod", "--answer=ok=yes"]); // { env: "prod", ok: "yes" }
 * ```
 */
export function parseAnswers(rawArgs: string[]): Record<string, string> {
  return collectPairs(rawArgs, "--answer", (key) => key !== "", "NAME the name of a prompt step");
}

/** Every `FLAG KEY=VALUE` and `FLAG=KEY=VALUE` in `rawArgs`, checked by `validKey`. */
function collectPairs(rawArgs: string[], flag: string, validKey: (key: string) => boolean, keyRule: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    let pair: string | undefined;
    if (arg === flag) pair = rawArgs[++i];
    else if (arg.startsWith(`${flag}=`)) pair = arg.slice(flag.length + 1);
    else continue;
    if (pair === undefined) throw new UsageError(`${flag} needs KEY=VALUE`);
    const eq = pair.indexOf("=");
    const key = eq < 0 ? "" : pair.slice(0, eq);
    if (eq < 0 || !validKey(key)) throw new UsageError(`${flag} ${JSON.stringify(pair)}: expected ${flag === "--var" ? "KEY" : "NAME"}=VALUE with ${keyRule}`);
    pairs[key] = pair.slice(eq + 1);
  }
  return pairs;
}
