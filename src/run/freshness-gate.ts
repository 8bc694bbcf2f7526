/**
 * What the engine decides about a step's freshness before it loads the
 * freshness module (`./freshness.ts`): which facts its condition reads, the
 * implicit condition Atmos gives a step without `when:`
 * (freshness.EffectiveWhen), where its state lives, and how a skip is said.
 * @module
 */
import { isAbsolute, join, posix, relative } from "node:path";
import { celMentions, celParts, type Condition } from "../workflow/condition.ts";
import type { FreshnessDeclarations, StepBase } from "../workflow/types.ts";
import type { RunContext } from "../workflow/run-context.ts";
import type { FreshnessFacts, FreshnessIdentity, FreshnessNeeds } from "./freshness.ts";

/** The CEL variables freshness fills (Atmos' freshnessFactIdentifiers). */
export const FRESHNESS_FACTS = ["checksum", "timestamp", "preconditions", "sources", "artifacts"] as const;

/**
 * Whether a condition reads a freshness fact (Atmos' MentionsAnyFreshnessFact):
 * such a condition cannot be judged before its step's facts are computed.
 *
 * @example
 * ```ts
 * mentionsFreshness(parseCondition("checksum.changed || ci")); // true
 * ```
 */
export function mentionsFreshness(when: Condition | undefined): boolean {
  return celParts(when).some((part) => FRESHNESS_FACTS.some((fact) => celMentions(part.expr, fact)));
}

/**
 * The facts to compute: those `when` mentions; without `when`, the implicit
 * condition's (`checksum.changed` when there are inputs or artifacts).
 */
export function needsOf(when: Condition | undefined, declared: FreshnessDeclarations): FreshnessNeeds {
  if (!when) return { checksum: declared.inputs !== undefined || declared.artifacts !== undefined, timestamp: false, sources: false, artifacts: false };
  const mentions = (fact: string) => celParts(when).some((part) => celMentions(part.expr, fact));
  return { checksum: mentions("checksum"), timestamp: mentions("timestamp"), sources: mentions("sources"), artifacts: mentions("artifacts") };
}

/**
 * Atmos' implicit condition for a step without `when:`: `checksum.changed`
 * with inputs or artifacts, `!preconditions.success` with preconditions,
 * their OR with both (and, as every condition not naming the status, only
 * while nothing failed: the caller's rule).
 *
 * @example
 * ```ts
 * implicitRuns({ inputs: { sources: ["a"] } }, facts); // facts.checksumChanged
 * ```
 */
export function implicitRuns(declared: FreshnessDeclarations, facts: FreshnessFacts): boolean {
  const byFiles = declared.inputs !== undefined || declared.artifacts !== undefined;
  const byTools = declared.preconditions !== undefined;
  return (byFiles && facts.checksumChanged) || (byTools && !facts.preconditionsSuccess);
}

/**
 * Why a step without `when:` is skipped as fresh, for the output and the events.
 *
 * @example
 * ```ts
 * freshReason({ inputs: { sources: ["src/*"] } }); // "fresh: inputs.sources unchanged since its last success; --force runs it"
 * ```
 */
export function freshReason(declared: FreshnessDeclarations): string {
  const parts: string[] = [];
  if (declared.inputs || declared.artifacts) {
    const what = [declared.inputs ? "inputs.sources" : "", declared.artifacts ? "artifacts.paths" : ""].filter(Boolean).join(" and ");
    parts.push(`${what} unchanged since its last success`);
  }
  if (declared.preconditions) parts.push(`preconditions.tools all found (${declared.preconditions.tools.join(", ") || "none listed"})`);
  return `fresh: ${parts.join("; ")}; --force runs it`;
}

/**
 * Where a top-level step's globs start and how Atmos keys its state. The
 * directory is `working_directory` (the step's, else the workflow's) from
 * base_path, else base_path; Atmos names it "." when neither is set (it
 * globs from its own working directory then, muster from base_path: the
 * same directory when Atmos runs there), else the path as Atmos joins it
 * (relative to the working directory for a relative one).
 */
export function freshnessIdentity(run: RunContext, step: StepBase, cwd: string): FreshnessIdentity {
  const written = (step as StepBase & { workingDirectory?: string }).workingDirectory ?? run.workflow.workingDirectory;
  const dir = written === undefined ? run.baseDir : isAbsolute(written) ? written : join(run.baseDir, written);
  const keyDir = written === undefined ? "." : isAbsolute(written) ? posix.normalize(written).replace(/(.)\/+$/, "$1") : relative(cwd, dir) || ".";
  return {
    dir,
    keyDir,
    stateDir: join(run.baseDir, ".atmos", "cache", "freshness"),
    scope: `workflow:${run.workflowFile ?? run.workflow.source.file}:${run.workflow.name}`,
    stepName: step.name,
    path: run.env.PATH ?? "",
  };
}
