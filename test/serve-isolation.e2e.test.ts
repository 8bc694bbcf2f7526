/**
 * End-to-end: container isolation that holds (`MUSTER_RUN_ISOLATION=container`
 * on the real engine, the compiled binary in a run image built with
 * `docker import`). The escapes of the security review's S3 are refused
 * before anything runs, each allowance lets exactly its own through; run
 * containers are bounded and on a network of their own (S7); a runner
 * killed with -9 leaves nothing behind for long: the next one stops the
 * run's containers before it reports the run lost, and the stack's next
 * run starts only then (S5).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docker, eventually, tempDir } from "./helpers.ts";
import { buildRunImage, httpsRunnerEnv, makeRepository, startCallbackReceiver, startGitHttps, startRunner } from "./serve-fixtures.ts";

const TOKEN = "runner-token-isolation-7c1d9e2f";
const tmp = tempDir("muster-serve-isolation-test-");
const tag = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `muster-test/run-isolation:${tag}`;
const VOLUME = `muster-test-other-app-${tag}`;
const BUILT = `muster-test/isolation-build:${tag}`;
const OUTSIDE = join(tmp.path, "outside");
const SHARED = join(tmp.path, "shared");
const MARKERS = join(SHARED, "markers");
const step = (extra: string) => `{ name: esc, type: container, with: { image: muster-test/busybox:1, pull: never, ${extra} } }`;
const first = `{ name: first, type: shell, command: "echo FIRST-STEP-RAN" }`;
const WORKFLOWS = `workflows:
  sysadmin:
    steps: [${first}, ${step(`run_args: ["--cap-add", "SYS_ADMIN"], command: "grep CapEff /proc/self/status"`)}]
  privileged:
    steps: [${first}, ${step(`run_args: ["--privileged"], command: "echo privileged"`)}]
  hostnet:
    steps: [${first}, ${step(`run_args: ["--network", "host"], command: "echo on the host network"`)}]
  namedvol:
    steps: [${first}, ${step(`mounts: [{ type: volume, source: ${VOLUME}, target: /data }], command: "cat /data/secret"`)}]
  buildctx:
    steps: [${first}, { name: esc, type: container, action: build, with: { context: ${OUTSIDE}, tags: [${BUILT}] } }]
  builddf:
    steps: [${first}, { name: esc, type: container, action: build, with: { context: ., dockerfile: ${OUTSIDE}/Dockerfile, tags: [${BUILT}] } }]
  hello:
    steps:
      - { name: greet, type: shell, command: "echo hello" }
  probe:
    steps:
      - name: svc
        type: container
        background: true
        with: { image: muster-test/busybox:1, pull: never, command: ["sh", "-c", "echo up > /tmp/up; exec sleep 1000"], healthcheck: { test: "cat /tmp/up", interval: 100ms } }
      - name: look
        type: shell
        env: { GW: "{{ .vars.gw }}", PORT: "{{ .vars.port }}" }
        command: |
          # Output is shown when the step ends: what the test reads while the run is alive goes to the checkout.
          { echo "uid $(id -u)"
            if nc -w 2 "$GW" "$PORT" </dev/null >/dev/null 2>&1; then echo HOST-REACHED; else echo HOST-UNREACHABLE; fi
          } > .probe-tmp && mv .probe-tmp .probe
          sleep 1000
  forkbomb:
    steps:
      - name: bomb
        type: shell
        command: |
          n=0
          while [ $n -lt 400 ]; do (sleep 20 >/dev/null 2>&1 &) 2>/dev/null || f=$((f+1)); n=$((n+1)); done
          read live < /sys/fs/cgroup/pids/pids.current
          echo "live $live, forks refused \${f:-0}"
  memhog:
    steps:
      - { name: hog, type: shell, command: "awk 'BEGIN { s = \\"x\\"; while (1) s = s s }'" }
  long:
    steps:
      - name: hold
        type: container
        env: { ID: "{{ .vars.id }}", HOLD: "{{ .vars.hold }}" }
        with:
          image: muster-test/busybox:1
          pull: never
          volumes: [{ source: ${SHARED}, target: /shared }]
          command: |
            echo "start $ID" >> /shared/markers
            trap 'sleep 1; echo "end $ID" >> /shared/markers; exit 0' TERM
            sleep "$HOLD" & wait $!
            echo "end $ID" >> /shared/markers
`;

let https: Awaited<ReturnType<typeof startGitHttps>>;
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];
const runnerTmp = join(tmp.path, "runner-tmp");

beforeAll(async () => {
  mkdirSync(runnerTmp, { recursive: true });
  mkdirSync(OUTSIDE, { recursive: true });
  writeFileSync(join(OUTSIDE, "Dockerfile"), "FROM muster-test/busybox:1\nLABEL dev.muster.test=outside\n");
  writeFileSync(join(OUTSIDE, "runner-host-file"), "outside the checkout\n");
  mkdirSync(SHARED, { recursive: true });
  chmodSync(SHARED, 0o777);
  makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS, Dockerfile: "FROM muster-test/busybox:1\n" });
  https = await startGitHttps(join(tmp.path, "https"), tmp.path);
  buildRunImage(join(tmp.path, "run-image"), IMAGE);
  docker("volume", "create", VOLUME);
  docker("run", "--rm", "-v", `${VOLUME}:/data`, "muster-test/busybox:1", "sh", "-c", "echo db-password=hunter2 > /data/secret");
}, 120_000);
afterAll(async () => {
  try {
    for (const r of runners) r.proc.kill("SIGKILL");
    await Promise.all(runners.map((r) => r.proc.exited));
  } finally {
    // Whatever a failed test left: this suite's runs carry its tag in their ids.
    for (const line of docker("ps", "-a", "--filter", "label=dev.muster.dispatch", "--format", '{{.ID}} {{.Label "dev.muster.dispatch"}}').split("\n")) {
      if (line.includes(tag)) docker("rm", "-f", line.split(" ")[0]!);
    }
    for (const name of docker("network", "ls", "--format", "{{.Name}}").split("\n")) if (name.includes(tag)) docker("network", "rm", name);
    Bun.spawnSync(["docker", "rmi", "-f", IMAGE, BUILT]);
    Bun.spawnSync(["docker", "volume", "rm", "-f", VOLUME]);
    https?.stop();
    callbacks.stop();
    tmp.cleanup();
  }
}, 60_000);

/** A container-mode runner (or process mode with `isolation: "process"`), cloning the test repository over HTTPS. */
async function runner(env: Record<string, string> = {}, isolation: "container" | "process" = "container") {
  const r = await startRunner({
    ...httpsRunnerEnv(TOKEN, https, runnerTmp),
    ...(isolation === "container" ? { MUSTER_RUN_ISOLATION: "container", MUSTER_RUN_IMAGE: IMAGE, MUSTER_RUN_BIN: "/usr/local/bin/muster" } : {}),
    MUSTER_ALLOW_DOCKER_SOCKET: "1",
    MUSTER_CONCURRENCY: "4",
    ...env,
  });
  expect(r.port).toBeGreaterThan(0);
  runners.push(r);
  return r;
}

