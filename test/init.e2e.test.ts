/**
 * End-to-end: `muster init` (issue "The first hour"): it writes an
 * atmos.yaml and a sample workflow that runs as is, refuses to overwrite
 * without --force, and prints what to run next.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ATMOS_YAML, SAMPLE_WORKFLOW } from "../src/cli/init-files.ts";
import { muster, projectDirs } from "./helpers.ts";

const projects = projectDirs("muster-init-");
/** A fresh, empty project directory. */
const dirs = {
  make(files: Record<string, string>): string {
    const dir = projects.make(files);
    mkdirSync(dir, { recursive: true });
    return dir;
  },
};

describe("muster init", () => {
  test("writes atmos.yaml and workflows/hello.yaml, says what to run next, and the sample runs as is", async () => {
    const dir = dirs.make({});
    const init = await muster(["init"], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stdout).toBe("");
    expect(init.stderr).toBe(
      "✓ wrote atmos.yaml\n✓ wrote workflows/hello.yaml\n\nNext:\n  muster workflow hello      # run the sample\n  muster workflow hello --var who=you\n  muster describe hello      # the plan, without running it\n  muster validate            # check every workflow file\n",
    );
    expect(readFileSync(join(dir, "atmos.yaml"), "utf8")).toBe(ATMOS_YAML);
    expect(readFileSync(join(dir, "workflows/hello.yaml"), "utf8")).toBe(SAMPLE_WORKFLOW);

    const validate = await muster(["validate"], { cwd: dir });
    expect(validate.stderr).toBe("✓ 1 file, 1 workflow: valid\n");
    const run = await muster(["workflow", "hello", "--var", "who=you"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("hello, you\n");
    expect(run.stdout).toContain("cleaning up\n");
    expect(run.stderr).toContain("✓ workflow hello succeeded in ");
  });

  test("refuses to overwrite either file, writes nothing, and --force overwrites", async () => {
    const dir = dirs.make({ "atmos.yaml": "base_path: mine\n" });
    const refused = await muster(["init"], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `muster: init: atmos.yaml already exists in ${dir}; nothing was written (use --force to overwrite, or run muster init in an empty directory)\n`,
    );
    expect(readFileSync(join(dir, "atmos.yaml"), "utf8")).toBe("base_path: mine\n");
    expect(() => readFileSync(join(dir, "workflows/hello.yaml"))).toThrow();

    mkdirSync(join(dir, "workflows"));
    writeFileSync(join(dir, "workflows/hello.yaml"), "workflows: {}\n");
    const both = await muster(["init"], { cwd: dir });
    expect(both.stderr).toBe(
      `muster: init: atmos.yaml and workflows/hello.yaml already exist in ${dir}; nothing was written (use --force to overwrite, or run muster init in an empty directory)\n`,
    );

    const forced = await muster(["init", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "atmos.yaml"), "utf8")).toBe(ATMOS_YAML);
    expect(readFileSync(join(dir, "workflows/hello.yaml"), "utf8")).toBe(SAMPLE_WORKFLOW);
  });

  test("-C DIR writes there and the next step names the directory", async () => {
    const dir = dirs.make({});
    const init = await muster(["init", "-C", "sub"], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stderr).toContain("  cd sub && muster workflow hello      # run the sample\n");
    expect(readFileSync(join(dir, "sub/atmos.yaml"), "utf8")).toBe(ATMOS_YAML);
  });

  test("is listed by muster --help", async () => {
    const help = await muster(["--help"]);
    expect(help.stdout).toContain("init    Write an atmos.yaml and a sample workflow into the current");
  });
});
