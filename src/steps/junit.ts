/**
 * `type: junit`: reads JUnit XML files (`files`: globs relative to the
 * step's working directory; `**` spans directories) and prints
 * `JUnit: N tests, P passed, F failed, E errored, S skipped (K file(s))` on
 * stderr. On GitHub Actions, `action` `all` (the default) or `summary`
 * appends a Markdown summary titled `title` to `$GITHUB_STEP_SUMMARY`, and
 * `all` or `annotate` prints an `::error file=,line=` annotation for each
 * failed test that names its file and line. Failed tests do not fail the
 * step (a later step can read `.steps.NAME.failed`); no matching file or a
 * file that is not JUnit XML does. Stores "P passed, F failed" with the
 * counts.
 * @module
 */
import * as v from "valibot";
import { isAbsolute, join } from "node:path";
import { EXIT_FAILURE } from "../exit-codes.ts";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { listOf, listTexts, messageParts, type PathsPlan, planWithDirectory, type MessageStep, say, textsOf, valued } from "./message.ts";

/** A junit step. */
export interface JUnitStep extends MessageStep {
  action: "all" | "summary" | "annotate";
}

export type JUnitPlan = PathsPlan;

const parts = messageParts<JUnitStep>("junit");

/** The junit step kind. */
export const junit: StepKind<JUnitStep, JUnitPlan> = defineKind({
  type: "junit",
  summary: "Summarise JUnit XML reports (CI summary and annotations)",
  ...parts,
  produces: ["tests", "passed", "failed", "errored", "skipped_tests", "files"],
  fields: () => ({
    files: v.pipe(v.array(str, expect("a list of globs of JUnit XML files")), v.minLength(1, expect("at least one glob of JUnit XML files"))),
    action: v.optional(v.picklist(["all", "summary", "annotate"], expect("one of: all, summary, annotate")), "all"),
    title: v.optional(str),
    working_directory: v.optional(str),
  }),
  build: (fields, base) => ({
    ...base,
    type: "junit",
    action: fields.action,
    texts: { ...listTexts("files", fields.files), ...textsOf(fields, ["title", "working_directory"]) },
  }),
  plan: planWithDirectory,
  describe: (planned) => `junit ${listOf(planned.resolved.texts, "files").join(" ")}`,
  view: (planned) => ({ name: planned.name, type: "junit", action: planned.step.action, files: listOf(planned.resolved.texts, "files"), title: planned.resolved.texts.title ?? "Test results", cwd: planned.resolved.cwd }),
  viewText: (planned) => ({
    head: `junit ${planned.step.action}`,
    lines: [`files: ${listOf(planned.resolved.texts, "files").join(", ")}`, `in: ${planned.resolved.cwd}`],
  }),
  async run(planned, ctx) {
    const { readFile, appendFile } = await import("node:fs/promises");
    const { expandGlob, GlobError } = await import("../files/glob.ts");
    const { parseJUnit, reportOf, junitMarkdown, JUnitError } = await import("../files/junit-report.ts");
    const { XmlError } = await import("../files/xml.ts");
    const { detectCi } = await import("../output/ci/providers.ts");
    const { texts, cwd } = planned.resolved;
    const fail = (error: string) => ({ status: "failed" as const, exitCode: EXIT_FAILURE, error });
    const patterns = listOf(texts, "files");
    const paths = new Set<string>();
    try {
      for (const pattern of patterns) {
        const root = isAbsolute(pattern) ? "/" : cwd;
        const relative = isAbsolute(pattern) ? pattern.replace(/^\/+/, "") : pattern;
        for (const match of await expandGlob(root, relative)) paths.add(join(root, match));
      }
    } catch (error) {
      if (error instanceof GlobError) return fail(error.message);
      throw error;
    }
    if (paths.size === 0) return fail(`no JUnit XML files matched ${patterns.map((p) => `"${p}"`).join(", ")} (in ${cwd})`);
    const cases = [];
    for (const path of paths) {
      try {
        cases.push(...parseJUnit(await readFile(path, "utf8")));
      } catch (error) {
        if (error instanceof XmlError || error instanceof JUnitError) return fail(`${path} is not a JUnit report: ${error.message}`);
        return fail(`cannot read ${path}: ${(error as Error).message}`);
      }
    }
    const report = reportOf(cases);
    const ci = detectCi(ctx.run.env);
    if (ci?.provider.name === "github") {
      const action = planned.step.action;
      const summaryFile = ci.provider.summaryFile?.(ctx.run.env);
      if ((action === "all" || action === "summary") && summaryFile) {
        await appendFile(summaryFile, `\n${junitMarkdown(report, texts.title || "Test results")}`).catch(async (error) => {
          await ctx.emit({ type: "message", level: "warn", text: `step "${planned.name}": cannot write the job summary ${summaryFile}: ${(error as Error).message}` });
        });
      }
      if (action === "all" || action === "annotate") {
        for (const c of report.cases) {
          if ((c.status !== "fail" && c.status !== "error") || !c.file || !c.line) continue;
          await ctx.write(1, new TextEncoder().encode(ci.provider.error({ title: `test: ${c.name}`, message: c.message, file: c.file, line: c.line })));
        }
      }
    }
    const failed = report.failures + report.errors;
    await say(ctx, 2, `JUnit: ${report.tests} tests, ${report.passed} passed, ${report.failures} failed, ${report.errors} errored, ${report.skipped} skipped (${paths.size} file(s))`);
    return valued(`${report.passed} passed, ${failed} failed`, { tests: report.tests, passed: report.passed, failed, errored: report.errors, skipped_tests: report.skipped, files: paths.size });
  },
});