let seq = 0;
const newRunId = (name: string) => `${name}-${tag}-${++seq}`;
const dispatch = async (base: string, body: Record<string, unknown>) => {
  const response = await fetch(`${base}/dispatch`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ callbackUrl: callbacks.url(), ...body }) });
  expect(response.status).toBe(202);
  return body.runId as string;
};
/** Dispatches each workflow on `r`; returns the callbacks by workflow. */
async function runAll(r: { base: string }, workflows: string[]): Promise<Record<string, Record<string, unknown>>> {
  const ids = await Promise.all(workflows.map((workflow) => dispatch(r.base, { runId: newRunId(workflow), workflow })));
  const done = await Promise.all(ids.map((id) => callbacks.waitFor(id, 90_000)));
  return Object.fromEntries(workflows.map((w, i) => [w, done[i]!]));
}
const left = (runId: string) => docker("ps", "-aq", "--filter", `label=dev.muster.dispatch=${runId}`);

/** The refusal each escape must get: the field, the value and the setting that would allow it. */
const REFUSALS: Record<string, string[]> = {
  sysadmin: [`field "with.run_args[0]": --cap-add "SYS_ADMIN" is not allowed`, "MUSTER_ALLOW_CAPS=SYS_ADMIN"],
  privileged: [`field "with.run_args[0]": --privileged "true" is not allowed`, "MUSTER_ALLOW_PRIVILEGED=1"],
  hostnet: [`field "with.run_args[0]": --network "host" is not allowed`, "MUSTER_ALLOW_HOST_NETWORK=1"],
  namedvol: [`field "with.mounts[0].source": volume "${VOLUME}" is not allowed`, `MUSTER_ALLOW_VOLUMES=${VOLUME}`],
  buildctx: [`field "with.context": build context "${OUTSIDE}" is not allowed`, "MUSTER_ALLOW_HOST_MOUNTS"],
  builddf: [`field "with.dockerfile": build dockerfile "${OUTSIDE}/Dockerfile" is not allowed`, "MUSTER_ALLOW_HOST_MOUNTS"],
};
const expectRefused = (cb: Record<string, unknown>, workflow: string) => {
  expect(cb.status).toBe("failed");
  for (const part of REFUSALS[workflow]!) expect(String(cb.logTail)).toContain(part);
  // Refused when the workflow was read: not even the first step ran.
  expect(String(cb.logTail)).not.toContain("FIRST-STEP-RAN");
};

