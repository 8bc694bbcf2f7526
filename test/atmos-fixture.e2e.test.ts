/**
 * Atmos' own workflow fixture (fixtures/atmos/workflows/test.yaml, 38
 * workflows), run unchanged on the compiled binary. `atmos` steps go to a
 * stand-in that logs its arguments and fails for the component or stack
 * `idontexist`, as the real one would; `atmos workflow NAME --file test`
 * runs muster itself, so env propagation into nested atmos is real.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, musterBin, repoRoot, tempDir } from "./helpers.ts";

const fixture = join(repoRoot, "fixtures/atmos/workflows/test.yaml");
const names = [...readFileSync(fixture, "utf8").matchAll(/^  ([a-z][a-z0-9-]*):$/gm)].map((m) => m[1]!);
const dir = tempDir("muster-atmos-fixture-");
afterAll(() => dir.cleanup());

const fakeAtmos = join(dir.path, "bin/atmos");
mkdirSync(join(dir.path, "bin"), { recursive: true });
writeFileSync(
  fakeAtmos,
  `#!/bin/sh
# A stand-in for atmos: logs its arguments, fails like atmos for what does not exist.
for a in "$@"; do printf '[%s]' "$a"; done >> "$ATMOS_LOG"; echo >> "$ATMOS_LOG"
if [ "$1" = workflow ]; then exec "$MUSTER_BIN" workflow "$2" -f "$FIXTURE_DIR/$4.yaml"; fi
for a in "$@"; do case "$a" in *idontexist*) echo "atmos: $a not found" >&2; exit 1;; esac; done
echo "atmos $*"
`,
);
chmodSync(fakeAtmos, 0o755);

async function run(name: string) {
  const log = join(dir.path, `${name}.log`);
  const result = await muster(["workflow", name, "-f", fixture], {
    cwd: dir.path,
    env: { ATMOS_BIN: fakeAtmos, ATMOS_LOG: log, MUSTER_BIN: musterBin, FIXTURE_DIR: join(repoRoot, "fixtures/atmos/workflows") },
  });
  let atmosArgs = "";
  try {
    atmosArgs = readFileSync(log, "utf8");
  } catch {
    // no atmos step ran
  }
  return { ...result, atmosArgs };
}

/** Each workflow's exit code and, where Atmos' tests pin it, what it printed or passed to atmos. */
const expected: Record<string, { code: number; stdout?: string; atmos?: string }> = {
  pass: { code: 0, atmos: "[terraform][plan][mock][-s][nonprod]\n" },
  fail: { code: 1 },
  "shell-pass": { code: 0, stdout: "This should pass\n" },
  "shell-failure": { code: 1, stdout: "This should fail\n" },
  "shell-command-not-found": { code: 127 },
  "fail-with-stack": { code: 1, atmos: "[terraform][plan][idontexist][-s][prod]\n" },
  "shell-with-path": { code: 0 },
  "multi-component-query": { code: 0, atmos: "[terraform][plan][--query][.settings.enabled == true][-s][nonprod]\n" },
  "multi-component-list": { code: 0, atmos: "[terraform][plan][--components][mock][-s][nonprod]\n" },
  "multi-component-all": { code: 0, atmos: "[terraform][plan][--all][-s][nonprod]\n" },
  "shell-echo-args": { code: 0, stdout: "argument with spaces single quoted double quoted\n" },
  "multi-component-query-double-quotes": { code: 0, atmos: '[terraform][plan][--query][.metadata.component == "mock"][-s][nonprod]\n' },
  "terraform-var-double-quotes": { code: 0, atmos: "[terraform][plan][mock][-var=enabled=false][-s][nonprod]\n" },
  "terraform-var-single-quotes": { code: 0, atmos: "[terraform][plan][mock][-var=enabled=false][-s][nonprod]\n" },
  "terraform-var-multiple": { code: 0, atmos: "[terraform][plan][mock][-var=enabled=false][-var=foo=bar][-s][nonprod]\n" },
  "terraform-var-with-spaces": { code: 0, atmos: "[terraform][plan][mock][-var=message=hello world][-s][nonprod]\n" },
  "terraform-var-equals-in-value": { code: 0, atmos: "[terraform][plan][mock][-var=message=key=value][-s][nonprod]\n" },
  "shell-var-echo": { code: 0, stdout: "-var=enabled=false -var=foo=bar\n" },
  "double-hyphen-with-stack": { code: 0, atmos: "[terraform][plan][mock][--stack][nonprod][--][-consolidate-warnings=false]\n" },
  "double-hyphen-workflow-stack": { code: 0, atmos: "[terraform][plan][mock][-s][nonprod][--][-consolidate-warnings=false]\n" },
  "double-hyphen-step-stack": { code: 0, atmos: "[terraform][plan][mock][-s][nonprod][--][-consolidate-warnings=false]\n" },
  // The workflow's stack comes last before --, so it wins over the inline one (atmos takes the last -s).
  "double-hyphen-stack-precedence": { code: 0, atmos: "[terraform][plan][mock][--stack][wrongstack][-s][nonprod][--][-consolidate-warnings=false]\n" },
  "double-hyphen-multiple-flags": { code: 0, atmos: "[terraform][plan][mock][-s][nonprod][--][-var=foo=bar][-var=baz=qux]\n" },
  "shell-double-hyphen-echo": { code: 0, stdout: "before -- -- after --\n" },
  "retry-success": { code: 0, stdout: "Success on first try\n" },
  "retry-full-config": { code: 0, stdout: "Testing full retry config\n" },
  "env-workflow-level": { code: 0, stdout: "MY_WORKFLOW_VAR=workflow-value\n" },
  "env-step-level": { code: 0, stdout: "MY_STEP_VAR=step-value\n" },
  "env-precedence": { code: 0 },
  "env-merge": { code: 0 },
  "env-inheritance-example": { code: 0, stdout: "bar - baz\n" },
  "env-scoping": { code: 0 },
  "env-step-propagates-to-shell": { code: 0, stdout: "FOO=<bar>\n" },
  "env-step-propagates-to-atmos": { code: 0, stdout: "FOO=<bar>\n", atmos: "[workflow][env-step-propagation-child][--file][test]\n" },
  // Meant to be called by the workflow above: on its own, FOO is not set and its test fails.
  "env-step-propagation-child": { code: 1, stdout: "FOO=<>\n" },
  "env-step-template-only": { code: 0, stdout: "TEMPLATE=<bar>\n" },
};

