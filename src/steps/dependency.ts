/**
 * The workflows and Atmos commands a workflow's `dependencies:` names,
 * which run before its first step (as Atmos' task graph runs them). The
 * parser turns `dependencies.workflows` and `dependencies.commands` into a
 * `parallel` group named `dependencies` at the top of the workflow, one
 * child of this internal type per distinct dependency; the group's `fail`
 * mode is the first one a dependency sets (default `wait_all`), as Atmos
 * applies one mode to the whole graph. Not a type users write.
 *
 * A workflow runs as `muster workflow NAME [-f FILE] -C BASE` with its
 * `flags` as `--flag=value` (so `stack: dev` is `--stack=dev`) and `args`
 * after them; a command runs as `atmos NAME ARGS... --flag=value`. A
 * workflow that is already running up the chain (a cycle) fails the step
 * instead of running forever.
 * @module
 */
import * as v from "valibot";
import { EXIT_FAILURE } from "../exit-codes.ts";
import { expect, nonEmpty, str } from "../workflow/schema.ts";
import { shellQuote } from "../util/shell-words.ts";
import type { StepBase } from "../workflow/types.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { LEAF, never } from "./behaviours.ts";
import { type ProcessPlan, processViewText, runPlannedProcess } from "./process.ts";

/** A dependency step. */
export interface DependencyStep extends StepBase {
  type: "dependency";
  of: "workflow" | "command";
  target: string;
  file?: string;
  flags: Record<string, string | boolean>;
  args: string[];
}

/** A planned dependency: what runs, and the chain of workflows it runs under. */
export interface DependencyPlan extends ProcessPlan {
  chain: string[];
}

/** The environment variable carrying the names of the workflows a dependency runs under. */
export const CHAIN_VARIABLE = "MUSTER_DEPENDENCY_CHAIN";

/** The schema of `dependencies.workflows`/`commands` entries: a name, or a map. */
export const unitDependency = v.union([
  nonEmpty,
  v.strictObject({
    name: nonEmpty,
    file: v.optional(str),
    flags: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.boolean()]), expect("a map of flag names to values"))),
    args: v.optional(v.array(str, expect("a list of arguments"))),
    fail: v.optional(v.picklist(["wait_all", "fail_fast", "best_effort"], expect("one of: wait_all, fail_fast, best_effort"))),
  }, expect("a name, or a map with name (and file, flags, args, fail)")),
], expect("a name, or a map with name (and file, flags, args, fail)"));

const flagWords = (flags: Record<string, string | boolean>) =>
  Object.entries(flags).flatMap(([k, value]) => (value === true ? [`--${k}`] : value === false ? [] : [`--${k}=${value}`]));

/** The dependency step kind (internal: built by the parser from `dependencies:`). */
export const dependency: StepKind<DependencyStep, DependencyPlan> = defineKind({
  type: "dependency",
  internal: true,
  summary: "A workflow or Atmos command the workflow depends on",
  behaviours: { ...LEAF, timeout: false, retry: false, usesStreams: true },
  gates: never,
  fields: () => ({
    of: v.picklist(["workflow", "command"]),
    target: nonEmpty,
    file: v.optional(str),
    flags: v.optional(v.record(v.string(), v.union([v.string(), v.boolean()])), {}),
    args: v.optional(v.array(str), []),
  }),
  build: (fields, base) => ({
    ...base,
    type: "dependency",
    of: fields.of,
    target: fields.target,
    file: fields.file,
    flags: fields.flags,
    args: fields.args,
  }),
  templates: () => [],
  plan(s, scope) {
    const chain = [...(scope.run.env[CHAIN_VARIABLE] ?? "").split(",").filter(Boolean), scope.run.workflow.name];
    const argv = s.of === "workflow"
      ? [...(scope.run.self ?? ["muster"]), "workflow", s.target, ...(s.file !== undefined ? ["-f", s.file] : scope.run.workflowFile ? ["-f", scope.run.workflowFile] : []), "-C", scope.run.baseDir, ...flagWords(s.flags), ...s.args]
      : [scope.run.atmosBin, s.target, ...s.args, ...flagWords(s.flags)];
    // A run for a stack wants its dependency workflows for the same stack, unless the dependency names one.
    if (s.of === "workflow" && scope.run.stackFlag && !("stack" in s.flags) && !("s" in s.flags)) argv.push(`--stack=${scope.run.stackFlag}`);
    return { command: argv.map(shellQuote).join(" "), argv, cwd: scope.run.baseDir, env: { [CHAIN_VARIABLE]: chain.join(",") }, chain };
  },
  describe: (planned) => `${planned.step.of} ${planned.step.target}`,
  view: (planned) => ({ name: planned.name, type: "dependency", of: planned.step.of, target: planned.step.target, argv: planned.resolved.argv }),
  viewText: processViewText,
  async run(planned, ctx) {
    const { step: s, resolved: r } = planned;
    if (s.of === "workflow" && r.chain.includes(s.target)) {
      return { status: "failed", exitCode: EXIT_FAILURE, error: `dependency cycle: ${[...r.chain, s.target].join(" → ")} (expected dependencies that do not lead back to a running workflow)` };
    }
    return runPlannedProcess(planned, { ...ctx, capture: undefined });
  },
});
