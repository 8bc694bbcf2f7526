/**
 * The implicit condition (Atmos' freshness.EffectiveWhen), which facts a
 * condition needs, and how a step's directory is named in Atmos' key.
 */
import { describe, expect, test } from "bun:test";
import { freshnessIdentity, implicitRuns, mentionsFreshness, needsOf } from "./freshness-gate.ts";
import { parseCondition } from "../workflow/condition.ts";
import type { RunContext } from "../workflow/run-context.ts";
import type { StepBase } from "../workflow/types.ts";

const facts = (checksumChanged: boolean, preconditionsSuccess: boolean) => ({ checksumChanged, timestampChanged: false, preconditionsSuccess, sources: [], artifacts: [] });

describe("the implicit condition", () => {
  test("checksum.changed for inputs/artifacts, !preconditions.success for preconditions, their OR for both", () => {
    const files = { inputs: { sources: ["a"] } };
    const tools = { preconditions: { tools: ["x"] } };
    const both = { ...files, artifacts: { paths: ["b"] }, ...tools };
    expect([implicitRuns(files, facts(true, true)), implicitRuns(files, facts(false, false))]).toEqual([true, false]);
    expect([implicitRuns(tools, facts(true, true)), implicitRuns(tools, facts(false, false))]).toEqual([false, true]);
    expect([implicitRuns(both, facts(false, true)), implicitRuns(both, facts(true, true)), implicitRuns(both, facts(false, false))]).toEqual([false, true, true]);
  });

  test("only the facts a condition mentions are needed; without one, the checksum when there are files", () => {
    expect(needsOf(undefined, { inputs: { sources: [] } })).toEqual({ checksum: true, timestamp: false, sources: false, artifacts: false });
    expect(needsOf(undefined, { preconditions: { tools: [] } }).checksum).toBe(false);
    expect(needsOf(parseCondition("timestamp.changed && sources.size() > 0"), { inputs: { sources: [] } })).toEqual({ checksum: false, timestamp: true, sources: true, artifacts: false });
    expect(mentionsFreshness(parseCondition("ci || checksum.changed"))).toBe(true);
    expect(mentionsFreshness(parseCondition("env.checksum == 'x'"))).toBe(false);
    expect(mentionsFreshness(parseCondition("always"))).toBe(false);
  });
});

describe("the step's directory in Atmos' key", () => {
  const run = (workingDirectory?: string) =>
    ({ baseDir: "/repo", env: { PATH: "/bin" }, workflowFile: "/repo/stacks/workflows/build.yaml", workflow: { name: "build", workingDirectory, source: { file: "x" } } }) as unknown as RunContext;
  const step = (workingDirectory?: string) => ({ name: "compile", workingDirectory }) as unknown as StepBase;

  test("\".\" without working_directory; relative to the working directory, else absolute as written; the step's wins over the workflow's", () => {
    expect(freshnessIdentity(run(), step(), "/repo")).toMatchObject({ dir: "/repo", keyDir: ".", stateDir: "/repo/.atmos/cache/freshness", scope: "workflow:/repo/stacks/workflows/build.yaml:build", stepName: "compile", path: "/bin" });
    expect(freshnessIdentity(run("infra"), step(), "/repo")).toMatchObject({ dir: "/repo/infra", keyDir: "infra" });
    expect(freshnessIdentity(run("infra"), step("app/"), "/repo")).toMatchObject({ keyDir: "app" });
    expect(freshnessIdentity(run(), step("/opt/src/"), "/repo")).toMatchObject({ dir: "/opt/src/", keyDir: "/opt/src" });
  });
});
