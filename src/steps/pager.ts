/**
 * `type: pager`: shows `content`, or the file at `path` (relative to the
 * step's working directory), on stdout. On a terminal (stdin and stdout)
 * the text goes through a pager that only pages when it is taller than the
 * screen: `$MUSTER_PAGER`, else `$PAGER`, else `less` (with `LESS=FRX`
 * when LESS is unset: quit if it fits, keep colours, leave the text on
 * screen). `NO_PAGER=1` or a pager of `cat` prints instead, as does a
 * missing pager program. Without a terminal the text is printed. With
 * `markdown: true` (or a `.md`/`.markdown` path) it is rendered first.
 * `title` (default: the file's name) heads the printed text. Stores the
 * content.
 * @module
 */
import * as v from "valibot";
import { basename, extname, isAbsolute, join } from "node:path";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.ts";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { messageParts, type PathsPlan, planWithDirectory, type MessageStep, textsOf, valued } from "./message.ts";

/** A pager step. */
export interface PagerStep extends MessageStep {
  markdown: boolean;
}

export type PagerPlan = PathsPlan;

const parts = messageParts<PagerStep>("pager");

/** The pager step kind. */
export const pager: StepKind<PagerStep, PagerPlan> = defineKind({
  type: "pager",
  summary: "Show text or a file, paged on a terminal when taller than the screen (stdout)",
  ...parts,
  behaviours: { ...parts.behaviours, usesStreams: true },
  fields: () => ({
    content: v.optional(str),
    path: v.optional(str),
    title: v.optional(str),
    markdown: v.optional(v.boolean(expect("true or false")), false),
    working_directory: v.optional(str),
  }),
  build(fields, base, ctx) {
    if (fields.content === undefined && fields.path === undefined) {
      ctx.report([], `missing required field "content" or "path" (expected the text to show, or a file to read)`);
      return undefined;
    }
    return { ...base, type: "pager", markdown: fields.markdown, texts: textsOf(fields, ["content", "path", "title", "working_directory"]) };
  },
  plan: planWithDirectory,
  describe: (planned) => `pager ${planned.resolved.texts.title ?? planned.resolved.texts.path ?? ""}`.trimEnd(),
  async run(planned, ctx) {
    const { readFile } = await import("node:fs/promises");
    const { texts, cwd } = planned.resolved;
    let content = texts.content ?? "";
    let path: string | undefined;
    if (texts.path !== undefined) {
      path = isAbsolute(texts.path) ? texts.path : join(cwd, texts.path);
      try {
        content = await readFile(path, "utf8");
      } catch (error) {
        return { status: "failed", exitCode: EXIT_FAILURE, error: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
      }
    }
    const env = ctx.run.env;
    const onTerminal = ctx.streams.stdout === "inherit" && ctx.stdin === "inherit" && (ctx.run.terminal?.stdout ?? false);
    const { shouldColor } = await import("../output/colors.ts");
    const colour = shouldColor(env, ctx.run.terminal?.stdout ?? false);
    let shown = content;
    if (planned.step.markdown || (path !== undefined && [".md", ".markdown"].includes(extname(path).toLowerCase()))) {
      const { platform } = await import("../platform/index.ts");
      shown = platform.renderMarkdown?.(content, { colors: colour, columns: Math.min(ctx.run.terminal?.columns ?? 80, 100) }) ?? content;
    }
    const title = texts.title ?? (path !== undefined ? basename(path) : undefined);
    const text = `${title ? `${title}\n\n` : ""}${shown.replace(/\n*$/, "\n")}`;
    const program = (env.MUSTER_PAGER ?? env.PAGER ?? "less").trim();
    const disabled = Boolean(env.NO_PAGER) || program === "" || program === "cat" || program === "false";
    if (onTerminal && !disabled) {
      const { runProcess } = await import("../engine/run-process.ts");
      const { findExecutable } = await import("../engine/find-executable.ts");
      const argv = program.split(/\s+/);
      if (findExecutable(argv[0]!, env.PATH ?? "") !== undefined || argv[0]!.includes("/")) {
        const outcome = await runProcess(argv, {
          env: { ...env, ...(env.LESS === undefined ? { LESS: "FRX" } : {}) },
          stdin: { text },
          stdout: "inherit",
          stderr: "inherit",
          graceMs: ctx.graceMs,
          cancellation: ctx.cancellation,
        });
        if (outcome.canceled) return { status: "canceled", exitCode: outcome.code };
        if (outcome.code === EXIT_OK) return valued(content);
        // A pager that failed to start or quit with an error: the text is still owed to the user.
      }
    }
    await ctx.write(1, new TextEncoder().encode(text));
    return valued(content);
  },
});
