import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostAccessPolicy, hostMountProblem } from "./host-access.ts";

const root = mkdtempSync(join(tmpdir(), "muster-host-access-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = join(root, "repo");
mkdirSync(join(repo, "data"), { recursive: true });
symlinkSync("/etc", join(repo, "escape"));

test("unrestricted: anything goes (the CLI without --restrict-host)", () => {
  expect(hostMountProblem(["/"], hostAccessPolicy({}, repo))).toBeUndefined();
});

test("restricted: the project and allowed prefixes pass; others, symlinks out and the socket are refused", () => {
  const policy = hostAccessPolicy({ MUSTER_RESTRICT_HOST: "1", MUSTER_ALLOW_HOST_MOUNTS: "/srv/cache:relative/ignored" }, repo);
  expect(policy.allowPrefixes).toEqual(["/srv/cache"]);
  expect(hostMountProblem([join(repo, "data"), join(repo, "not-yet-made"), "/srv/cache/x"], policy)).toBeUndefined();
  expect(hostMountProblem(["/"], policy)).toContain("mounting / is not allowed");
  expect(hostMountProblem([join(repo, "escape")], policy)).toContain(`(/etc) is not allowed`);
  expect(hostMountProblem(["/var/run/docker.sock"], policy)).toContain("MUSTER_ALLOW_DOCKER_SOCKET=1");
  expect(hostMountProblem(["/var/run/docker.sock"], { ...policy, allowSocket: true })).toBeUndefined();
});

test("MUSTER_CONFINE (serve) restricts to the checkout, whatever MUSTER_RESTRICT_HOST says", () => {
  const policy = hostAccessPolicy({ MUSTER_CONFINE: repo, MUSTER_RESTRICT_HOST: "0" }, "/elsewhere");
  expect(policy.restricted).toBe(true);
  expect(hostMountProblem([join(repo, "data")], policy)).toBeUndefined();
  expect(hostMountProblem(["/elsewhere"], policy)).toContain("not allowed");
});
