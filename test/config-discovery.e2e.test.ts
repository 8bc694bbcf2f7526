/**
 * Where the CLI looks for atmos.yaml (security review H1): upward from the
 * current directory, but never past the repository's root, and never
 * trusting a file another user could have planted (owned by someone else,
 * or in a directory everyone may write), as git's safe.directory rule.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs } from "./helpers.ts";

const projects = projectDirs("muster-config-discovery-");
const WORKFLOW = "workflows:\n  hello:\n    steps:\n      - { type: shell, command: echo from-the-project }\n";
const EVIL = (dir: string) => `base_path: ${dir}\nworkflows:\n  base_path: .\n`;

/** A parent holding an atmos.yaml that points at an attacker's workflows, and a project below it. */
function setUp() {
  const root = projects.make({});
  mkdirSync(root, { recursive: true });
  const evil = join(root, "evil");
  mkdirSync(evil);
  writeFileSync(join(evil, "evil.yaml"), "workflows:\n  hello:\n    steps:\n      - { type: shell, command: echo HIJACKED }\n");
  const project = join(root, "shared", "project");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "w.yaml"), WORKFLOW);
  writeFileSync(join(root, "shared", "atmos.yaml"), EVIL(evil));
  return { root, shared: join(root, "shared"), project };
}

describe("atmos.yaml discovery", () => {
  test("an atmos.yaml in a directory everyone may write is ignored, with a warning", async () => {
    const { shared, project } = setUp();
    chmodSync(shared, 0o1777);
    const run = await muster(["workflow", "hello"], { cwd: project });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("from-the-project\n");
    expect(run.stderr).toContain(`! ignored ${join(shared, "atmos.yaml")}: its directory ${shared} is writable by everyone (set ATMOS_CLI_CONFIG_PATH to use it anyway)`);
  });

  test("an atmos.yaml owned by another user is ignored", async () => {
    const { shared, project } = setUp();
    chownSync(join(shared, "atmos.yaml"), 65534, 65534);
    const run = await muster(["workflow", "hello"], { cwd: project });
    expect(run.stdout).toBe("from-the-project\n");
    expect(run.stderr).toContain("belongs to user 65534, not to you");
    // Named explicitly, it is the user's choice.
    const chosen = await muster(["workflow", "hello"], { cwd: project, env: { ATMOS_CLI_CONFIG_PATH: shared } });
    expect(chosen.stdout).toBe("HIJACKED\n");
  });

  test("the search stops at the repository's root", async () => {
    const { shared, project } = setUp();
    mkdirSync(join(project, ".git"));
    const sub = join(project, "sub");
    mkdirSync(sub);
    const run = await muster(["workflow", "hello", "-f", "../w.yaml"], { cwd: sub });
    expect(run.stdout).toBe("from-the-project\n");
    expect(run.stderr).not.toContain(shared);
    // Without the repository, the same (trusted) file is found by climbing: Atmos' behaviour outside a repository.
    const { project: bare } = setUp();
    expect((await muster(["workflow", "hello"], { cwd: bare })).stdout).toBe("HIJACKED\n");
  });
});
