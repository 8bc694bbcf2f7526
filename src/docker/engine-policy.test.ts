import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBounds, buildProblem, confineBody, createBodyProblems, enginePolicy, mountProblem, runArgsProblems } from "./engine-policy.ts";

const root = mkdtempSync(join(tmpdir(), "muster-engine-policy-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = join(root, "repo");
mkdirSync(join(repo, "app"), { recursive: true });
writeFileSync(join(repo, "app", "Dockerfile"), "FROM scratch\n");
symlinkSync("/etc", join(repo, "etc-link"));
const restricted = enginePolicy({ MUSTER_CONFINE: repo }, "/elsewhere");

test("unrestricted, nothing is refused", () => {
  const open = enginePolicy({}, repo);
  expect(runArgsProblems(["--privileged", "--cap-add", "SYS_ADMIN", "--network", "host"], open)).toEqual([]);
  expect(createBodyProblems({ HostConfig: { Privileged: true, PidMode: "host" } }, open)).toEqual([]);
  expect(buildProblem({ context: "/", dockerfile: "/etc/shadow" }, open)).toBeUndefined();
});

test("run_args: each escape is refused with its field, value and setting; its allowance lets exactly it through", () => {
  const args = ["--cap-add", "SYS_ADMIN", "--privileged", "--network", "host", "--net=container:db", "--cap-add=net_admin"];
  const found = runArgsProblems(args, restricted);
  expect(found.map((p) => [p.index, p.field, p.value, p.setting])).toEqual([
    [0, "--cap-add", "SYS_ADMIN", "MUSTER_ALLOW_CAPS"],
    [2, "--privileged", "true", "MUSTER_ALLOW_PRIVILEGED"],
    [3, "--network", "host", "MUSTER_ALLOW_HOST_NETWORK"],
    [5, "--net", "container:db", "MUSTER_ALLOW_NETWORKS"],
    [6, "--cap-add", "net_admin", "MUSTER_ALLOW_CAPS"],
  ]);
  expect(found[0]!.text).toContain("(an administrator allows it with MUSTER_ALLOW_CAPS=SYS_ADMIN)");
  const caps = enginePolicy({ MUSTER_CONFINE: repo, MUSTER_ALLOW_CAPS: "SYS_ADMIN" }, repo);
  expect(runArgsProblems(args, caps).map((p) => p.value)).toEqual(["true", "host", "container:db", "net_admin"]);
  const hostnet = enginePolicy({ MUSTER_CONFINE: repo, MUSTER_ALLOW_HOST_NETWORK: "1" }, repo);
  expect(runArgsProblems(["--network", "host"], hostnet)).toEqual([]);
  expect(runArgsProblems(["--privileged=false", "--network", "none"], restricted)).toEqual([]);
});

test("with a network of its own, other networks need MUSTER_ALLOW_NETWORKS", () => {
  const own = enginePolicy({ MUSTER_CONFINE: repo, MUSTER_CONTAINER_NETWORK: "muster-run-r1" }, repo);
  expect(runArgsProblems(["--network", "muster-run-r1"], own)).toEqual([]);
  expect(runArgsProblems(["--network", "bridge"], own)[0]?.setting).toBe("MUSTER_ALLOW_NETWORKS");
  expect(runArgsProblems(["--network", "bridge"], restricted)).toEqual([]);
});

test("mounts: named volumes need MUSTER_ALLOW_VOLUMES by name; anonymous ones and the checkout pass", () => {
  expect(mountProblem({ type: "volume", source: "pgdata" }, restricted)?.text).toContain("MUSTER_ALLOW_VOLUMES=pgdata");
  expect(mountProblem({ type: "volume", source: "" }, restricted)).toBeUndefined();
  expect(mountProblem({ type: "volume", source: "pgdata" }, enginePolicy({ MUSTER_CONFINE: repo, MUSTER_ALLOW_VOLUMES: "cache,pgdata" }, repo))).toBeUndefined();
  expect(mountProblem({ type: "bind", source: join(repo, "app") }, restricted)).toBeUndefined();
  expect(mountProblem({ type: "bind", source: join(repo, "etc-link") }, restricted)?.setting).toBe("MUSTER_ALLOW_HOST_MOUNTS");
});

test("a create body: every field that widens the container is refused", () => {
  const body = {
    HostConfig: {
      Privileged: true, CapAdd: ["SYS_ADMIN"], NetworkMode: "host", PidMode: "host", IpcMode: "host", UTSMode: "host", UsernsMode: "host",
      Devices: [{ PathOnHost: "/dev/kmsg" }], SecurityOpt: ["seccomp=unconfined", "no-new-privileges"], Binds: ["/:/host", "other-app:/data"],
      Mounts: [{ Type: "volume", Source: "muster-state", Target: "/s" }, { Type: "tmpfs", Target: "/t" }],
    },
  };
  expect(createBodyProblems(body, restricted).map((p) => `${p.field}=${p.value} ${p.setting}`)).toEqual([
    "Privileged=true MUSTER_ALLOW_PRIVILEGED",
    "CapAdd=SYS_ADMIN MUSTER_ALLOW_CAPS",
    "NetworkMode=host MUSTER_ALLOW_HOST_NETWORK",
    "PidMode=host MUSTER_ALLOW_HOST_PID",
    "IpcMode=host MUSTER_ALLOW_HOST_IPC",
    "UTSMode=host MUSTER_ALLOW_HOST_UTS",
    "UsernsMode=host MUSTER_ALLOW_HOST_USERNS",
    "Devices=/dev/kmsg MUSTER_ALLOW_DEVICES",
    "SecurityOpt=seccomp=unconfined MUSTER_ALLOW_SECURITY_OPTS",
    "Binds=/ MUSTER_ALLOW_HOST_MOUNTS",
    "Binds=other-app MUSTER_ALLOW_VOLUMES",
    "Mounts=muster-state MUSTER_ALLOW_VOLUMES",
  ]);
  expect(createBodyProblems({ HostConfig: { Binds: [`${repo}/app:/workspace`], NetworkMode: "none" } }, restricted)).toEqual([]);
});

test("confineBody gives every container the run's network and never more than the run's bounds", () => {
  const policy = enginePolicy({ MUSTER_CONFINE: repo, MUSTER_CONTAINER_NETWORK: "muster-run-r1", MUSTER_CONTAINER_PIDS: "256", MUSTER_CONTAINER_MEMORY: "512m", MUSTER_CONTAINER_CPUS: "1.5", MUSTER_CONTAINER_LOG_MAX_SIZE: "10m", MUSTER_CONTAINER_LOG_MAX_FILE: "3" }, repo);
  expect(confineBody({ Image: "x", HostConfig: { Memory: 8 * 2 ** 30 } }, policy)).toEqual({
    Image: "x",
    HostConfig: { NetworkMode: "muster-run-r1", PidsLimit: 256, Memory: 512 * 2 ** 20, MemorySwap: 512 * 2 ** 20, NanoCpus: 1.5e9, LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } } },
  });
  expect((confineBody({ HostConfig: { NetworkMode: "none", Memory: 2 ** 20 } }, policy).HostConfig as Record<string, unknown>)).toMatchObject({ NetworkMode: "none", Memory: 2 ** 20 });
  expect(buildBounds(policy.bounds)).toEqual({ networkmode: "muster-run-r1", memory: String(512 * 2 ** 20), memswap: String(512 * 2 ** 20), cpuperiod: "100000", cpuquota: "150000" });
});

