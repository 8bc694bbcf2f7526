/**
 * End-to-end (Docker): a service that fails its health check is reported as
 * the service's failure, with its last probe output; the step it gates is
 * reported as not started (issue "The first hour").
 */
import { expect, test } from "bun:test";
import { muster, projectDirs } from "./helpers.ts";

const dirs = projectDirs("muster-service-failure-");

test("an unhealthy service is the service's failure, with the last probe; the next step did not start", async () => {
  const dir = dirs.make({
    "workflows.yaml": `workflows:
  h:
    steps:
      - name: db
        type: container
        background: true
        with:
          image: "muster-test/busybox:1"
          command: ["sleep", "30"]
          healthcheck: { test: ["CMD-SHELL", "echo probe-says-no; exit 1"], interval: 200ms, timeout: 1s, retries: 2 }
      - name: migrate
        type: shell
        command: echo migrating
`,
  });
  // Without the journal, the hint is the --from-step command whose start the services decide.
  const run = await muster(["workflow", "h"], { cwd: dir, timeoutMs: 90_000, env: { MUSTER_NO_JOURNAL: "1" } });
  expect(run.code).toBe(1);
  expect(run.stdout).not.toContain("migrating");
  expect(run.stderr).toContain('✗ service "db" became unhealthy\n  last health probe (exit 1): probe-says-no\n');
  expect(run.stderr).toContain('✗ migrate failed (not started: service "db" became unhealthy)');
  expect(run.stderr).toContain("resume with: muster workflow h -f workflows.yaml --from-step db\n");
}, 120_000);
