/**
 * Turning a command's raw arguments into its `args` object, with citty's
 * result for every command line {@linkcode checkArgs} lets through (a test
 * compares the two): values under the flag's name, its aliases and its
 * camelCase name; `--no-NAME` sets a boolean false (and wins); the last of a
 * repeated flag wins; defaults for flags not given; positionals by order.
 * Done here because citty's parser needs `node:util`, which costs every
 * start-up 2-3 ms, and converts names with a case library on each access.
 *
 * @example
 * ```ts
 * parseArgs(["deploy", "--dry-run", "-f", "w.yaml"], { name: { type: "positional" }, "dry-run": { type: "boolean" }, file: { type: "string", alias: "f" } });
 * // { _: ["deploy"], name: "deploy", "dry-run": true, dryRun: true, file: "w.yaml", f: "w.yaml" }
 * ```
 * @module
 */
import type { ArgsDef } from "citty";

/** A usage error as citty words and marks it (main.ts prints it with the pointer to --help). */
class CliError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = "CLIError";
  }
}

/** `dry-run` → `dryRun` (names are lowercase words joined by `-`). */
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

interface Flag {
  main: string;
  keys: string[];
  string: boolean;
}

/** Parses `rawArgs` (after the command name) for a command whose arguments are `defs`. */
export function parseArgs(rawArgs: readonly string[], defs: ArgsDef): Record<string, unknown> {
  const byName = new Map<string, Flag>();
  const positionals: Array<[string, { default?: unknown; required?: boolean }]> = [];
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") {
      positionals.push([name, def]);
      continue;
    }
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    const flag = { main: name, keys: [...new Set([name, ...aliases, camel(name)])], string: def.type === "string" || def.type === "enum" };
    for (const key of flag.keys) byName.set(key, flag);
  }
  const out: Record<string, unknown> = { _: [] };
  const positional = out._ as string[];
  const set = (flag: Flag, value: unknown) => {
    for (const key of flag.keys) out[key] = value;
  };
  const negated: Flag[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") {
      positional.push(...rawArgs.slice(i + 1));
      break;
    }
    if (arg.startsWith("--no-")) {
      const flag = byName.get(arg.slice(5));
      if (flag) negated.push(flag);
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(arg.startsWith("--") ? 2 : 1);
    const flag = byName.get(name);
    if (!flag) continue; // checkArgs refused it before
    if (eq > 0) set(flag, flag.string ? arg.slice(eq + 1) : arg.slice(eq + 1) !== "false");
    else if (!flag.string) set(flag, true);
    else if (i + 1 < rawArgs.length) set(flag, rawArgs[++i]);
    else set(flag, ""); // a string flag without its value (checkArgs refuses it)
  }
  for (const flag of negated) set(flag, false);
  for (const [name, def] of Object.entries(defs)) {
    const flag = byName.get(name);
    if (flag && out[name] === undefined && def.default !== undefined) set(flag, def.default);
  }
  let next = 0;
  for (const [name, def] of positionals) {
    const value = positional[next++];
    if (value !== undefined) out[name] = value;
    else if (def.default === undefined && def.required !== false) throw new CliError(`Missing required positional argument: ${name.toUpperCase()}`, "EARG");
    else out[name] = def.default;
  }
  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== "positional" && (def as { required?: boolean }).required && out[name] === undefined) throw new CliError(`Missing required argument: --${name}`, "EARG");
  }
  return out;
}
