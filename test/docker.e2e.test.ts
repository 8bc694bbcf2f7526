/**
 * End-to-end: container steps against a real Docker engine
 * (scripts/setup-docker.sh starts one and builds muster-test/busybox:1).
 * These tests fail, never skip, when the engine is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { containersOwnedBy, docker, eventually, muster, musterBin, repoRoot, spawnMuster, tempDir, watch, writeFiles } from "./helpers.ts";

const IMAGE = "muster-test/busybox:1";
const tmp = tempDir();
let n = 0;
let nextPort = 20000 + Math.floor(Math.random() * 20000);
const port = () => nextPort++;

function project(yaml: string): string {
  const dir = join(tmp.path, `d${++n}`);
  writeFiles(dir, { "workflows.yaml": yaml });
  return dir;
}

/** Containers that the muster with this pid created and that still exist. */
const leftovers = (pid: number) => containersOwnedBy(pid).map((line) => line.split(" ")[0]).join("\n");

/** A busybox web service whose /health starts answering after `delay` seconds; exits on SIGTERM. */
function webService(name: string, hostPort: number, delay = 1, extra = ""): string {
  return `      - name: ${name}
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /srv; (sleep ${delay}; echo ok > /srv/health) & httpd -f -p 8080 -h /srv & wait"]
          ports:
            - { host: ${hostPort}, container: 8080 }
          healthcheck:
            test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
            interval: 200ms
            timeout: 1s
            retries: 50
${extra}`;
}

/** A TCP (optionally TLS) proxy to the engine's unix socket, which a test can take away; `onRequest` sees each request line muster sends. */
function engineProxy(tls?: Parameters<typeof Bun.listen>[0]["tls"], onRequest?: (line: string) => void) {
  return Bun.listen<{ upstream?: Awaited<ReturnType<typeof Bun.connect>>; pending: Uint8Array[] }>({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    socket: {
      async open(client) {
        client.data = { pending: [] };
        client.data.upstream = await Bun.connect({
          unix: "/var/run/docker.sock",
          socket: { data: (_, chunk) => void client.write(chunk), close: () => void client.end() },
        });
        for (const chunk of client.data.pending) client.data.upstream.write(chunk);
      },
      data(client, chunk) {
        if (onRequest) for (const m of new TextDecoder("latin1").decode(chunk).matchAll(/^(?:GET|POST|PUT|DELETE|HEAD) \S+ HTTP\/1\.1$/gm)) onRequest(m[0]);
        if (client.data.upstream) client.data.upstream.write(chunk);
        else client.data.pending.push(new Uint8Array(chunk));
      },
      close: (client) => void client.data.upstream?.end(),
    },
  });
}
beforeAll(() => {
  // Fail loudly when the engine is missing: these tests never skip.
  expect(docker("version", "--format", "{{.Server.Version}}")).not.toBe("");
  expect(docker("image", "inspect", IMAGE, "--format", "{{.Id}}")).toStartWith("sha256:");
});
afterAll(() => {
  tmp.cleanup();
});

