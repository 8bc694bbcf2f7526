/**
 * `muster validate [-f FILE] [--format json]`: checks every workflow file and prints every problem.
 * @module
 */
import { defineCommand } from "./command.ts";
import { UsageError } from "../errors.ts";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.ts";
import { detectCi } from "../output/ci/providers.ts";
import { stderr, stdout } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { type Diagnostic, formatDiagnostic, formatWarning } from "../workflow/diagnostics.ts";
import { displayPath, loadWorkflowFiles } from "../load/discover.ts";
import { dirArg, fileArg, loadProject } from "./common.ts";
import { SUMMARIES } from "./summaries.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * A diagnostic as an object: where (`workflow "w", step "s"`), what, and what was expected.
 *
 * @example
 * ```ts
 * problemJson({ file: "w.yaml", line: 3, col: 5, message: 'workflow "w": "steps" is empty (expected at least one step)' });
 * // { file: "w.yaml", line: 3, col: 5, path: 'workflow "w"', message: '"steps" is empty', expected: "at least one step" }
 * ```
 */
export function problemJson(d: Diagnostic): Record<string, unknown> {
  const where = /^((?:workflow "[^"]*")(?:, (?:step|child) "[^"]*")*): /.exec(d.message);
  const rest = where ? d.message.slice(where[0].length) : d.message;
  const expected = /^(.*) \(expected (.*)\)$/s.exec(rest);
  return {
    file: d.file,
    line: d.line,
    col: d.col,
    ...(where ? { path: where[1] } : {}),
    message: expected ? expected[1] : rest,
    ...(expected ? { expected: expected[2] } : {}),
  };
}

export default defineCommand({
  meta: { name: "validate", description: SUMMARIES.validate },
  args: {
    file: fileArg,
    dir: dirArg,
    format: { type: "string", description: "text (default), or json: the problems as objects on stdout", valueHint: "text|json" },
  },
  async run({ args }) {
    const format = args.format ?? "text";
    if (format !== "text" && format !== "json") throw new UsageError(`--format ${JSON.stringify(format)}: expected text or json`);
    const project = await loadProject(args.dir);
    const { files, skipped } = await loadWorkflowFiles(project, args.file);
    const c = stderr.colors;
    const diagnostics = files.flatMap((f) => f.diagnostics);
    // A name defined in two files cannot be run without -f: say so here rather than at run time.
    // (Positions are read only for those: computing one parses the file's YAML again.)
    const owners = new Map<string, Array<{ display: string; source: { line: number; col: number } }>>();
    for (const f of files) {
      for (const [name, w] of f.workflowFile?.workflows ?? []) owners.set(name, [...(owners.get(name) ?? []), { display: f.display, source: w.source }]);
    }
    for (const [name, where] of owners) {
      if (where.length < 2) continue;
      const second = where[1]!;
      diagnostics.push({ file: second.display, line: second.source.line, col: second.source.col, message: `workflow "${name}": also defined in ${where.filter((w) => w !== second).map((w) => w.display).join(", ")} (expected each name once; "muster workflow ${name}" needs -f to choose)` });
    }
    const workflows = files.reduce((n, f) => n + (f.workflowFile?.workflows.size ?? 0), 0);
    const ci = detectCi(platform.env(), undefined, project.ci);
    if (ci) for (const d of diagnostics) await stdout.write(ci.provider.error({ title: "muster: invalid workflow file", message: d.message, file: d.file, line: d.line, col: d.col }));
    if (format === "json") {
      const warnings = files.flatMap((f) => f.warnings).map(({ workflow: _, ...w }) => problemJson(w));
      await stdout.write(`${JSON.stringify({ valid: files.length > 0 && diagnostics.length === 0, files: files.length, workflows, skipped: skipped.length, problems: diagnostics.map(problemJson), warnings })}\n`);
      return files.length > 0 && diagnostics.length === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const skippedNote = skipped.length > 0 ? ` (${plural(skipped.length, "other YAML file")} without "workflows:" skipped)` : "";
    if (files.length === 0) {
      await stderr.write(`${c.red("✗")} no workflow files found in ${displayPath(project, project.workflowsDir) || "."}${skippedNote} (expected .yaml files with a "workflows:" key; see "Where workflow files are found" in docs/command-line.md, or name one with -f)\n`);
      return EXIT_USAGE;
    }
    // Accepted as Atmos accepts it, but probably not meant: said, never refused.
    for (const f of files) for (const w of f.warnings) await stderr.write(`${formatWarning(w)}\n`);
    for (const d of diagnostics) await stderr.write(`${formatDiagnostic(d)}\n`);
    if (diagnostics.length > 0) {
      const bad = new Set(diagnostics.map((d) => d.file)).size;
      await stderr.write(`${c.red("✗")} ${plural(diagnostics.length, "problem")} in ${bad} of ${plural(files.length, "file")}${skippedNote}\n`);
      return EXIT_USAGE;
    }
    // The word-splitting opt-out is allowed, and named: each use splits a value from outside into arguments.
    const { wordSplittingUses } = await import("../load/template-check.ts");
    for (const f of files) {
      for (const w of f.workflowFile?.workflows.values() ?? []) {
        for (const d of wordSplittingUses(w)) await stderr.write(`${formatDiagnostic({ ...d, file: f.display, message: `note: ${d.message}` })}\n`);
      }
    }
    // A static working_directory that names no directory: a warning, since an earlier step may create it.
    const { missingDirectories } = await import("../workflow/directory-check.ts");
    for (const f of files) {
      for (const w of f.workflowFile?.workflows.values() ?? []) {
        for (const d of missingDirectories(w, project.basePath)) await stderr.write(`${formatDiagnostic({ ...d, file: f.display, message: `warning: ${d.message}` })}\n`);
      }
    }
    await stderr.write(`${c.green("✓")} ${plural(files.length, "file")}, ${plural(workflows, "workflow")}: valid${skippedNote}\n`);
    return EXIT_OK;
  },
});
