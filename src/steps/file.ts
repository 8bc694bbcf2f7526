/**
 * `type: file`: picks a file under `path` (default ".", relative to the
 * step's working directory), optionally only those whose extension is in
 * `extensions` (dot optional, any case), typing to filter the list. The
 * value is the file's absolute path. Without a terminal the `default` is
 * taken as written (Atmos); an `--answer` is resolved against `path` and
 * must be such a file. `.git` directories are not listed.
 * @module
 */
import * as v from "valibot";
import { expect, str } from "../workflow/schema.ts";
import type { PlannedStep, StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { listOf, type PathsPlan } from "./message.ts";
import { answered, badAnswer, promptFields, promptParts, type PromptStep, promptTexts } from "./prompt.ts";

/** A file step. */
export type FileStep = PromptStep;

/** Files listed at most: a picker over more is no help, and the walk would take long. */
const MAX_FILES = 20_000;

/** The directory the picker lists, absolute. */
async function startOf(planned: PlannedStep<FileStep, PathsPlan>): Promise<string> {
  const { isAbsolute, join } = await import("node:path");
  const path = planned.resolved.texts.path || ".";
  return isAbsolute(path) ? path : join(planned.resolved.cwd, path);
}

/** Whether `path` has one of `extensions` (none: every file). */
function matches(path: string, extensions: string[]): boolean {
  if (extensions.length === 0) return true;
  const dot = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  const ext = dot > slash ? path.slice(dot).toLowerCase() : "";
  return extensions.some((e) => (e.startsWith(".") ? e : `.${e}`).toLowerCase() === ext);
}

/** The files under `root` (relative, sorted, `.git` skipped, symlinked directories not followed). */
async function listFiles(root: string, extensions: string[]): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const files: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (files.length >= MAX_FILES) return;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== ".git") await walk(`${dir}/${entry.name}`, relative);
      } else if (matches(relative, extensions)) files.push(relative);
    }
  };
  await walk(root, "");
  return files;
}

/** The file step kind. */
export const file: StepKind<FileStep, PathsPlan> = defineKind({
  type: "file",
  summary: "Pick a file under a directory, typing to filter; value is its absolute path",
  ...promptParts<FileStep, string[]>("file", {
    async fromAnswer(answer, planned) {
      const { isAbsolute, join } = await import("node:path");
      const { stat } = await import("node:fs/promises");
      const root = await startOf(planned);
      const path = isAbsolute(answer) ? answer : join(root, answer);
      const extensions = listOf(planned.resolved.texts, "extensions");
      const isFile = await stat(path).then((s) => s.isFile(), () => false);
      if (!isFile || !matches(path, extensions)) return badAnswer(planned.name, answer, `a file under ${root}${extensions.length > 0 ? ` ending in ${extensions.join(", ")}` : ""} (${path} ${isFile ? "has another extension" : "is not a file"})`);
      return answered(path);
    },
    fromDefault: (text) => answered(text),
    async view(planned) {
      const root = await startOf(planned);
      const extensions = listOf(planned.resolved.texts, "extensions");
      const files = await listFiles(root, extensions);
      if (files.length === 0) return `no files to choose from in ${root}${extensions.length > 0 ? ` ending in ${extensions.join(", ")}` : ""}`;
      const { ListView } = await import("../prompts/list-view.ts");
      return new ListView({ prompt: planned.resolved.texts.prompt ?? "", options: files, filterable: true });
    },
    async toOutcome(value, planned) {
      const { join } = await import("node:path");
      return answered(join(await startOf(planned), value[0] ?? ""));
    },
  }),
  fields: () => ({
    ...promptFields(),
    path: v.optional(str),
    extensions: v.optional(v.array(str, expect("a list of file extensions such as yaml or .json"))),
    working_directory: v.optional(str),
  }),
  build: (fields, base) => ({ ...base, type: "file", texts: promptTexts(fields, ["path", "extensions", "working_directory"]) }),
});
