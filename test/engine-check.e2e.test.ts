/**
 * End-to-end: a workflow with container steps checks the Docker engine
 * before step 1 (issue "The first hour"): an unreachable engine is named
 * with its address and what to do, and nothing runs.
 */
import { expect, test } from "bun:test";
import { muster, projectDirs } from "./helpers.ts";

const dirs = projectDirs("muster-engine-");

test("an unreachable engine stops the run before step 1, naming its address, the steps that need it and what to do", async () => {
  const dir = dirs.make({
    "workflows.yaml": `workflows:\n  w:\n    steps:\n      - { name: first, type: shell, command: echo first }\n      - { name: box, type: container, with: { image: "alpine:3.20", command: ["true"] } }\n`,
  });
  const run = await muster(["workflow", "w"], { cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
  expect(run.code).toBe(125);
  expect(run.stdout).toBe("");
  expect(run.stderr).not.toContain("▸ first");
  expect(run.stderr).toStartWith('muster: workflow "w": cannot reach the Docker engine at unix:///nonexistent/docker.sock: ');
  expect(run.stderr).toEndWith('; is dockerd running?; nothing was run (step "box" needs it: start the engine (dockerd, Docker Desktop, podman system service), or set DOCKER_HOST to one that runs)\n');
});
