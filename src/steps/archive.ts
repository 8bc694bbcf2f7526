/**
 * `type: archive`: packs `source` (a file or directory) into `destination`
 * as zip, tar or tgz (`format`, else from the destination's extension).
 * `action: replace` (the default) writes it anew; `update` refreshes the
 * entries of an existing zip or plain tar and keeps the others. `create`
 * and `extract` are reserved by Atmos and refused here too. `include` and
 * `exclude` are globs relative to the source, `subpath` nests the entries,
 * `mtime` is `filesystem` (default), `epoch` or `git` (see
 * `src/files/pack.ts`). Paths are relative to the step's working directory.
 * Every field is a template. Stores the destination, with `action`,
 * `destination`, `source` and `entries`.
 * @module
 */
import * as v from "valibot";
import { isAbsolute, join } from "node:path";
import { EXIT_FAILURE } from "../exit-codes.ts";
import { formatOf } from "../files/archive-entry.ts";
import { expect, nonEmpty, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { never } from "./behaviours.ts";
import { listOf, listTexts, messageParts, type PathsPlan, planWithDirectory, type MessageStep, textsOf, valued } from "./message.ts";

/** An archive step. */
export interface ArchiveStep extends MessageStep {
  action: "replace" | "update";
}

export type ArchivePlan = PathsPlan;

const FORMATS = ["zip", "tar", "tgz"];
const MTIMES = ["filesystem", "epoch", "git"];
const templated = (text: string | undefined) => text !== undefined && text.includes("{{");

/** Why a format is refused, or undefined when muster writes it. */
export function formatProblem(format: string): string | undefined {
  const f = format.trim().toLowerCase();
  if (FORMATS.includes(f)) return undefined;
  if (f === "tar.bz2" || f === "tar.xz") return `format "${format}" is recognised but not written (as in Atmos); use zip, tar or tgz`;
  return `unknown format "${format}" (expected one of: zip, tar, tgz)`;
}

const parts = messageParts<ArchiveStep>("archive");

/** The archive step kind. */
export const archive: StepKind<ArchiveStep, ArchivePlan> = defineKind({
  type: "archive",
  summary: "Pack a file or directory into a zip, tar or tgz archive",
  ...parts,
  // Atmos writes archives even under --dry-run; muster does not: a dry run changes no files.
  behaviours: { ...parts.behaviours, dryRun: false },
  // Its start and end lines are its report: it prints nothing of its own.
  quietStart: never,
  produces: ["action", "destination", "source", "entries"],
  fields: () => ({
    source: nonEmpty,
    destination: nonEmpty,
    action: v.optional(v.picklist(["replace", "update", "create", "extract"], expect("one of: replace, update")), "replace"),
    format: v.optional(str),
    subpath: v.optional(str),
    include: v.optional(v.array(str, expect("a list of globs"))),
    exclude: v.optional(v.array(str, expect("a list of globs"))),
    mtime: v.optional(str),
    working_directory: v.optional(str),
  }),
  build(fields, base, ctx) {
    const action = fields.action;
    if (action === "create" || action === "extract") {
      ctx.report(["action"], `action "${action}" is reserved by Atmos and not implemented (expected replace or update)`, "value");
      return undefined;
    }
    const format = fields.format;
    if (format !== undefined && !templated(format) && formatProblem(format)) {
      ctx.report(["format"], formatProblem(format)!, "value");
      return undefined;
    }
    if (format === undefined && !templated(fields.destination)) {
      const inferred = formatOf(fields.destination);
      if (inferred === undefined || formatProblem(inferred)) {
        ctx.report(["destination"], inferred ? formatProblem(inferred)! : `cannot tell the archive format from "${fields.destination}" (expected a name ending in .zip, .tar, .tar.gz or .tgz, or set format)`, "value");
        return undefined;
      }
    }
    const mtime = fields.mtime;
    if (mtime !== undefined && !templated(mtime) && !MTIMES.includes(mtime)) {
      ctx.report(["mtime"], `unknown mtime "${mtime}" (expected one of: filesystem, epoch, git)`, "value");
      return undefined;
    }
    return {
      ...base,
      type: "archive",
      action,
      texts: {
        ...textsOf(fields, ["source", "destination", "format", "subpath", "mtime", "working_directory"]),
        ...listTexts("include", fields.include),
        ...listTexts("exclude", fields.exclude),
      },
    };
  },
  plan: planWithDirectory,
  describe: (planned) => `archive ${planned.resolved.texts.source} → ${planned.resolved.texts.destination}`,
  view: (planned) => ({ name: planned.name, type: "archive", action: planned.step.action, cwd: planned.resolved.cwd, ...planned.resolved.texts }),
  viewText: (planned) => ({
    head: `archive ${planned.step.action}`,
    lines: [...Object.entries(planned.resolved.texts).map(([field, text]) => `${field}: ${text}`), `in: ${planned.resolved.cwd}`],
  }),
  async run(planned, ctx) {
    const { pack, PackError, subpathProblem } = await import("../files/pack.ts");
    const { GlobError } = await import("../files/glob.ts");
    const { runProcess } = await import("../engine/run-process.ts");
    const { texts, cwd } = planned.resolved;
    const at = (p: string) => (isAbsolute(p) ? p : join(cwd, p));
    const source = at(texts.source!);
    const destination = at(texts.destination!);
    const fail = (error: string) => ({ status: "failed" as const, exitCode: EXIT_FAILURE, error });
    // Checked again here: templated fields are known only now.
    const inferred = formatOf(destination);
    if (!texts.format && inferred === undefined) return fail(`cannot tell the archive format from "${destination}" (set format: zip, tar or tgz)`);
    const format = (texts.format ?? inferred ?? "").trim().toLowerCase();
    const problem = formatProblem(format) ?? (texts.subpath ? subpathProblem(texts.subpath) : undefined);
    if (problem) return fail(problem);
    const mtime = texts.mtime || "filesystem";
    if (!MTIMES.includes(mtime)) return fail(`unknown mtime "${mtime}" (expected one of: filesystem, epoch, git)`);
    const git = async (args: string[], dir: string) => {
      let out = "";
      const decoder = new TextDecoder();
      const outcome = await runProcess(["git", ...args], { cwd: dir, env: ctx.run.env, stdin: "null", stdout: (c) => void (out += decoder.decode(c, { stream: true })), stderr: "null", graceMs: 1000, cancellation: ctx.cancellation }).catch(() => undefined);
      return outcome?.code === 0 ? out : undefined;
    };
    try {
      const entries = await pack({
        source,
        destination,
        format: format as "zip" | "tar" | "tgz",
        action: planned.step.action,
        subpath: texts.subpath || undefined,
        include: listOf(texts, "include"),
        exclude: listOf(texts, "exclude"),
        mtime: mtime as "filesystem" | "epoch" | "git",
        git,
      });
      return valued(destination, { action: planned.step.action, destination, source, entries });
    } catch (error) {
      if (error instanceof PackError || error instanceof GlobError) return fail(error.message);
      return fail(`cannot write ${destination}: ${(error as Error).message}`);
    }
  },
});
