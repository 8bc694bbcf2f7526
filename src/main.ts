#!/usr/bin/env -S deno run -A
/**
 * muster's entry point: wires the commands and turns errors into exit codes.
 * Commands are imported lazily so that `--version` and `--help` start fast;
 * citty (and its `node:util`) only for `--help`.
 * @module
 */
import { type CommandDef, defineCommand, resolveArgs, runCommand } from "./cli/command.ts";
import { suggest } from "./workflow/diagnostics.ts";
import { checkArgs } from "./cli/strict-args.ts";
import { DiscoveryError, MusterError } from "./errors.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.ts";
import { shouldColor } from "./output/colors.ts";
import { platform } from "./platform/index.ts";
import { COMMIT, VERSION } from "./version.ts";

const encoder = new TextEncoder();
const say = (fd: 1 | 2, text: string) => platform.write(fd, encoder.encode(text));

const main = defineCommand({
  meta: { name: "muster", version: VERSION, description: "Run Atmos-format workflow files: fast, readable and safe" },
  subCommands: {
    init: () => import("./cli/init.ts").then((m) => m.default),
    workflow: () => import("./cli/workflow.ts").then((m) => m.default),
    list: () => import("./cli/list.ts").then((m) => m.default),
    validate: () => import("./cli/validate.ts").then((m) => m.default),
    describe: () => import("./cli/describe.ts").then((m) => m.default),
    runs: () => import("./cli/runs.ts").then((m) => m.default),
    prune: () => import("./cli/prune.ts").then((m) => m.default),
    serve: () => import("./cli/serve.ts").then((m) => m.default),
    schema: () => import("./cli/schema.ts").then((m) => m.default),
    completion: () => import("./cli/completion.ts").then((m) => m.completionCommand(completable())),
    __complete: () => import("./cli/complete.ts").then((m) => m.default),
  },
});

/** The subcommands completion knows about (not itself or the hidden helper). */
function completable(): Record<string, () => Promise<CommandDef>> {
  const { completion: _, __complete: __, ...rest } = main.subCommands as Record<string, () => Promise<CommandDef>>;
  return rest;
}

/** Finds the (sub)command `rawArgs` addresses, for usage output. */
async function commandFor(rawArgs: string[]): Promise<CommandDef> {
  const name = rawArgs.find((a) => !a.startsWith("-"));
  const subs = main.subCommands as Record<string, () => Promise<CommandDef>>;
  return name && subs[name] ? subs[name]() : main;
}

async function run(rawArgs: string[]): Promise<number> {
  if (rawArgs[0] === "--version" || rawArgs[0] === "-v") {
    await say(1, `muster ${VERSION} (${COMMIT})\n`);
    return EXIT_OK;
  }
  if (rawArgs.length === 0 || rawArgs.includes("--help") || rawArgs.includes("-h")) {
    const cmd = await commandFor(rawArgs);
    // The top-level help lists the commands from their summaries: no command module is loaded for it.
    const { SUMMARIES } = await import("./cli/summaries.ts");
    const listed = { ...main, subCommands: Object.fromEntries(Object.entries(SUMMARIES).map(([name, description]) => [name, { meta: { name, description } }])) };
    const { renderUsage } = await import("citty");
    const usage = await renderUsage(cmd === main ? listed : cmd, cmd === main ? undefined : listed);
    // citty colours unconditionally; we colour only where stdout is a terminal (and honour NO_COLOR/FORCE_COLOR).
    const colored = shouldColor(platform.env(), platform.isTerminal(1));
    const serveEnv = rawArgs[0] === "serve" ? (await import("./cli/serve-help.ts")).SERVE_ENVIRONMENT : "";
    const { wrapUsage } = await import("./cli/usage-text.ts");
    const text = wrapUsage(`${usage}${serveEnv}`, platform.columns(1) ?? 80);
    await say(1, `${colored ? text : text.replace(/\x1b\[[0-9;]*m/g, "")}\n`);
    return rawArgs.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  const [name = "", ...rest] = rawArgs;
  const subs = main.subCommands as Record<string, () => Promise<CommandDef>>;
  if (!Object.hasOwn(subs, name)) {
    const visible = Object.keys(subs).filter((n) => !n.startsWith("__"));
    const hint = suggest(name, visible);
    await say(2, `muster: unknown command "${name}"${hint ? `; did you mean "${hint}"?` : ""} (expected one of: ${visible.join(", ")})\nRun 'muster --help' for usage.\n`);
    return EXIT_USAGE;
  }
  try {
    const command = await subs[name]!();
    // Unknown flags, extra arguments and flags given as values are refused before anything runs.
    checkArgs(name, await resolveArgs(command), rest);
    const result = await runCommand(command, rest);
    return typeof result === "number" ? result : EXIT_OK;
  } catch (error) {
    if (error instanceof MusterError) {
      await say(2, `muster: ${error.message}\n`);
      // On CI, positioned problems also become annotations on the file and line.
      if (error instanceof DiscoveryError && error.diagnostics.length > 0) {
        const { detectCi } = await import("./output/ci/providers.ts");
        const ci = detectCi(platform.env());
        for (const d of ci ? error.diagnostics : []) {
          await say(1, ci!.provider.error({ title: "muster: invalid workflow", message: d.message, file: d.file, line: d.line, col: d.col }));
        }
      }
      return error.exitCode;
    }
    // Usage errors worded as citty's (a missing positional argument).
    const err = error as Error & { code?: string };
    if (err.name === "CLIError" || err.code === "E_UNKNOWN_COMMAND" || err.code === "EARG") {
      await say(2, `muster: ${err.message}\nRun 'muster --help' for usage.\n`);
      return EXIT_USAGE;
    }
    await say(2, `muster: internal error: ${err.stack ?? err.message}\n`);
    return EXIT_FAILURE;
  }
}

// No top-level await: it keeps the entry compatible with `bun build --bytecode`.
void run(platform.args()).then((code) => platform.exit(code));
