/**
 * End-to-end: a prompt that takes its default without a terminal says so in
 * one line (issue "The first hour"), and a password's default is not shown.
 */
import { expect, test } from "bun:test";
import { muster, projectDirs } from "./helpers.ts";

const dirs = projectDirs("muster-prompt-default-");

test("a piped confirm and a piped password each print one line naming the default taken", async () => {
  const dir = dirs.make({
    "workflows.yaml": `workflows:\n  w:\n    steps:\n      - { name: go, type: confirm, prompt: "Go?", default: "no" }\n      - { name: secret, type: input, prompt: "Token?", password: true, default: hunter2 }\n      - { name: show, type: shell, command: 'echo "go={{ .steps.go.value }}"' }\n`,
  });
  const run = await muster(["workflow", "w"], { cwd: dir });
  expect(run.code).toBe(0);
  expect(run.stdout).toBe("go=false\n");
  const lines = run.stderr.split("\n").filter((l) => l.startsWith("○ "));
  expect(lines).toEqual([
    '○ go not asked (no terminal): took its default "no"; --answer go=VALUE answers it',
    "○ secret not asked (no terminal): took its default ••••••; --answer secret=VALUE answers it",
  ]);
  expect(run.stderr).not.toContain("hunter2");
});
