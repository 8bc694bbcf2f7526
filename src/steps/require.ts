/**
 * `type: require` (alias `assert`): checks that `tools` are on the step's
 * PATH, `files` are files and `dirs` are directories (relative paths from
 * the project's base path, where shell steps run), each a template. Every
 * unmet requirement is listed in one error (exit 1) with the step's `hint`.
 * Stores "all requirements satisfied (...)" and the counts.
 * @module
 */
import * as v from "valibot";
import { EXIT_FAILURE } from "../exit-codes.ts";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { listOf, listTexts, type MessagePlan, messageParts, type MessageStep, textsOf, valued } from "./message.ts";

const KINDS = ["tools", "files", "dirs"] as const;
const plural = (n: number, word: string) => `${n} ${n === 1 ? word.slice(0, -1) : word}`;

/** The require step kind (`assert` is the same kind under another name). */
export function requireKind(type: "require" | "assert"): StepKind<MessageStep, MessagePlan> {
  return defineKind({
    type,
    summary: type === "require" ? "Check tools on PATH, files and directories (one aggregated error)" : "Same as require",
    ...messageParts<MessageStep>(type),
    produces: KINDS,
    fields: () => ({
      tools: v.optional(v.array(str, expect("a list of program names"))),
      files: v.optional(v.array(str, expect("a list of file paths"))),
      dirs: v.optional(v.array(str, expect("a list of directory paths"))),
      hint: v.optional(str),
    }),
    build(fields, base, ctx) {
      if (KINDS.every((k) => ((fields[k] as string[] | undefined) ?? []).length === 0)) {
        ctx.report([], `nothing to check (expected at least one of "tools", "files", "dirs")`);
        return undefined;
      }
      const texts = Object.assign({}, ...KINDS.map((k) => listTexts(k, fields[k] as string[] | undefined)), textsOf(fields, ["hint"]));
      return { ...base, type, texts };
    },
    describe: (planned) => `${type} ${KINDS.map((k) => listOf(planned.resolved.texts, k).join(" ")).filter(Boolean).join(", ")}`,
    async run(planned, ctx) {
      const { stat } = await import("node:fs/promises");
      const { isAbsolute, join } = await import("node:path");
      const { findExecutable } = await import("../engine/find-executable.ts");
      const texts = planned.resolved.texts;
      const path = (p: string) => (isAbsolute(p) ? p : join(ctx.run.baseDir, p));
      const kind = async (p: string) => (await stat(p).catch(() => undefined));
      const env = { ...ctx.run.env, ...(planned.step as { env?: Record<string, string> }).env };
      const onPath = async (tool: string) =>
        tool.includes("/") ? (await kind(path(tool)))?.isFile() ?? false : findExecutable(tool, env.PATH ?? "") !== undefined;
      const missing: string[] = [];
      const tools = listOf(texts, "tools");
      const files = listOf(texts, "files");
      const dirs = listOf(texts, "dirs");
      const absentTools = [];
      for (const tool of tools) if (!(await onPath(tool))) absentTools.push(tool);
      if (absentTools.length > 0) missing.push(`not on PATH: ${absentTools.join(", ")}`);
      const absentFiles = [];
      for (const file of files) if (!(await kind(path(file)))?.isFile()) absentFiles.push(file);
      if (absentFiles.length > 0) missing.push(`not a file: ${absentFiles.join(", ")}`);
      const absentDirs = [];
      for (const dir of dirs) if (!(await kind(path(dir)))?.isDirectory()) absentDirs.push(dir);
      if (absentDirs.length > 0) missing.push(`not a directory: ${absentDirs.join(", ")}`);
      if (missing.length > 0) {
        const error = `requirements not met: ${missing.join("; ")}${texts.hint ? `\nhint: ${texts.hint}` : ""}`;
        return { status: "failed", exitCode: EXIT_FAILURE, error };
      }
      const counts = `${plural(tools.length, "tools")}, ${plural(files.length, "files")}, ${plural(dirs.length, "dirs")}`;
      return valued(`all requirements satisfied (${counts})`, { tools: tools.length, files: files.length, dirs: dirs.length });
    },
  });
}

/** `type: require`. */
export const requireStep = requireKind("require");
/** `type: assert`, Atmos' alias of require. */
export const assertStep = requireKind("assert");
