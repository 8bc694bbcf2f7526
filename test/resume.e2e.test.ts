/**
 * End-to-end: resuming (issue "The first hour"): --from-step refuses a start
 * whose steps read a skipped step's result, naming both; the resume hint
 * never suggests such a start; an --answer for a skipped prompt seeds its
 * result.
 */
import { describe, expect, test } from "bun:test";
import { muster, projectDirs } from "./helpers.ts";

const dirs = projectDirs("muster-resume-");
const file = `workflows:
  deploy:
    steps:
      - name: plan
        type: shell
        command: echo planned
      - name: confirm-apply
        type: confirm
        prompt: Apply?
        default: "no"
      - name: apply
        type: shell
        command: echo "apply={{ .steps.confirm-apply.value }} after {{ .steps.plan.value }}"
      - name: verify
        type: shell
        command: test -n "$VERIFIED"
`;

describe("resume", () => {
  test("--from-step refuses a start whose steps read skipped results, before anything runs", async () => {
    const dir = dirs.make({ "workflows.yaml": file });
    const run = await muster(["workflow", "deploy", "--from-step", "apply"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'muster: --from-step "apply": step "apply" reads .steps.confirm-apply, which --from-step "apply" skips; step "apply" reads .steps.plan, which --from-step "apply" skips (expected --from-step plan, or --answer confirm-apply=VALUE)\n',
    );
  });

  test("an --answer for a skipped prompt seeds its result", async () => {
    const dir = dirs.make({ "workflows.yaml": file });
    const run = await muster(["workflow", "deploy", "--from-step", "confirm-apply", "--answer", "confirm-apply=yes"], { cwd: dir });
    expect(run.stderr).toContain('step "apply" reads .steps.plan, which --from-step "confirm-apply" skips (expected --from-step plan)');
    const own = dirs.make({ "workflows.yaml": file.replace(" after {{ .steps.plan.value }}", "") });
    const seeded = await muster(["workflow", "deploy", "--from-step", "apply", "--answer", "confirm-apply=yes"], { cwd: own, env: { VERIFIED: "1" } });
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toBe("apply=true\n");
    expect(seeded.stderr).not.toContain("confirm-apply");
  });

  test("the resume hint starts where nothing read is skipped", async () => {
    const dir = dirs.make({ "workflows.yaml": file.replace('test -n "$VERIFIED"', 'echo "{{ .steps.apply.value }}"; false') });
    // Without the journal (with it, --resume restores what was read).
    const run = await muster(["workflow", "deploy"], { cwd: dir, env: { MUSTER_NO_JOURNAL: "1" } });
    expect(run.code).toBe(1);
    // verify reads apply, which reads plan and confirm-apply: the only safe start is the first step.
    expect(run.stderr).toContain("resume with: muster workflow deploy -f workflows.yaml --from-step plan\n");
  });
});
