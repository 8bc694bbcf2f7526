/**
 * Refusing what citty would let through: an unknown or mistyped flag, an
 * extra argument, a flag that takes a value given another flag instead
 * (`-s -f deploy`). A mistyped flag must never run anything, so every
 * command's arguments are checked against its definition before it runs.
 * @module
 */
import type { ArgsDef } from "citty";
import { UsageError } from "../errors.ts";
import { suggest } from "../workflow/diagnostics.ts";

interface FlagSpec {
  name: string;
  takesValue: boolean;
  /** A boolean flag with a `valueHint` may also be written `--flag=VALUE` (`--resume`, `--resume=RUN`). */
  optionalValue?: boolean;
}

/**
 * Checks `rawArgs` (after the command name) against `args`; throws a
 * `UsageError` (exit 2) naming the first problem, with a "did you mean".
 *
 * @example
 * ```ts
 * checkArgs("workflow", workflowArgs, ["deploy", "--dryrun"]);
 * // UsageError: unknown flag "--dryrun" for "muster workflow"; did you mean "--dry-run"? ...
 * ```
 */
export function checkArgs(command: string, args: ArgsDef, rawArgs: readonly string[]): void {
  const flags = new Map<string, FlagSpec>();
  const positionals: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals.push(name);
      continue;
    }
    const spec = { name, takesValue: def.type !== "boolean", optionalValue: def.type === "boolean" && def.valueHint !== undefined };
    flags.set(`--${name}`, spec);
    if (def.type === "boolean") flags.set(`--no-${name}`, spec);
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const alias of aliases) flags.set(alias.length === 1 ? `-${alias}` : `--${alias}`, spec);
  }
  const help = `run "muster ${command} --help" for usage`;
  let seenPositionals = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") {
      seenPositionals += rawArgs.length - i - 1;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      seenPositionals++;
      if (seenPositionals > positionals.length) {
        const takes = positionals.length === 0 ? "takes no arguments" : `takes ${positionals.length === 1 ? "one argument" : `${positionals.length} arguments`} (${positionals.join(", ")})`;
        throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: "muster ${command}" ${takes}; ${help}`);
      }
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const spec = flags.get(flag);
    if (!spec) {
      const known = [...new Set([...flags.keys()].filter((f) => !f.startsWith("--no-")))];
      const hint = suggest(flag, known);
      const none = known.length === 0 ? `; "muster ${command}" takes no flags` : hint ? `; did you mean "${hint}"?` : "";
      throw new UsageError(`unknown flag ${JSON.stringify(flag)} for "muster ${command}"${none} (nothing was run; ${help})`);
    }
    if (!spec.takesValue) {
      if (flag !== arg && !(spec.optionalValue && flag === `--${spec.name}`)) throw new UsageError(`${flag} takes no value (got ${JSON.stringify(arg)}); ${help}`);
      continue;
    }
    if (flag !== arg) continue; // --name=value
    const value = rawArgs[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value; ${help}`);
    if (value.startsWith("-") && value !== "-") {
      throw new UsageError(`${flag} needs a value, but the next argument ${JSON.stringify(value)} is a flag (write ${flag}=${value} if you mean it); ${help}`);
    }
    i++;
  }
}
