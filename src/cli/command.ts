/**
 * What a muster command is: citty's command shape (its types only), with
 * `defineCommand` and the dispatch here. Importing citty itself costs every
 * start-up its `node:util` (2-3 ms measured on the compiled binary, `--version`
 * included), so citty is loaded only to render `--help`.
 *
 * @example
 * ```ts
 * const hello = defineCommand({ meta: { name: "hello" }, args: { who: { type: "positional" } }, run: ({ args }) => (args.who ? 0 : 2) });
 * await runCommand(hello, ["world"]); // 0
 * ```
 * @module
 */
import type { ArgsDef, CommandContext, CommandDef } from "citty";
import { parseArgs } from "./parse-args.ts";

export type { ArgsDef, CommandDef } from "citty";

/** Types a command definition (as citty's `defineCommand` does; nothing is loaded). */
export function defineCommand<const T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}

/** A command's argument definitions (citty allows them to be lazy). */
export async function resolveArgs(command: CommandDef): Promise<ArgsDef> {
  const args = command.args;
  return (typeof args === "function" ? await args() : await args) ?? {};
}

/**
 * Parses `rawArgs` against the command's arguments and runs it; returns what
 * `run` returned (muster's commands return their exit code). muster's commands
 * have no subcommands, `setup` or `cleanup` of their own.
 */
export async function runCommand(command: CommandDef, rawArgs: string[]): Promise<unknown> {
  // The same object citty's parser gives (parse-args.test.ts compares them), so citty's type holds.
  const args = parseArgs(rawArgs, await resolveArgs(command)) as CommandContext["args"];
  return command.run?.({ rawArgs, args, cmd: command, data: undefined });
}
