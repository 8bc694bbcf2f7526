/**
 * End-to-end: Atmos' container actions against a real Docker engine (images
 * from `docker import`, as scripts/setup-docker.sh makes them): build from a
 * context with a `.dockerignore` and build args, inspect, run the result
 * with its value passed through `.steps`, push to a registry that wants a
 * password, and the workflow sandbox sharing files with the host. Atmos'
 * own examples (fixtures/atmos/examples/container-step, container-sandbox)
 * run. Nothing is left: containers (by this run's owner label), images the
 * tests built (removed by tag), volumes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, containersOwnedBy, docker, muster, musterBin, repoRoot, tempDir, writeFiles } from "./helpers.ts";
import { startAuthRegistry, type Registry } from "./registry.ts";

const IMAGE = "muster-test/busybox:1";
const tmp = tempDir("muster-container-actions-test-");
const tag = `muster-test/built-${crypto.randomUUID().slice(0, 8)}`;
const builtTags = new Set<string>();
let registry: Registry;
let n = 0;
/** The engine's volumes before the tests: the runs must add none. */
let volumesBefore: Set<string>;

const containersOf = containersOwnedBy;

function project(files: Record<string, string>): string {
  const dir = join(tmp.path, `p${++n}`);
  writeFiles(dir, files);
  return dir;
}

beforeAll(async () => {
  volumesBefore = new Set(docker("volume", "ls", "-q").split("\n").filter(Boolean));
  registry = await startAuthRegistry(join(tmp.path, "registry"));
}, 30_000);
afterAll(async () => {
  try {
    for (const t of builtTags) Bun.spawnSync(["docker", "rmi", "-f", t], { stderr: "ignore", stdout: "ignore" });
    await registry?.stop();
  } finally {
    tmp.cleanup();
  }
}, 60_000);

const CONTEXT = {
  Dockerfile: `FROM ${IMAGE}
ARG GREETING=unset
RUN echo "$GREETING" > /greeting
COPY . /ctx
LABEL org.example.from=muster-test
`,
  ".dockerignore": "# not sent\nsecret.txt\nlogs/\n*.tmp\n!keep.tmp\n",
  "app.txt": "app\n",
  "secret.txt": "do not send\n",
  "logs/a.log": "noise\n",
  "keep.tmp": "kept by the ! rule\n",
  "other.tmp": "dropped\n",
};

