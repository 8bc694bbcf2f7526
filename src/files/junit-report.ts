/**
 * JUnit XML test reports, read as Atmos' `pkg/junit` reads them: a
 * `<testsuites>` root or a bare `<testsuite>`; counts recomputed from the
 * cases (a case is failed, errored, skipped or passed by its child
 * element); a Markdown summary in Atmos' layout (heading, badges, a table of
 * cases, failure details).
 * @module
 */
import { parseXml, type XmlElement } from "./xml.ts";

/** One test case. */
export interface TestCase {
  suite: string;
  name: string;
  file?: string;
  line?: number;
  status: "pass" | "fail" | "error" | "skip";
  message: string;
}

/** The cases of one or more reports, with their totals. */
export interface TestReport {
  cases: TestCase[];
  tests: number;
  passed: number;
  failures: number;
  errors: number;
  skipped: number;
}

/** A file that is not a JUnit report. */
export class JUnitError extends Error {
  override name = "JUnitError";
}

function casesOf(suite: XmlElement, into: TestCase[]): void {
  for (const child of suite.children) {
    if (child.name === "testsuite") casesOf(child, into); // nested suites (some runners write them)
    if (child.name !== "testcase") continue;
    const detail = child.children.find((c) => c.name === "error") ?? child.children.find((c) => c.name === "failure");
    const skipped = child.children.some((c) => c.name === "skipped");
    const status = detail?.name === "error" ? "error" : detail ? "fail" : skipped ? "skip" : "pass";
    const line = Number(child.attributes.line);
    into.push({
      suite: suite.attributes.name ?? "",
      name: child.attributes.name ?? "",
      file: child.attributes.file || undefined,
      line: Number.isInteger(line) && line > 0 ? line : undefined,
      status,
      message: detail ? detail.attributes.message || detail.text.trim() : "",
    });
  }
}

/**
 * Reads the cases of one JUnit XML document.
 *
 * @example
 * ```ts
 * parseJUnit('<testsuite name="s"><testcase name="t"><failure message="boom"/></testcase></testsuite>')[0]!.status; // "fail"
 * ```
 */
export function parseJUnit(text: string): TestCase[] {
  const root = parseXml(text);
  if (root.name !== "testsuites" && root.name !== "testsuite") throw new JUnitError(`the root element is <${root.name}> (expected <testsuites> or <testsuite>)`);
  const cases: TestCase[] = [];
  if (root.name === "testsuite") casesOf(root, cases);
  else for (const suite of root.children) if (suite.name === "testsuite") casesOf(suite, cases);
  return cases;
}

/** Totals over `cases`. */
export function reportOf(cases: TestCase[]): TestReport {
  const count = (status: TestCase["status"]) => cases.filter((c) => c.status === status).length;
  return { cases, tests: cases.length, passed: count("pass"), failures: count("fail"), errors: count("error"), skipped: count("skip") };
}

const MARKS = { pass: ":white_check_mark: pass", fail: ":x: fail", error: ":boom: error", skip: ":fast_forward: skip" };

/**
 * The Markdown summary Atmos writes to the CI job summary.
 *
 * @example
 * ```ts
 * junitMarkdown(reportOf(cases), "Unit tests").startsWith("## ✅ Unit tests"); // when all passed
 * ```
 */
export function junitMarkdown(report: TestReport, title: string): string {
  const badge = (label: string, n: number, colour: string) => `[![${label.toLowerCase()}](https://shields.io/badge/${label}-${n}-${colour}?style=for-the-badge)](#)`;
  const badges = [badge("TESTS", report.tests, "blue")];
  if (report.passed > 0) badges.push(badge("PASSED", report.passed, "success"));
  if (report.failures > 0) badges.push(badge("FAILED", report.failures, "critical"));
  if (report.errors > 0) badges.push(badge("ERRORED", report.errors, "ff0000"));
  if (report.skipped > 0) badges.push(badge("SKIPPED", report.skipped, "inactive"));
  let out = `## ${report.failures + report.errors === 0 ? "✅" : "❌"} ${title}\n\n${badges.join(" ")}\n\n`;
  out += "| Result | Suite | Test |\n|--------|-------|------|\n";
  for (const c of report.cases) out += `| ${MARKS[c.status]} | \`${c.suite}\` | \`${c.name}\` |\n`;
  const failed = report.cases.filter((c) => c.status === "fail" || c.status === "error");
  if (failed.length > 0) {
    out += "\n<details><summary>Failures</summary>\n\n";
    for (const f of failed) {
      const where = f.file ? (f.line ? `${f.file}:${f.line}` : f.file) : f.suite;
      out += `**\`${f.name}\`** (${where})\n\n\`\`\`\n${f.message}\n\`\`\`\n\n`;
    }
    out += "</details>\n";
  }
  return out;
}