describe("S3: what a run's container steps may ask of the engine", () => {
  test("each escape is refused before anything runs, naming the field, the value and the setting", async () => {
    const r = await runner();
    const done = await runAll(r, Object.keys(REFUSALS));
    for (const [workflow, cb] of Object.entries(done)) expectRefused(cb, workflow);
    for (const cb of Object.values(done)) expect(left(String(cb.runId))).toBe("");
  }, 180_000);

  test("an allowance lets exactly its own escape through", async () => {
    const caps = await runner({ MUSTER_ALLOW_CAPS: "SYS_ADMIN" });
    const hostnet = await runner({ MUSTER_ALLOW_HOST_NETWORK: "1" });
    const volumes = await runner({ MUSTER_ALLOW_VOLUMES: VOLUME });
    // A build reads the context from the run's own file system: a process-mode run's (it has no container of its own).
    const builds = await runner({ MUSTER_ALLOW_HOST_MOUNTS: OUTSIDE }, "process");
    const [c, h, v, b] = await Promise.all([
      runAll(caps, ["sysadmin", "hostnet"]),
      runAll(hostnet, ["hostnet", "sysadmin"]),
      runAll(volumes, ["namedvol", "privileged"]),
      runAll(builds, ["buildctx", "builddf", "namedvol"]),
    ]);
    expect(c.sysadmin).toMatchObject({ status: "succeeded" });
    expect(String(c.sysadmin!.logTail)).toContain("CapEff:");
    expectRefused(c.hostnet!, "hostnet");
    expect(h.hostnet).toMatchObject({ status: "succeeded" });
    expect(String(h.hostnet!.logTail)).toContain("on the host network");
    expectRefused(h.sysadmin!, "sysadmin");
    expect(v.namedvol).toMatchObject({ status: "succeeded" });
    expect(String(v.namedvol!.logTail)).toContain("db-password=hunter2");
    expectRefused(v.privileged!, "privileged");
    // Past the policy: the build starts (the run's own sandbox has no such directory; the CLI test builds from one).
    for (const workflow of ["buildctx", "builddf"]) {
      const tail = String(b[workflow]!.logTail);
      expect(tail).toContain("FIRST-STEP-RAN");
      expect(tail).toContain(`esc build ${BUILT}`);
      expect(tail).not.toContain("a build reads host files");
    }
    expectRefused(b.namedvol!, "namedvol");
  }, 240_000);
});