describe("background services", () => {
  test("teardown downloads a service's log only when an observer wants it (--log-dir), not for the terminal alone", async () => {
    const requests: string[] = [];
    const proxy = engineProxy(undefined, (line) => requests.push(line));
    const dir = project(`workflows:
  w:
    steps:
      - { name: chatty, type: container, background: true, with: { image: ${IMAGE}, command: ["sh", "-c", "trap 'exit 0' TERM; echo hello from the service; sleep 600 & wait"] } }
      - { name: work, type: shell, command: "echo worked" }
`);
    try {
      const env = { DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}` };
      const plain = await muster(["workflow", "w"], { cwd: dir, env, timeoutMs: 60_000 });
      expect({ code: plain.code, stderr: plain.code === 0 ? "" : plain.stderr }).toEqual({ code: 0, stderr: "" });
      expect(requests.filter((r) => /\/containers\/[^/]+\/create|\/containers\/create/.test(r)).length).toBe(1);
      expect(requests.filter((r) => /\/containers\/[0-9a-f]+\/logs/.test(r))).toEqual([]);
      requests.length = 0;
      const logDir = join(dir, "logs");
      const logged = await muster(["workflow", "w", "--log-dir", logDir], { cwd: dir, env, timeoutMs: 60_000 });
      expect(logged.code).toBe(0);
      expect(requests.filter((r) => /\/containers\/[0-9a-f]+\/logs/.test(r)).length).toBe(1);
    } finally {
      proxy.stop(true);
    }
  }, 120_000);

  test("the seed's emulator shape: healthy after a delay, used through its published port, canceled", async () => {
    const p = port();
    const dir = project(`workflows:
  e2e:
    steps:
${webService("emulator", p, 1)}
      - name: apply
        type: shell
        command: wget -q -O - http://127.0.0.1:${p}/health > answer.txt
      - type: cancel
        for: emulator
      - name: after
        type: shell
        command: docker ps -aq --filter label=dev.muster.step=emulator > after-cancel.txt
`);
    const run = await muster(["workflow", "e2e"], { cwd: dir });
    expect(run.code).toBe(0);
    // The implicit gate: apply ran only once /health answered.
    expect(readFileSync(join(dir, "answer.txt"), "utf8")).toBe("ok\n");
    expect(run.stderr).toMatch(/service emulator ready in [\d.]+m?s \(127\.0\.0\.1:\d+->8080\/tcp\)/);
    expect(run.stderr).toContain("removed service emulator");
    expect(readFileSync(join(dir, "after-cancel.txt"), "utf8").trim()).toBe("");
    expect(leftovers(run.pid)).toBe("");
  });

  test("wait and wait-all gate explicitly; services not canceled are torn down at the end", async () => {
    const [a, b] = [port(), port()];
    const dir = project(`workflows:
  w:
    steps:
${webService("one", a, 1)}${webService("two", b, 2)}
      - type: wait
        for: one
      - { name: after-one, type: shell, command: "wget -q -O - http://127.0.0.1:${a}/health > one.txt; wget -q -O - http://127.0.0.1:${b}/health > two-early.txt || true" }
      - type: wait-all
      - { name: after-all, type: shell, command: "wget -q -O - http://127.0.0.1:${b}/health > two.txt" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "one.txt"), "utf8")).toBe("ok\n");
    expect(readFileSync(join(dir, "two.txt"), "utf8")).toBe("ok\n");
    expect(run.stderr).toContain("removed service one");
    expect(run.stderr).toContain("removed service two");
    expect(leftovers(run.pid)).toBe("");
  });

  test("a step that fails while services run leaves nothing behind", async () => {
    const dir = project(`workflows:
  w:
    steps:
${webService("db", port(), 0)}
      - { name: boom, type: shell, command: "exit 6" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(6);
    expect(leftovers(run.pid)).toBe("");
  });

  test("an unhealthy service fails fast with the probe output and its logs", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: sick
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "echo starting up; echo 'cannot open database' >&2; trap 'exit 0' TERM; sleep 600 & wait"]
          healthcheck:
            test: ["CMD-SHELL", "echo probe says no; exit 1"]
            interval: 200ms
            retries: 2
      - { name: never, type: shell, command: touch never }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('service "sick" became unhealthy');
    expect(run.stderr).toContain("last health probe (exit 1): probe says no");
    expect(run.stderr).toContain("cannot open database");
    expect(existsSync(join(dir, "never"))).toBe(false);
    expect(leftovers(run.pid)).toBe("");
  });

  test("ready_timeout bounds the wait for a service that never becomes healthy", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: sluggish
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
          healthcheck: { test: "test -f /never", interval: 10s, start_period: 60s }
          ready_timeout: 1500ms
      - { name: never, type: shell, command: touch never }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('service "sluggish" did not become ready within 1.5s');
    expect(existsSync(join(dir, "never"))).toBe(false);
    expect(leftovers(run.pid)).toBe("");
  });

  test("a service that exits while being waited for fails the wait at once", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: crash
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "echo fatal: bad config; exit 4"]
          healthcheck: { test: "true", interval: 10s }
      - type: wait-all
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('service "crash" exited with code 4');
    expect(run.stderr).toContain("fatal: bad config");
  });

  test("SIGINT while waiting for health: everything removed before muster exits 130", async () => {
    const dir = project(`workflows:
  w:
    steps:
${webService("slow", port(), 600)}
      - { name: never, type: shell, command: touch never }
`);
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    expect(await eventually(() => leftovers(proc.pid) !== "", 10_000)).toBe(true);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    // Teardown happens before muster exits: nothing of this run is left at that moment.
    expect(leftovers(proc.pid)).toBe("");
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  test("a second Ctrl-C during teardown kills and force-removes at once", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: stubborn
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "trap '' TERM; sleep 600 & wait; sleep 600"]
          stop_timeout: 60s
      - { name: hang, type: sleep, duration: 60s }
`);
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    const stderr = watch(proc.stderr);
    expect(await stderr.waitFor("▸ hang")).toBe(true);
    proc.kill("SIGINT");
    // Handshake: the sleep step is canceled, so teardown has begun its graceful stop,
    // which would wait 60 s for a container that ignores SIGTERM.
    expect(await stderr.waitFor("■ hang canceled")).toBe(true);
    expect(leftovers(proc.pid)).not.toBe("");
    proc.kill("SIGINT");
    // Were the second Ctrl-C ignored, this would take the 60 s stop_timeout and the test would time out.
    expect(await proc.exited).toBe(130);
    await stderr.done;
    expect(stderr.text).toContain("SIGINT again: killing everything now");
    expect(leftovers(proc.pid)).toBe("");
  });

  test("kill -9 leaves containers; the next `muster workflow` removes them before it starts", async () => {
    const dir = project(`workflows:
  w:
    steps:
${webService("orphan2", port(), 0)}
      - { name: hang, type: sleep, duration: 60s }
  next:
    steps:
      - { name: job, type: container, with: { image: ${IMAGE}, command: "true" } }
`);
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    expect(await eventually(() => leftovers(proc.pid) !== "", 10_000)).toBe(true);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(leftovers(proc.pid)).not.toBe("");
    expect((await muster(["workflow", "next"], { cwd: dir })).code).toBe(0);
    expect(leftovers(proc.pid)).toBe("");
  });

  test("kill -9 of muster, then muster prune: nothing left", async () => {
    const dir = project(`workflows:
  w:
    steps:
${webService("orphan", port(), 0)}
      - { name: hang, type: sleep, duration: 60s }
`);
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    expect(await eventually(() => leftovers(proc.pid) !== "", 10_000)).toBe(true);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(leftovers(proc.pid)).not.toBe("");
    const prune = await muster(["prune"]);
    expect(prune.code).toBe(0);
    expect(prune.stderr).toMatch(/removed muster-[0-9a-f]+-orphan/);
    expect(leftovers(proc.pid)).toBe("");
  });
});