describe("build, inspect, run, push", () => {
  test("an image built from a context with .dockerignore and build args is inspected and run, its value passed through .steps", async () => {
    const image = `${tag}:1`;
    builtTags.add(image);
    const dir = project({
      ...Object.fromEntries(Object.entries(CONTEXT).map(([k, v]) => [`app/${k}`, v])),
      "workflows.yaml": `workflows:
  ship:
    steps:
      - name: build
        type: container
        action: build
        with:
          context: app
          tags: ["${image}"]
          build_args: { GREETING: "{{ .vars.greeting }}" }
          labels: { org.example.run: "labelled" }
        outputs:
          image: "{{ .metadata.image }}"
      - name: inspect
        type: container
        action: inspect
        with: { image: "{{ .steps.build.outputs.image }}" }
      - name: run
        type: container
        with:
          image: "{{ .steps.build.value }}"
          command: cat /greeting; ls -A /ctx | tr '\\n' ' '; echo
      - name: report
        type: shell
        command: "echo 'ran: {{ .steps.run.value }}'; echo 'id: {{ .steps.inspect.image_id }}'; echo 'built: {{ .steps.build.image_id }}'"
`,
    });
    const run = await muster(["workflow", "ship", "--var", "greeting=hello from a build arg"], { cwd: dir, timeoutMs: 120_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    const id = docker("image", "inspect", "--format", "{{.Id}}", image);
    expect(docker("image", "inspect", "--format", '{{index .Config.Labels "org.example.from"}} {{index .Config.Labels "org.example.run"}}', image)).toBe("muster-test labelled");
    // What the .dockerignore excluded never reached the engine; `!keep.tmp` came back.
    expect(run.stdout).toContain("hello from a build arg\n.dockerignore Dockerfile app.txt keep.tmp \nran: hello from a build arg\n.dockerignore Dockerfile app.txt keep.tmp\n");
    expect(run.stdout).not.toContain("secret.txt");
    expect(run.stdout).not.toContain("other.tmp");
    expect(run.stdout).toContain(`id: ${id}\nbuilt: ${id}\n`);
    // inspect's table on stdout; the build's progress and summary on stderr.
    expect(run.stdout).toMatch(new RegExp(`^id +${id}$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^tags +${image}$`, "m"));
    expect(run.stderr).toContain("sending 4 files (193 B) to the engine");
    expect(run.stderr).toMatch(/building muster-test\/built-[0-9a-f]+:1: Step 1\/6 : FROM muster-test\/busybox:1/);
    expect(run.stderr).toContain(`built ${image} (sha256:`);
    expect(containersOf(run.pid)).toEqual([]);
  }, 120_000);

  test("push: refused without credentials, accepted with config.json's auths and with a credential helper; the pushed image runs", async () => {
    const image = `${tag}:push`;
    builtTags.add(image);
    docker("tag", IMAGE, image);
    const version = `v${Date.now().toString(36)}`;
    const target = `${registry.host}/team/app:${version}`;
    builtTags.add(target);
    const workflows = `workflows:
  publish:
    steps:
      - name: push
        type: container
        action: push
        with: { image: "${image}", tags: ["${target}"] }
        outputs:
          digest: "{{ .metadata.digest }}"
      - name: check
        type: shell
        command: "echo 'pushed {{ .steps.push.value }} {{ .steps.push.outputs.digest }}'"
  pull-back:
    steps:
      - name: run
        type: container
        with: { image: "${target}", pull: always, command: "echo ran the pushed image" }
`;
    const dir = project({ "workflows.yaml": workflows });
    const none = join(tmp.path, "no-credentials");
    writeFiles(none, { "config.json": "{}" });
    const refused = await muster(["workflow", "publish"], { cwd: dir, env: { DOCKER_CONFIG: none }, timeoutMs: 60_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`push of ${target} failed:`);
    expect(refused.stderr).toMatch(/no basic auth credentials|unauthorized|authentication required/);

    const auths = join(tmp.path, "auths");
    writeFiles(auths, { "config.json": JSON.stringify({ auths: { [registry.host]: { auth: btoa(`${registry.user}:${registry.password}`) } } }) });
    const pushed = await muster(["workflow", "publish"], { cwd: dir, env: { DOCKER_CONFIG: auths }, timeoutMs: 60_000 });
    expect({ code: pushed.code, stderr: pushed.code === 0 ? "" : pushed.stderr }).toEqual({ code: 0, stderr: "" });
    expect(pushed.stdout).toMatch(new RegExp(`^pushed ${target.replace(/[.]/g, "\\.")} sha256:[0-9a-f]{64}$`, "m"));
    const digest = /sha256:[0-9a-f]{64}/.exec(pushed.stdout)![0];
    // The registry has it under that digest (asked with the same credentials).
    const manifest = await fetch(`http://${registry.host}/v2/team/app/manifests/${version}`, {
      headers: { authorization: `Basic ${btoa(`${registry.user}:${registry.password}`)}`, accept: "application/vnd.docker.distribution.manifest.v2+json" },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get("docker-content-digest")).toBe(digest);

    // A credential helper named for the registry: docker-credential-<name> on PATH.
    const helperDir = join(tmp.path, "helper");
    writeFiles(helperDir, {
      "config.json": JSON.stringify({ credHelpers: { [registry.host]: "muster-test" } }),
      "bin/docker-credential-muster-test": `#!/bin/sh\nread server\necho "$server" >> ${join(tmp.path, "helper", "asked")}\nprintf '{"ServerURL":"%s","Username":"${registry.user}","Secret":"${registry.password}"}' "$server"\n`,
    });
    chmodSync(join(helperDir, "bin/docker-credential-muster-test"), 0o755);
    Bun.spawnSync(["docker", "rmi", target], { stdout: "ignore", stderr: "ignore" });
    const viaHelper = await muster(["workflow", "pull-back"], { cwd: dir, env: { DOCKER_CONFIG: helperDir, PATH: `${join(helperDir, "bin")}:${process.env.PATH}` }, timeoutMs: 60_000 });
    expect({ code: viaHelper.code, stderr: viaHelper.code === 0 ? "" : viaHelper.stderr }).toEqual({ code: 0, stderr: "" });
    expect(viaHelper.stdout).toBe("ran the pushed image\n");
    expect(readFileSync(join(helperDir, "asked"), "utf8").trim()).toBe(registry.host);
  }, 120_000);

  test("an exported type: env DOCKER_CONFIG reaches push (the run's environment, not muster's own)", async () => {
    const image = `${tag}:push-env`;
    builtTags.add(image);
    docker("tag", IMAGE, image);
    const target = `${registry.host}/team/env:v${Date.now().toString(36)}`;
    builtTags.add(target);
    const auths = join(tmp.path, "env-auths");
    writeFiles(auths, { "config.json": JSON.stringify({ auths: { [registry.host]: { auth: btoa(`${registry.user}:${registry.password}`) } } }) });
    const none = join(tmp.path, "env-no-credentials");
    writeFiles(none, { "config.json": "{}" });
    const dir = project({
      "workflows.yaml": `workflows:
  publish:
    steps:
      - name: credentials
        type: env
        vars: { DOCKER_CONFIG: "${auths}" }
      - name: push
        type: container
        action: push
        with: { image: "${image}", tags: ["${target}"] }
`,
    });
    const run = await muster(["workflow", "publish"], { cwd: dir, env: { DOCKER_CONFIG: none }, timeoutMs: 60_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
  }, 120_000);

  test("run: the step's directory is the workspace, env is the step's own, cleanup: on_success keeps a failed container, and validation catches what cannot work", async () => {
    const dir = project({
      "sub/data.txt": "from the host\n",
      "workflows.yaml": `workflows:
  run:
    env: { WORKFLOW_ONLY: "not for containers" }
    steps:
      - name: look
        type: container
        working_directory: sub
        env: { STEP_VAR: "for the container" }
        with:
          image: ${IMAGE}
          command: 'pwd; cat data.txt; echo "step=$STEP_VAR workflow=\${WORKFLOW_ONLY:-unset}"; echo made > made.txt'
      - name: readonly
        type: container
        working_directory: sub
        with: { image: ${IMAGE}, workspace: /src, workspace_read_only: true, command: "pwd; touch x 2>/dev/null || echo read-only" }
      # A last line without a newline, written as the container exits: the engine's follow stream often ends before it.
      - { name: t1, type: container, with: { image: ${IMAGE}, command: "echo one; ls / | tr '\\n' ' '" } }
      - { name: t2, type: container, with: { image: ${IMAGE}, command: "echo two; ls / | tr '\\n' ' '" } }
      - { name: t3, type: container, with: { image: ${IMAGE}, command: "echo three; ls / | tr '\\n' ' '" } }
      - { name: tails, type: shell, command: "echo '{{ .steps.t1.value }}|{{ .steps.t2.value }}|{{ .steps.t3.value }}' | grep -c 'bin dev etc'" }
  keep:
    steps:
      - name: broken
        type: container
        with: { image: ${IMAGE}, cleanup: on_success, command: "echo inspect me; exit 4" }
  invalid:
    steps:
      - { name: image, type: container, with: { image: "Not A Reference" } }
      - { name: blank, type: container, with: { image: "  " } }
      - name: ports
        type: container
        with: { image: ${IMAGE}, ports: [{ host: 8080, container: 80 }, { host: 8080, container: 81 }] }
      - { name: mounts, type: container, with: { image: ${IMAGE}, mounts: [{ source: ./x, target: relative/path }, { type: tmpfs, source: ./y, target: /t }] } }
      - { name: args, type: container, with: { image: ${IMAGE}, run_args: ["--gpus", "all"] } }
      - { name: restart, type: container, with: { image: ${IMAGE}, restart: { policy: always } } }
`,
    });
    const run = await muster(["workflow", "run"], { cwd: dir, timeoutMs: 60_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toStartWith("/workspace\nfrom the host\nstep=for the container workflow=unset\n/src\nread-only\n");
    // Each tail reached both the output and the step's value.
    expect(run.stdout.match(/bin dev etc proc/g)?.length).toBe(3);
    expect(run.stdout).toEndWith("www 3\n");
    expect(readFileSync(join(dir, "sub/made.txt"), "utf8")).toBe("made\n");
    expect(containersOf(run.pid)).toEqual([]);

    const kept = await muster(["workflow", "keep"], { cwd: dir, timeoutMs: 60_000 });
    expect(kept.code).toBe(4);
    const left = containersOf(kept.pid);
    try {
      expect(left.length).toBe(1);
      const id = left[0]!.split(" ")[0]!;
      expect(kept.stderr).toContain(`kept container ${id}`);
      expect(docker("logs", id)).toBe("inspect me");
    } finally {
      for (const line of left) docker("rm", "-f", line.split(" ")[0]!);
    }

    const invalid = await muster(["validate", "-f", join(dir, "workflows.yaml")], { cwd: dir });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('workflows.yaml:28:56: workflow "invalid", step "image": field "with.image": got "Not A Reference" (expected an image reference such as alpine:3.20 or 127.0.0.1:5000/team/app:1)');
    expect(invalid.stderr).toContain('step "blank": field "with.image": got "  " (expected an image reference such as alpine:3.20 or 127.0.0.1:5000/team/app:1 (it is blank))');
    expect(invalid.stderr).toContain('step "ports": field "with.ports[1].host": 127.0.0.1:8080/tcp is already published by ports[0] (expected each host port once)');
    expect(invalid.stderr).toContain('step "mounts": field "with.mounts[0].target": "relative/path" is not an absolute path in the container (expected a path such as /data)');
    expect(invalid.stderr).toContain('step "mounts": field "with.mounts[1].source": a tmpfs has no source');
    expect(invalid.stderr).toContain('step "args": field "with.run_args[0]": "--gpus" is not supported (muster talks to the Engine API, not the docker CLI; supported: --network');
    expect(invalid.stderr).toContain('step "restart": field "with.restart": a restart policy applies to background services only');
  }, 120_000);
});

describe("the workflow sandbox", () => {
  test("shell steps share one container and the host's files through the workspace; container: false runs on the host; a step's own container is its own", async () => {
    const dir = project({
      "tools/hello.sh": "echo hello from a script file\n",
      "workflows.yaml": `workflows:
  sandboxed:
    container:
      image: ${IMAGE}
      env: { IN_SANDBOX: "yes" }
    env: { SHARED: "workflow env" }
    steps:
      - name: write
        type: shell
        command: 'echo "$IN_SANDBOX $SHARED" > from-sandbox.txt; hostname > sandbox-host.txt'
      - name: again
        type: shell
        working_directory: tools
        command: 'pwd; sh hello.sh; [ "$(hostname)" = "$(cat ../sandbox-host.txt)" ] && echo same container'
      - name: host
        type: shell
        container: false
        command: 'cat from-sandbox.txt; echo "host sees IN_SANDBOX=\${IN_SANDBOX:-unset}"'
      - name: own
        type: shell
        container: { image: ${IMAGE}, workspace: /elsewhere }
        command: 'pwd; [ "$(hostname)" != "$(cat sandbox-host.txt)" ] && echo another container'
      - name: script
        type: script
        interpreter: sh
        script: echo "script in $(pwd)"
      - name: group
        type: parallel
        steps:
          - { name: child, type: shell, command: '[ "$(hostname)" != "$(cat sandbox-host.txt)" ] && echo "child on the host"' }
`,
    });
    const run = await muster(["workflow", "sandboxed"], { cwd: dir, timeoutMs: 60_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toContain("/workspace/tools\nhello from a script file\nsame container\n");
    expect(run.stdout).toContain("yes workflow env\nhost sees IN_SANDBOX=unset\n");
    expect(run.stdout).toContain("/elsewhere\nanother container\n");
    expect(run.stdout).toContain("script in /workspace\n");
    // Group children never run in the workflow's sandbox (as in Atmos).
    expect(run.stdout).toContain("child on the host");
    expect(readFileSync(join(dir, "from-sandbox.txt"), "utf8")).toBe("yes workflow env\n");
    expect(run.stderr).toMatch(/sandbox started: muster-test\/busybox:1, .+ at \/workspace \(container [0-9a-f]{12}\)/);
    expect(run.stderr).toMatch(/^• removed sandbox \([0-9a-f]{12}\)$/m);
    expect(run.stderr).toMatch(/^• removed own-sandbox \([0-9a-f]{12}\)$/m);
    expect(containersOf(run.pid)).toEqual([]);
  }, 60_000);
});

test("under Deno too: a build (its context sent as the request body) and a sandboxed step", async () => {
  const image = `${tag}:deno`;
  builtTags.add(image);
  const dir = project({
    "app/Dockerfile": `FROM ${IMAGE}\nRUN echo built-under-deno > /what\n`,
    "workflows.yaml": `workflows:
  d:
    container: { image: ${IMAGE} }
    steps:
      - { name: build, type: container, action: build, with: { context: app, tags: ["${image}"] } }
      - { name: run, type: container, with: { image: "{{ .steps.build.value }}", command: "cat /what" } }
      - { name: inside, type: shell, command: 'test -e /what || echo "in the sandbox at $(pwd)"' }
`,
  });
  const run = await muster(["workflow", "d"], { cwd: dir, command: [join(repoRoot, "node_modules/.bin/deno"), "run", "-A", join(repoRoot, "src/main.ts")], timeoutMs: 90_000 });
  expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
  expect(run.stdout).toBe("built-under-deno\nin the sandbox at /workspace\n");
}, 90_000);

describe("Atmos' examples", () => {
  const copy = (name: string) => {
    const dir = join(tmp.path, `atmos-${name}-${++n}`);
    cpSync(join(repoRoot, "fixtures/atmos/examples", name), dir, { recursive: true });
    return dir;
  };

  test("container-sandbox: sandbox", async () => {
    const dir = copy("container-sandbox");
    const run = await muster(["workflow", "sandbox"], { cwd: dir, timeoutMs: 60_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toContain("workspace: /workspace\nworkflow env: hello from workflow env\ncontainer env: workflow\nstep env: hello from step env\n");
    expect(run.stdout).toContain("container step can read:\ncreated inside the workflow sandbox\n");
    expect(run.stdout).toContain("host step opted out of the workflow sandbox\nhost can read the mounted workspace file:\ncreated inside the workflow sandbox\n");
    expect(existsSync(join(dir, ".sandbox"))).toBe(false);
    expect(containersOf(run.pid)).toEqual([]);
  }, 60_000);

  test("container-step: hello, build-run, workspace, env, workflow-container, push-local-registry run; failing-check fails; bake is accepted; shell attaches", async () => {
    const dir = copy("container-step");
    builtTags.add("atmos-container-step:local");
    builtTags.add("127.0.0.1:5000/atmos-container-step:local");
    const expectations: Array<[string, string]> = [
      ["hello", "hello from a workflow container\n"],
      ["build-run", "hello from the built Atmos example image\nLinux"],
      ["workspace", "container workspace:\n/workspace\nworkspace files:\n"],
      ["env", "\nhello from step env\n"],
      ["workflow-container", "hello from container env\nhello from workflow env\n/workspace\nhello from step env\nthis step runs on the host\n"],
      ["push-local-registry", "hello from the built Atmos example image\n"],
    ];
    for (const [workflow, output] of expectations) {
      const run = await muster(["workflow", workflow], { cwd: dir, timeoutMs: 120_000 });
      expect({ workflow, code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ workflow, code: 0, stderr: "" });
      expect(run.stdout).toContain(output);
      expect(containersOf(run.pid)).toEqual([]);
    }
    const failing = await muster(["workflow", "failing-check"], { cwd: dir, timeoutMs: 60_000 });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain("simulated check failed");
    const validate = await muster(["validate"], { cwd: dir });
    // bake-build-run is accepted (it runs through docker buildx: test/buildx.e2e.test.ts).
    expect(validate.stderr).not.toContain("bake-build-run");
    expect(validate.stderr).not.toContain('workflow "shell"');
    // Atmos' `shell` example attaches the container to muster's terminal; here a pipe (terminals.e2e.test.ts drives a real one).
    const shell = Bun.spawn([musterBin, "workflow", "shell"], { cwd: dir, env: baseEnv(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    shell.stdin.write("echo from-the-$((1+1))-shell; exit\n");
    await shell.stdin.end();
    const [shellOut, shellCode] = await Promise.all([new Response(shell.stdout).text(), shell.exited]);
    expect({ code: shellCode, said: shellOut.includes("from-the-2-shell") }).toEqual({ code: 0, said: true });
  }, 300_000);
});

describe("services you can see", () => {
  test("without a terminal: starting, then ✓ only once ready, removing while it goes; --log-dir keeps its log in the container's order", async () => {
    const logs = join(tmp.path, `logs-${++n}`);
    const dir = project({
      "workflows.yaml": `workflows:
  svc:
    steps:
      - name: web
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "trap 'exit 0' TERM; echo o1; sleep 0.1; echo e1 >&2; sleep 0.1; echo o2; sleep 0.1; echo e2 >&2; touch /ready; while :; do sleep 1; done"]
          healthcheck: { test: "test -e /ready", interval: 200ms, retries: 50 }
      - { name: ready, type: wait, for: web }
      - { name: use, type: shell, command: "echo using web" }
      - { name: again, type: wait, for: web }
`,
    });
    const run = await muster(["workflow", "svc", "--log-dir", logs], { cwd: dir, timeoutMs: 60_000 });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    const lines = run.stderr.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const starting = at(/^• service web starting \(muster-test\/busybox:1, container [0-9a-f]{12}\)$/);
    const ready = at(/^✓ service web ready in \d/);
    const using = at(/^▸ use /);
    const removing = at(/^• removing service web \([0-9a-f]{12}\)$/);
    const removed = at(/^• removed service web/);
    const waited = at(/^• ready: waited \d+(\.\d+)?m?s for web$/);
    const noWait = at(/^• again: web already ready, no wait$/);
    expect([starting, ready, waited, using, noWait, removing, removed].every((i) => i >= 0)).toBe(true);
    expect(starting < ready && ready < waited && waited < using && using < noWait && noWait < removing && removing < removed).toBe(true);
    // Starting it is not a success of its own.
    expect(lines.some((line) => /^✓ web /.test(line))).toBe(false);
    const id = lines[starting]!.match(/container ([0-9a-f]{12})/)![1];
    const saved = readFileSync(join(logs, "services", `web-${id}.log`), "utf8");
    expect(saved).toContain("o1\ne1\no2\ne2\n");
    expect(containersOf(run.pid)).toEqual([]);
  }, 60_000);

  test("a service that never gets healthy: the failure shows the last probe and its last lines in the container's order", async () => {
    const dir = project({
      "workflows.yaml": `workflows:
  svc:
    steps:
      - name: db
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "trap 'exit 0' TERM; for i in 1 2 3; do echo out$i; sleep 0.1; echo err$i >&2; sleep 0.1; done; while :; do sleep 1; done"]
          healthcheck: { test: "echo probing; exit 1", interval: 200ms, retries: 2, start_period: 1s }
      - { name: use, type: shell, command: "echo never" }
`,
    });
    const run = await muster(["workflow", "svc"], { cwd: dir, timeoutMs: 60_000 });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain("never");
    expect(run.stderr).toContain('service "db" became unhealthy');
    expect(run.stderr).toContain("last health probe (exit 1): probing");
    expect(run.stderr).toContain("last 50 log lines:\n    out1\n    err1\n    out2\n    err2\n    out3\n    err3\n");
    expect(containersOf(run.pid)).toEqual([]);
  }, 60_000);
});

test("no volume is left by the runs above (anonymous volumes go with their containers)", () => {
  expect(docker("volume", "ls", "-q").split("\n").filter((v) => v && !volumesBefore.has(v))).toEqual([]);
});
