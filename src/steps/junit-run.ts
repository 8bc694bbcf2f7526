/**
 * Running a `junit` step: expands its globs, parses the reports, writes the
 * GitHub job summary and annotations, and stores the counts. Loaded by the
 * kind (`junit.ts`) on the first junit step that runs, so that the XML and
 * report parsers are not loaded otherwise.
 * @module
 */
import { appendFile, readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { EXIT_FAILURE } from "../exit-codes.ts";
import { expandGlob, GlobError } from "../files/glob.ts";
import { junitMarkdown, JUnitError, parseJUnit, reportOf } from "../files/junit-report.ts";
import { XmlError } from "../files/xml.ts";
import { detectCi } from "../output/ci/providers.ts";
import type { PlannedStep, StepContext, StepOutcome } from "./kind.ts";
import { listOf, type MessageStep, type PathsPlan, say, valued } from "./message.ts";

/** A junit step: its texts (`files.N`, `title`, `working_directory`) and what to do on GitHub Actions. */
export interface JUnitStep extends MessageStep {
  action: "all" | "summary" | "annotate";
}

/** Runs a planned junit step once. */
export async function runJUnit(planned: PlannedStep<JUnitStep, PathsPlan>, ctx: StepContext): Promise<StepOutcome> {
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
}
