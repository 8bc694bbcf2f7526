import { expect, test } from "bun:test";
import type { ContainerSpec } from "./container-spec.ts";
import { createBody, readyTimeoutMs } from "./container-config.ts";

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  image: "busybox", env: { A: "1" }, ports: [], volumes: [], labels: {}, pull: "missing", stopTimeoutMs: 5000, cleanup: "always", ...over,
});

test("ports, volumes, env, labels and health check map to the API", () => {
  const body = createBody(
    spec({
      command: ["httpd", "-f"],
      ports: [{ container: 80, host: 8080, protocol: "tcp", hostIp: "127.0.0.1" }, { container: 53, protocol: "udp", hostIp: "127.0.0.1" }],
      volumes: [{ type: "bind", source: "data", target: "/data", readOnly: true }, { type: "volume", source: "cache", target: "/cache", readOnly: false }, { type: "tmpfs", source: "", target: "/scratch", readOnly: false }],
      healthcheck: { test: ["CMD", "true"], intervalMs: 500, retries: 2, startIntervalMs: 100 },
      labels: { team: "infra" },
    }),
    { labels: { "dev.muster.run": "r1" }, baseDir: "/work", supportsStartInterval: false },
  );
  expect(body).toMatchObject({
    Image: "busybox",
    Cmd: ["httpd", "-f"],
    Env: ["A=1"],
    Labels: { team: "infra", "dev.muster.run": "r1" },
    ExposedPorts: { "80/tcp": {}, "53/udp": {} },
    StopTimeout: 5,
    Healthcheck: { Test: ["CMD", "true"], Interval: 500_000_000, Retries: 2, StartInterval: undefined },
    HostConfig: {
      PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "53/udp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
      Binds: ["/work/data:/data:ro"],
      Mounts: [{ Type: "volume", Source: "cache", Target: "/cache", ReadOnly: false }, { Type: "tmpfs", Target: "/scratch", ReadOnly: false }],
    },
  });
});

test("the readiness limit follows the health check unless ready_timeout is set", () => {
  expect(readyTimeoutMs(spec())).toBe(3 * 60_000 + 30_000);
  expect(readyTimeoutMs(spec({ healthcheck: { test: ["CMD", "true"], intervalMs: 1000, timeoutMs: 1000, retries: 5, startPeriodMs: 2000 } }))).toBe(2000 + 5 * 2000 + 30_000);
  expect(readyTimeoutMs(spec({ readyTimeoutMs: 1234 }))).toBe(1234);
});

test("run_args and restart map to the API; a step's own settings win over run_args", async () => {
  const { parseRunArgs } = await import("./run-args.ts");
  const parsed = parseRunArgs(["--network", "host", "-e", "FROM_ARGS=1", "--cap-add=NET_ADMIN", "--read-only", "--tmpfs", "/run:size=1m", "--label", "a=b", "--user", "nobody", "-m", "64m", "--rm"]);
  if (!("settings" in parsed)) throw new Error(parsed.problem);
  const body = createBody(spec({ user: "1000", restart: { policy: "on-failure", maxRetries: 3 }, runArgs: parsed.settings }), { labels: {}, baseDir: "/w", supportsStartInterval: true });
  expect(body).toMatchObject({
    Env: ["FROM_ARGS=1", "A=1"], User: "1000", Labels: { a: "b" },
    HostConfig: { NetworkMode: "host", CapAdd: ["NET_ADMIN"], ReadonlyRootfs: true, Tmpfs: { "/run": "size=1m" }, Memory: 64 * 1024 * 1024, RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 } },
  });
  expect(parseRunArgs(["--gpus", "all"])).toMatchObject({ index: 0, problem: expect.stringContaining('"--gpus" is not supported') });
  expect(parseRunArgs(["--network"])).toMatchObject({ problem: '"--network" needs a value' });
  expect(parseRunArgs(["-m", "lots"])).toMatchObject({ problem: '"-m" takes a size such as 512m or 1g (got "lots")' });
});

test("an attached container: a TTY at the given size, stdin open once; a plain one attaches nothing", () => {
  const opts = { labels: {}, baseDir: "/work", supportsStartInterval: true };
  const body = createBody(spec({ attach: { tty: true, stdin: true, size: { columns: 100, rows: 30 } } }), opts);
  expect(body).toMatchObject({ Tty: true, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, HostConfig: { ConsoleSize: [30, 100] } });
  const ttyOnly = createBody(spec({ attach: { tty: true, stdin: false } }), opts);
  expect(ttyOnly).toMatchObject({ Tty: true, OpenStdin: false, AttachStdin: false });
  expect((ttyOnly.HostConfig as Record<string, unknown>).ConsoleSize).toBeUndefined();
  const plain = createBody(spec(), opts);
  expect([plain.Tty, plain.OpenStdin]).toEqual([undefined, undefined]);
});