test("a build's context, Dockerfile and .dockerignore must lie in the checkout by real path", () => {
  expect(buildProblem({ context: join(repo, "app"), dockerfile: "Dockerfile" }, restricted)).toBeUndefined();
  expect(buildProblem({ context: join(repo, "app"), dockerfile: "/etc/shadow" }, restricted)).toMatchObject({ field: "dockerfile", setting: "MUSTER_ALLOW_HOST_MOUNTS" });
  expect(buildProblem({ context: join(repo, "app"), dockerfile: "../../outside/Dockerfile" }, restricted)?.field).toBe("dockerfile");
  expect(buildProblem({ context: join(repo, "etc-link"), dockerfile: "Dockerfile" }, restricted)?.text).toContain("(/etc) is not allowed");
  symlinkSync("/etc/passwd", join(repo, "app", ".dockerignore"));
  expect(buildProblem({ context: join(repo, "app"), dockerfile: "Dockerfile" }, restricted)?.field).toBe(".dockerignore");
  expect(buildProblem({ context: "/etc", dockerfile: "passwd" }, enginePolicy({ MUSTER_CONFINE: repo, MUSTER_ALLOW_HOST_MOUNTS: "/etc" }, repo))).toBeUndefined();
});

test("in a run's own container, binds from the project are the host's checkout", () => {
  const policy = enginePolicy({ MUSTER_CONFINE: repo, MUSTER_CONTAINER_HOST_WORKSPACE: "/host/run-1/repo" }, repo);
  const host = confineBody({ HostConfig: { Binds: [`${repo}/app:/workspace:ro`, "/srv/cache:/cache"] } }, policy).HostConfig as { Binds: string[] };
  expect(host.Binds).toEqual(["/host/run-1/repo/app:/workspace:ro", "/srv/cache:/cache"]);
});