describe("Atmos' workflow fixture", () => {
  test("it has 38 workflows, and the table covers every one validate accepts", () => {
    expect(names.length).toBe(38);
    expect(names.filter((n) => !(n in expected)).sort()).toEqual(["invalid-step-type", "no-steps"]);
  });

  test("validate refuses exactly no-steps and invalid-step-type, with positions", async () => {
    const result = await muster(["validate", "-f", fixture], { cwd: dir.path });
    expect(result.code).toBe(2);
    const problems = result.stderr.split("\n").filter((l) => l.includes("test.yaml:") && !l.includes(": warning: "));
    // Atmos pins that the workflow's stack beats an inline --stack: accepted, and said.
    expect(result.stderr).toContain(`test.yaml:204:18: warning: workflow "double-hyphen-stack-precedence", step "step1": the command sets the stack itself (--stack), but the workflow's stack "nonprod" is added after it and wins`);
    expect(problems).toEqual([
      expect.stringMatching(/test\.yaml:40:12: workflow "no-steps": "steps" is empty/),
      expect.stringMatching(/test\.yaml:47:15: workflow "invalid-step-type", step "step1": unknown step type "invalid"/),
    ]);
  });

  for (const [name, want] of Object.entries(expected)) {
    test(`${name} exits ${want.code}`, async () => {
      const result = await run(name);
      expect({ code: result.code, stderr: result.code === want.code ? "" : result.stderr }).toEqual({ code: want.code, stderr: "" });
      if (want.stdout !== undefined) expect(result.stdout).toContain(want.stdout);
      if (want.atmos !== undefined) expect(result.atmosArgs).toBe(want.atmos);
      // The broken siblings are named once, on stderr, and never stop a valid workflow.
      expect(result.stderr).toContain(`workflow "no-steps"`);
    });
  }
});
