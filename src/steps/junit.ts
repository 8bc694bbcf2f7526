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
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { listOf, listTexts, messageParts, type PathsPlan, planWithDirectory, textsOf } from "./message.ts";
import { lazy } from "../util/lazy.ts";
import type { JUnitStep } from "./junit-run.ts";

export type { JUnitStep } from "./junit-run.ts";

/** The runner, loaded on the first junit step that runs (once): `validate`, `describe` and other runs load no XML parser. */
const junitRunner = lazy(() => import("./junit-run.ts"));

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
  run: async (planned, ctx) => (await junitRunner()).runJUnit(planned, ctx),
});
