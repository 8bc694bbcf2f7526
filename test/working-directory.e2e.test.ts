/**
 * End-to-end: a working_directory that does not exist is named as such
 * (issue "The first hour"): validate warns about a static one with a close
 * sibling, and a run fails the step naming the directory, never as a
 * missing command (exit 127).
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs } from "./helpers.ts";

const dirs = projectDirs("muster-wd-");
const workflow = (wd: string) =>
  `workflows:\n  w:\n    steps:\n      - name: plan\n        type: shell\n        command: echo hi\n        working_directory: ${wd}\n`;

describe("a missing working_directory", () => {
  test("validate warns at its position, with the close directory beside it", async () => {
    const dir = dirs.make({ "workflows.yaml": workflow("components/terraform/vcp"), "components/terraform/vpc/.keep": "" });
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `workflows.yaml:7:28: warning: workflow "w", step "plan": working_directory "components/terraform/vcp" does not exist (expected a directory under ${dir}; did you mean "components/terraform/vpc"?)\n✓ 1 file, 1 workflow: valid\n`,
    );
  });

  test("a templated one is not judged by validate", async () => {
    const dir = dirs.make({ "workflows.yaml": workflow('"{{ .vars.where | default \\"nowhere\\" }}"') });
    const run = await muster(["validate"], { cwd: dir });
    expect(run.stderr).toBe("✓ 1 file, 1 workflow: valid\n");
  });

  test("a run fails the step naming the directory (exit 126), not as command not found (127)", async () => {
    const dir = dirs.make({ "workflows.yaml": workflow("infra") });
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(126);
    expect(run.stderr).toContain(`✗ plan failed (working directory ${join(dir, "infra")} does not exist; check the step's working_directory)`);
    expect(run.stderr).not.toContain("command not found");
    mkdirSync(join(dir, "infra"));
    expect((await muster(["workflow", "w"], { cwd: dir })).code).toBe(0);
  });
});