describe("foreground containers and errors", () => {
  test("a foreground container's logs flow through and its exit code is the step's", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: job
        type: container
        with:
          image: ${IMAGE}
          command: sh -c "echo hello from the container; echo warning >&2; exit 3"
          env: { GREETING: hi }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("hello from the container\n");
    expect(run.stderr).toContain("warning\n");
    expect(leftovers(run.pid)).toBe("");
  });

  test("volumes relative to the workflow file, env and workdir", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: job
        type: container
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "cat input.txt; echo $GREETING > out.txt"]
          env: { GREETING: written-inside }
          workdir: /data
          volumes: [{ source: ., target: /data }]
`);
    writeFiles(dir, { "input.txt": "read-inside\n" });
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("read-inside\n");
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("written-inside\n");
  });

  test("a real pull from a registry on 127.0.0.1, and clear errors for missing images", async () => {
    const image = "127.0.0.1:5000/muster/busybox:1";
    Bun.spawnSync(["docker", "rmi", "-f", image]);
    const dir = project(`workflows:
  pull:
    steps:
      - { name: fetched, type: container, with: { image: "${image}", pull: missing, command: "echo pulled" } }
  never:
    steps:
      - { name: absent, type: container, with: { image: "muster-test/absent:1", pull: never } }
  unknown:
    steps:
      - { name: unknown, type: container, with: { image: "127.0.0.1:5000/muster/absent:1" } }
`);
    const pulled = await muster(["workflow", "pull"], { cwd: dir });
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe("pulled\n");
    expect(pulled.stderr).toContain(`pulling ${image}:`);
    expect(docker("image", "inspect", image, "--format", "{{.Id}}")).toStartWith("sha256:");

    const never = await muster(["workflow", "never"], { cwd: dir });
    expect(never.code).toBe(125);
    expect(never.stderr).toContain('image "muster-test/absent:1" is not present locally and pull is "never"');
    const unknown = await muster(["workflow", "unknown"], { cwd: dir });
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain('pulling image "127.0.0.1:5000/muster/absent:1" failed:');
  });

  /** A loopback TCP (optionally TLS) port that forwards to the engine's unix socket. */


  test("DOCKER_HOST=tcp:// reaches the engine over TCP, and over TLS with DOCKER_TLS_VERIFY", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: c, type: container, with: { image: ${IMAGE}, command: "echo over tcp" } }\n`);
    const plain = engineProxy();
    try {
      const run = await muster(["workflow", "w"], { cwd: dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${plain.port}` } });
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("over tcp\n");
    } finally {
      plain.stop(true);
    }

    // A CA, a server certificate for 127.0.0.1 and a client certificate, as `docker --tlsverify` uses.
    const certs = join(dir, "certs");
    const sh = (cmd: string) => expect(Bun.spawnSync(["sh", "-c", cmd], { cwd: certs, stderr: "pipe" }).success).toBe(true);
    Bun.spawnSync(["mkdir", "-p", certs]);
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 1 -subj /CN=muster-test-ca 2>/dev/null");
    sh("openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1 2>/dev/null && printf 'subjectAltName=IP:127.0.0.1\\n' > san.cnf && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 1 -extfile san.cnf 2>/dev/null");
    sh("openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client 2>/dev/null && printf 'extendedKeyUsage=clientAuth\\n' > client.cnf && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 1 -extfile client.cnf 2>/dev/null");
    const read = (name: string) => readFileSync(join(certs, name), "utf8");
    const secure = engineProxy({ key: read("server-key.pem"), cert: read("server.pem"), ca: read("ca.pem"), requestCert: true, rejectUnauthorized: true });
    try {
      const env = { DOCKER_HOST: `tcp://127.0.0.1:${secure.port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs };
      const run = await muster(["workflow", "w"], { cwd: dir, env });
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("over tcp\n");
      // Without the client certificate files the error names what is missing.
      const missing = await muster(["workflow", "w"], { cwd: dir, env: { ...env, DOCKER_CERT_PATH: join(dir, "nowhere") } });
      expect(missing.code).toBe(125);
      expect(missing.stderr).toContain("DOCKER_TLS_VERIFY is set but");
    } finally {
      secure.stop(true);
    }
  });

  test("an unreachable engine gives a clear error", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: c, type: container, with: { image: ${IMAGE} } }\n`);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
    expect(run.code).toBe(125);
    expect(run.stderr).toContain("cannot reach the Docker engine at unix:///nonexistent/docker.sock");
    expect(run.stderr).toContain("is dockerd running?");
  });

  test("--dry-run shows the container spec without touching the engine", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n${webService("svc", 18123, 0)}`);
    const run = await muster(["workflow", "w", "--dry-run"], { cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image ${IMAGE} (pull missing)`);
    expect(run.stdout).toContain("port 127.0.0.1:18123 -> 8080/tcp");
  });

  test("container steps work under Deno too (unix-socket fetch through Deno.createHttpClient)", async () => {
    const p = port();
    const dir = project(`workflows:
  e2e:
    steps:
${webService("web", p, 0)}
      - { name: use, type: shell, command: "wget -q -O - http://127.0.0.1:${p}/health" }
      - { name: job, type: container, with: { image: ${IMAGE}, command: "echo deno-container" } }
`);
    const run = await muster(["workflow", "e2e"], { cwd: dir, command: [join(repoRoot, "node_modules/.bin/deno"), "run", "-A", join(repoRoot, "src/main.ts")] });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("ok\ndeno-container\n");
    expect(leftovers(run.pid)).toBe("");
  }, 60_000);
});

describe("engine v2: generic behaviours reach containers", () => {
  test("--log-dir records a foreground container's output, and a service step's start, with the exit status", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: svc
        type: container
        background: true
        with: { image: ${IMAGE}, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"] }
      - name: job
        type: container
        with: { image: ${IMAGE}, command: ["sh", "-c", "echo from-the-container; echo to-stderr >&2"] }
`);
    const run = await muster(["workflow", "w", "--log-dir", "logs"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("from-the-container");
    const job = readFileSync(join(dir, "logs/job.log"), "utf8");
    expect(job).toContain("# command: container muster-test/busybox:1");
    expect(job).toContain("from-the-container\n");
    expect(job).toContain("to-stderr\n");
    expect(job).toMatch(/# succeeded after \S+, 1 attempt\n$/);
    expect(readFileSync(join(dir, "logs/svc.log"), "utf8")).toContain("(background)");
    expect(leftovers(run.pid)).toBe("");
  });

  test("timeout on wait: a service that never becomes healthy fails the wait with 124, and is removed", async () => {
    const dir = project(`workflows:
  w:
    steps:
${webService("never", port(), 600)}
      - { name: gate, type: wait, for: never, timeout: 300ms }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("✗ gate failed (timed out after 300ms)");
    expect(leftovers(run.pid)).toBe("");
  });

  test("-q hides service chatter and the container's output when it succeeds", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: job
        type: container
        with: { image: ${IMAGE}, command: ["sh", "-c", "echo chatty"] }
`);
    const run = await muster(["workflow", "w", "-q"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^✓ workflow w succeeded in \S+\n$/);
  });
});

describe("prune judges liveness correctly", () => {
  const label = (key: string) => `dev.muster.prune-test=${key}`;
  /** Starts a bare container with a given owner label, as another muster would have left it. */
  const planted = (owner: string, key: string) =>
    docker("run", "-d", "--label", `dev.muster.owner=${owner}`, "--label", label(key), IMAGE, "sleep", "600");
  const exists = (key: string) => docker("ps", "-aq", "--filter", `label=${label(key)}`) !== "";

  test("a live run in another PID namespace keeps its services; a muster from an earlier boot is gone; --force and --older-than reach the unobservable", async () => {
    const dir = project(`workflows:
  ns:
    steps:
      - { name: svc, type: container, background: true, with: { image: ${IMAGE}, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"] } }
      - { name: hold, type: shell, command: "echo holding; while [ ! -e release ]; do sleep 0.05; done" }
`);
    // A muster in its own PID namespace, as the runner in the shipped compose file is.
    const inner = Bun.spawn(["unshare", "--pid", "--fork", "--mount-proc", musterBin, "workflow", "ns"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    try {
    const out = watch(inner.stdout);
    expect(await out.waitFor("holding")).toBe(true);
    const ownedByInner = () => docker("ps", "-q", "--filter", "label=dev.muster.workflow=ns", "--filter", "label=dev.muster.step=svc");
    expect(ownedByInner()).not.toBe("");
    const myHost = Bun.spawnSync(["hostname"]).stdout.toString().trim();
    planted(`v2:${myHost}:0000earlierboot:1:4242:1`, "rebooted");
    planted(`${myHost}:1:1`, "legacy");

    const prune = await muster(["prune"]);
    expect(prune.code).toBe(0);
    expect(ownedByInner()).not.toBe(""); // the other namespace's live service survives
    expect(exists("rebooted")).toBe(false);
    expect(prune.stderr).toContain("is gone");
    expect(exists("legacy")).toBe(true);

    const aged = await muster(["prune", "--older-than", "1h"]);
    expect(aged.code).toBe(0);
    expect(exists("legacy")).toBe(true); // just created
    const forced = await muster(["prune", "--force"]);
    expect(forced.stderr).toContain("cannot be seen from here (--force)");
    expect(exists("legacy")).toBe(false);

    writeFiles(dir, { release: "" });
    // The forced prune removed the inner run's service too (that is what --force means); the run still ends cleanly.
    await inner.exited;
    expect(ownedByInner()).toBe("");
    } finally {
      // Whatever failed above, nothing of this test outlives it.
      writeFiles(dir, { release: "" });
      inner.kill("SIGTERM");
      await inner.exited;
      for (const key of ["rebooted", "legacy"]) if (exists(key)) docker("rm", "-f", ...docker("ps", "-aq", "--filter", `label=${label(key)}`).split("\n"));
    }
  });
});

describe("services that die are noticed", () => {
  test("a service that exits after it was ready fails the next gated step, and is reported at once", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: flaky
        type: container
        background: true
        with: { image: ${IMAGE}, command: ["sh", "-c", "trap 'exit 0' TERM; while [ ! -e /work/die ]; do sleep 0.05; done; exit 7"], volumes: [{ source: ., target: /work }] }
      - { name: use, type: shell, command: "echo used" }
      # Handshake: the step ends once the service has exited (a state muster has not been told about).
      - { name: kill, type: shell, command: "touch die; while docker ps -q --filter label=dev.muster.step=flaky --filter status=running | grep -q .; do sleep 0.02; done" }
      - { name: again, type: shell, command: "echo should-not-run" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("used\n");
    expect(run.stdout).not.toContain("should-not-run");
    expect(run.stderr).toContain("! service flaky exited with code 7 after it was ready: the next step that needs it fails");
    expect(run.stderr).toContain(`✗ again failed (service "flaky" exited with code 7 after it was ready)`);
    expect(leftovers(run.pid)).toBe("");
  });
});

describe("teardown after one Ctrl-C", () => {
  test("respects --grace rather than a long stop_timeout: a container that ignores SIGTERM is killed after the grace", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: stubborn
        type: container
        background: true
        with: { image: ${IMAGE}, command: ["sh", "-c", "trap '' TERM; sleep 600 & wait; sleep 600"], stop_timeout: 10m }
      - { name: hang, type: shell, command: "echo holding; sleep 600" }
`);
    const proc = spawnMuster(["workflow", "w", "--grace", "1s"], { cwd: dir });
    const stdout = watch(proc.stdout);
    expect(await stdout.waitFor("holding")).toBe(true);
    proc.kill("SIGINT");
    // One Ctrl-C only: were the 10 m stop_timeout used, this would outlast the test's timeout.
    expect(await proc.exited).toBe(130);
    expect(leftovers(proc.pid)).toBe("");
  });
});

describe("an engine that disappears mid-run", () => {
  test("every container muster could not remove is named", async () => {
    const proxy = engineProxy();
    const dir = project(`workflows:
  w:
    steps:
      - { name: one, type: container, background: true, with: { image: ${IMAGE}, command: ["sleep", "600"] } }
      - { name: two, type: container, background: true, with: { image: ${IMAGE}, command: ["sleep", "600"] } }
      - { name: hold, type: shell, command: "echo holding; while [ ! -e release ]; do sleep 0.02; done" }
`);
    const proc = spawnMuster(["workflow", "w"], { cwd: dir, env: { DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}` } });
    try {
      const stdout = watch(proc.stdout);
      const stderr = watch(proc.stderr);
      expect(await stdout.waitFor("holding")).toBe(true);
      proxy.stop(true); // the engine is gone, as far as muster can tell
      writeFiles(dir, { release: "" });
      await proc.exited;
      await stderr.done;
      const ids = leftovers(proc.pid).split("\n").filter(Boolean);
      expect(ids.length).toBe(2);
      for (const id of ids) expect(stderr.text).toContain(`could not remove container ${id.slice(0, 12)}`);
      expect(stderr.text).toContain(`of step "one"`);
      expect(stderr.text).toContain(`of step "two"`);
    } finally {
      writeFiles(dir, { release: "" });
      const ids = leftovers(proc.pid).split("\n").filter(Boolean);
      if (ids.length > 0) docker("rm", "-f", ...ids);
    }
  });
});