describe("S7: bounded run containers on a network of their own", () => {
  /** A listener on the default bridge's gateway: the host's side of the engine's networks. */
  function hostListener() {
    const bridge = docker("network", "inspect", "bridge", "--format", '{{index .Options "com.docker.network.bridge.name"}}') || "docker0";
    const gateway = /inet (\d+\.\d+\.\d+\.\d+)/.exec(Bun.spawnSync(["ip", "-4", "-o", "addr", "show", bridge]).stdout.toString())?.[1];
    if (!gateway) throw new Error(`no IPv4 address on the engine's bridge ${bridge}`);
    const server = Bun.listen({ hostname: gateway, port: 0, socket: { open: (s) => void s.end("hello from the host\n"), data: () => {} } });
    return { gateway, port: server.port, stop: () => server.stop(true) };
  }

  /** What the probe run wrote in its checkout (the host's side of /workspace), once it is there. */
  async function probeOf(runId: string): Promise<string> {
    const checkout = () => {
      if (left(runId) === "") return "/nonexistent";
      const source = docker("inspect", `muster-dispatch-${runId}`, "--format", '{{range .Mounts}}{{if eq .Destination "/workspace"}}{{.Source}}{{end}}{{end}}');
      return join(source, ".probe");
    };
    const found = await eventually(() => existsSync(checkout()), 60_000, 100);
    if (!found) console.error(JSON.stringify(callbacks.received.filter((c) => c.body.runId === runId)));
    expect(found).toBe(true);
    return readFileSync(checkout(), "utf8");
  }

  test("docker inspect shows the limits, the run's user and its own internal network, on the run and on its containers; the host is unreachable unless the network is opened", async () => {
    const listener = hostListener();
    try {
      const r = await runner({ MUSTER_RUN_PIDS: "200", MUSTER_RUN_MEMORY: "300m", MUSTER_RUN_CPUS: "1.5", MUSTER_RUN_LOG_MAX_SIZE: "2m", MUSTER_RUN_LOG_MAX_FILE: "2" });
      const id = await dispatch(r.base, { runId: newRunId("probe"), workflow: "probe", vars: { gw: listener.gateway, port: String(listener.port) } });
      const output = await probeOf(id);
      expect(output).toContain("uid 65534");
      expect(output).toContain("HOST-UNREACHABLE");
      const network = `muster-run-${id}`;
      const inspected = JSON.parse(docker("inspect", ...left(id).split("\n"))) as Array<{ Name: string; Config: { User: string }; HostConfig: Record<string, unknown> }>;
      expect(inspected.length).toBe(2);
      for (const c of inspected) {
        expect(c.HostConfig).toMatchObject({ NetworkMode: network, PidsLimit: 200, Memory: 300 * 2 ** 20, MemorySwap: 300 * 2 ** 20, NanoCpus: 1.5e9, LogConfig: { Type: "json-file", Config: { "max-size": "2m", "max-file": "2" } } });
      }
      expect(inspected.find((c) => c.Name === `/muster-dispatch-${id}`)!.Config.User).toBe("65534:65534");
      const net = JSON.parse(docker("network", "inspect", network))[0] as { Internal: boolean; Options: Record<string, string> };
      expect(net.Internal).toBe(true);
      expect(net.Options["com.docker.network.bridge.inhibit_ipv4"]).toBe("true");
      await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await callbacks.waitFor(id, 90_000)).toMatchObject({ status: "canceled" });
      expect(left(id)).toBe("");
      expect(docker("network", "ls", "-q", "--filter", `name=${network}`)).toBe("");

      // The operator's opt-in: the engine's default bridge reaches the host.
      const open = await runner({ MUSTER_RUN_NETWORK: "bridge" });
      const openId = await dispatch(open.base, { runId: newRunId("probe-open"), workflow: "probe", vars: { gw: listener.gateway, port: String(listener.port) } });
      expect(await probeOf(openId)).toContain("HOST-REACHED");
      await fetch(`${open.base}/runs/${openId}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await callbacks.waitFor(openId, 90_000)).toMatchObject({ status: "canceled" });
    } finally {
      listener.stop();
    }
  }, 240_000);

  test("a fork bomb and a memory hog inside a run are stopped by its limits; the runner stays healthy", async () => {
    const r = await runner({ MUSTER_RUN_PIDS: "64", MUSTER_RUN_MEMORY: "192m" });
    const done = await runAll(r, ["forkbomb", "memhog"]);
    const bomb = /live (\d+), forks refused (\d+)/.exec(String(done.forkbomb!.logTail));
    expect(bomb).not.toBeNull();
    expect(Number(bomb![1])).toBeLessThanOrEqual(64);
    expect(Number(bomb![2])).toBeGreaterThan(0);
    expect(done.memhog).toMatchObject({ status: "failed" });
    expect(String(done.memhog!.logTail)).toMatch(/137|killed/i);
    expect(r.proc.exitCode).toBeNull();
    expect((await fetch(`${r.base}/healthz`)).status).toBe(200);
    expect((await runAll(r, ["hello"])).hello).toMatchObject({ status: "succeeded" });
  }, 180_000);
});

describe("S5: nothing outlives its runner", () => {
  test("kill -9 during a long container-mode run: the next runner stops its containers before it reports the run lost, and the stack's next run never overlaps it", async () => {
    const state = mkdtempSync(join(tmp.path, "state-"));
    const env = { MUSTER_STATE_DIR: state, MUSTER_ALLOW_HOST_MOUNTS: SHARED, MUSTER_CANCEL_GRACE: "20s" };
    const firstRunner = await runner(env);
    const lost = await dispatch(firstRunner.base, { runId: newRunId("long"), workflow: "long", stack: "prod", vars: { id: "A", hold: "1000" } });
    expect(await eventually(() => existsSync(MARKERS) && readFileSync(MARKERS, "utf8").includes("start A"), 60_000, 100)).toBe(true);
    firstRunner.proc.kill("SIGKILL");
    await firstRunner.proc.exited;
    expect(left(lost)).not.toBe(""); // the run's containers outlived their runner

    const next = await runner(env);
    const retry = await dispatch(next.base, { runId: newRunId("long-retry"), workflow: "long", stack: "prod", vars: { id: "B", hold: "0" } });
    const lostCallback = await callbacks.waitFor(lost, 90_000);
    expect(lostCallback).toMatchObject({ status: "failed", error: "runner lost while running" });
    expect(left(lost)).toBe("");
    expect(await callbacks.waitFor(retry, 90_000)).toMatchObject({ status: "succeeded" });
    expect(readFileSync(MARKERS, "utf8").trim().split("\n")).toEqual(["start A", "end A", "start B", "end B"]);
    const stopped = next.lines.findIndex((l) => l.msg === "stopped and removed what a lost run left before reporting it" && l.runId === lost && l.container === `muster-dispatch-${lost}`);
    const reported = next.lines.findIndex((l) => l.msg === "run lost: its runner stopped while it ran" && l.runId === lost);
    expect(stopped).toBeGreaterThanOrEqual(0);
    expect(reported).toBeGreaterThan(stopped);
  }, 240_000);
});
