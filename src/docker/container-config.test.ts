import { expect, test } from "bun:test";
import type { ContainerSpec } from "./container-spec.ts";
import { createBody, readyTimeoutMs } from "./container-config.ts";

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  image: "busybox", env: { A: "1" }, ports: [], volumes: [], labels: {}, pull: "missing", stopTimeoutMs: 5000, ...over,
});

test("ports, volumes, env, labels and health check map to the API", () => {
  const body = createBody(
    spec({
      command: ["httpd", "-f"],
      ports: [{ container: 80, host: 8080, protocol: "tcp", hostIp: "127.0.0.1" }, { container: 53, protocol: "udp", hostIp: "127.0.0.1" }],
      volumes: [{ source: "data", target: "/data", readOnly: true }],
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
    },
  });
});

test("the readiness limit follows the health check unless ready_timeout is set", () => {
  expect(readyTimeoutMs(spec())).toBe(3 * 60_000 + 30_000);
  expect(readyTimeoutMs(spec({ healthcheck: { test: ["CMD", "true"], intervalMs: 1000, timeoutMs: 1000, retries: 5, startPeriodMs: 2000 } }))).toBe(2000 + 5 * 2000 + 30_000);
  expect(readyTimeoutMs(spec({ readyTimeoutMs: 1234 }))).toBe(1234);
});