describe("--restrict-host", () => {
  const yaml = `workflows:
  root:
    steps:
      - { name: rootfs, type: container, with: { image: ${IMAGE}, command: ["cat", "/host/etc/hostname"], volumes: [{ source: /, target: /host, read_only: true }] } }
  socket:
    steps:
      - { name: sock, type: container, with: { image: ${IMAGE}, command: ["test", "-S", "/var/run/docker.sock"], volumes: [{ source: /var/run/docker.sock, target: /var/run/docker.sock }] } }
  local:
    steps:
      - { name: here, type: container, with: { image: ${IMAGE}, command: ["cat", "/data/note.txt"], volumes: [{ source: ., target: /data, read_only: true }] } }
`;
  test("host paths outside the project and the Docker socket are refused, naming the setting; allowed when configured; no flag, no check", async () => {
    const dir = project(yaml);
    writeFiles(dir, { "note.txt": "inside\n" });
    // Refused when the plan is made, before anything runs (exit 2), at the field.
    const root = await muster(["workflow", "root", "--restrict-host"], { cwd: dir });
    expect(root.code).toBe(2);
    expect(root.stderr).toContain(`field "with.volumes[0].source": mounting / is not allowed`);
    expect(root.stderr).toContain(`mounting / is not allowed: host paths outside ${dir} need an allowance (an administrator lists path prefixes in MUSTER_ALLOW_HOST_MOUNTS`);
    const socket = await muster(["workflow", "socket", "--restrict-host"], { cwd: dir });
    expect(socket.code).toBe(2);
    expect(socket.stderr).toContain("it is a Docker socket, which is root on the host (an administrator allows it with MUSTER_ALLOW_DOCKER_SOCKET=1)");
    expect((await muster(["workflow", "local", "--restrict-host"], { cwd: dir })).stdout).toBe("inside\n");
    expect((await muster(["workflow", "root", "--restrict-host"], { cwd: dir, env: { MUSTER_ALLOW_HOST_MOUNTS: "/" } })).code).toBe(0);
    expect((await muster(["workflow", "socket", "--restrict-host"], { cwd: dir, env: { MUSTER_ALLOW_DOCKER_SOCKET: "1" } })).code).toBe(0);
    // The CLI keeps its behaviour without the flag.
    expect((await muster(["workflow", "root"], { cwd: dir })).code).toBe(0);
  });
});
