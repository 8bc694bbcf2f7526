import { describe, expect, test } from "bun:test";
import { parseArgs as cittyParseArgs } from "citty";
import type { ArgsDef, CommandDef } from "./command.ts";
import { parseArgs } from "./parse-args.ts";
import { checkArgs } from "./strict-args.ts";

/** Every command's definition, as main.ts loads them. */
const commands: Record<string, () => Promise<unknown>> = {
  init: () => import("./init.ts").then((m) => m.default),
  workflow: () => import("./workflow.ts").then((m) => m.default),
  list: () => import("./list.ts").then((m) => m.default),
  validate: () => import("./validate.ts").then((m) => m.default),
  describe: () => import("./describe.ts").then((m) => m.default),
  prune: () => import("./prune.ts").then((m) => m.default),
  serve: () => import("./serve.ts").then((m) => m.default),
  schema: () => import("./schema.ts").then((m) => m.default),
  completion: () => import("./completion.ts").then((m) => m.completionCommand({})),
  __complete: () => import("./complete.ts").then((m) => m.default),
};

/** Command lines for `defs`: each flag in each of its forms, alone, repeated, negated, mixed with positionals and `--`. */
function commandLines(defs: ArgsDef): string[][] {
  const lines: string[][] = [[], ["one"], ["one", "two"], ["--", "-x", "y"], ["one", "--", "--no-such"], ["-"]];
  const forms: string[][] = [];
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const alias = (def as { alias?: string | string[] }).alias;
    const names = [`--${name}`, ...(alias === undefined ? [] : Array.isArray(alias) ? alias : [alias]).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
    for (const flag of names) {
      if (def.type === "boolean") forms.push([flag], [`--no-${name}`, flag], [flag, `--no-${name}`]);
      else forms.push([flag, "v1"], [flag, "-"], [flag, ""], [flag, "v1", flag, "v2"], [`--${name}=a=b`], [`--${name}=`]);
    }
  }
  for (const form of forms) lines.push(form, ["one", ...form], [...form, "one"], [...form, "--", "rest"]);
  for (let i = 0; i + 1 < forms.length; i++) lines.push([...forms[i]!, "one", ...forms[i + 1]!]);
  lines.push(forms.flat());
  return lines;
}

/** The outcome as a plain value: the args (undefined-valued keys kept) or the error's name, code and message. */
function outcome(parse: () => Record<string, unknown>): unknown {
  try {
    return { ...parse() };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { error: [e.name, e.code, e.message] };
  }
}

describe("parseArgs gives citty's result for every command line checkArgs accepts", () => {
  for (const [name, load] of Object.entries(commands)) {
    test(name, async () => {
      const command = (await load()) as CommandDef;
      const defs = (typeof command.args === "function" ? await command.args() : await command.args) ?? {};
      let compared = 0;
      for (const line of commandLines(defs)) {
        try {
          checkArgs(name, defs, line);
        } catch {
          continue; // refused before anything parses it
        }
        compared++;
        expect({ line, result: outcome(() => parseArgs(line, defs)) }).toStrictEqual({ line, result: outcome(() => cittyParseArgs(line, defs) as Record<string, unknown>) });
      }
      expect(compared).toBeGreaterThan(Object.keys(defs).length);
    });
  }
});

test("a missing required positional is citty's usage error", () => {
  expect(() => parseArgs([], { name: { type: "positional", required: true } })).toThrow("Missing required positional argument: NAME");
});
