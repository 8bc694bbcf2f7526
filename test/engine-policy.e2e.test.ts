/**
 * End-to-end: the engine policy from the CLI (`--restrict-host`,
 * `MUSTER_RESTRICT_HOST=1`) on the compiled binary and the real engine:
 * `validate` reports the static refusals at their position (the corpus in
 * fixtures/restricted), a run refuses before anything runs, and an
 * allowance lets exactly its own request through. Also S14: a service's
 * command and entrypoint strings are split before they are rendered.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docker, muster, repoRoot, tempDir } from "./helpers.ts";

const dir = "fixtures/restricted";
const names = readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();
const tmp = tempDir("muster-engine-policy-test-");
const tag = `muster-test/policy-build:${process.pid}`;
afterAll(() => {
  Bun.spawnSync(["docker", "rmi", "-f", tag]);
  tmp.cleanup();
});

describe("fixtures/restricted: validate under MUSTER_RESTRICT_HOST=1", () => {
  for (const name of names) {
    test(name, async () => {
      const expected = readFileSync(join(repoRoot, dir, `${name}.expected`), "utf8").trimEnd();
      const restricted = await muster(["validate", "-f", `${dir}/${name}.yaml`], { env: { MUSTER_RESTRICT_HOST: "1" } });
      expect(restricted.code).toBe(2);
      expect(restricted.stderr.split("\n").filter((l) => l && !l.startsWith("✗")).join("\n")).toBe(expected);
      // Unrestricted (the CLI as it always was), the same file is valid.
      expect((await muster(["validate", "-f", `${dir}/${name}.yaml`], { env: { MUSTER_RESTRICT_HOST: undefined, MUSTER_CONFINE: undefined } })).code).toBe(0);
    });
  }
});

describe("--restrict-host on the real engine", () => {
  const project = join(tmp.path, "project");
  const outside = join(tmp.path, "outside");
  mkdirSync(project, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "Dockerfile"), "FROM muster-test/busybox:1\nLABEL dev.muster.test=outside\n");
  writeFileSync(join(project, "workflows.yaml"), `workflows:
  netadmin:
    steps:
      - { name: first, type: shell, command: "echo FIRST-STEP-RAN" }
      - { name: caps, type: container, with: { image: muster-test/busybox:1, pull: never, run_args: ["--cap-add", "NET_ADMIN"], command: "ip link set lo mtu 1400 && echo link-changed" } }
  sysadmin:
    steps:
      - { name: first, type: shell, command: "echo FIRST-STEP-RAN" }
      - { name: caps, type: container, with: { image: muster-test/busybox:1, pull: never, run_args: ["--cap-add", "SYS_ADMIN"], command: id } }
  shadow:
    steps:
      - { name: build, type: container, action: build, with: { context: ., dockerfile: /etc/shadow, tags: [${tag}] } }
  outside:
    steps:
      - { name: build, type: container, action: build, with: { context: ${outside}, tags: [${tag}] } }
`);
  const run = (args: string[], env: Record<string, string> = {}) => muster(["workflow", ...args, "--restrict-host"], { cwd: project, env: { MUSTER_RESTRICT_HOST: undefined, MUSTER_CONFINE: undefined, ...env }, timeoutMs: 60_000 });

  test("a capability is refused before anything runs, and MUSTER_ALLOW_CAPS lets exactly the one it names through", async () => {
    const refused = await run(["netadmin"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`field "with.run_args[0]": --cap-add "NET_ADMIN" is not allowed`);
    expect(refused.stderr).toContain("(an administrator allows it with MUSTER_ALLOW_CAPS=NET_ADMIN)");
    expect(refused.stderr + refused.stdout).not.toContain("FIRST-STEP-RAN");
    const allowed = await run(["netadmin"], { MUSTER_ALLOW_CAPS: "NET_ADMIN" });
    expect(allowed.code).toBe(0);
    expect(allowed.stdout + allowed.stderr).toContain("link-changed");
    const other = await run(["sysadmin"], { MUSTER_ALLOW_CAPS: "NET_ADMIN" });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("MUSTER_ALLOW_CAPS=SYS_ADMIN");
    // Without --restrict-host the CLI is as it was.
    expect((await muster(["workflow", "netadmin"], { cwd: project, env: { MUSTER_RESTRICT_HOST: undefined, MUSTER_CONFINE: undefined } })).code).toBe(0);
  }, 90_000);

  test("a build's Dockerfile or context outside the project is refused; MUSTER_ALLOW_HOST_MOUNTS lets a named prefix through", async () => {
    const shadow = await run(["shadow"]);
    expect(shadow.code).toBe(2);
    expect(shadow.stderr).toContain(`field "with.dockerfile": build dockerfile "/etc/shadow" is not allowed`);
    const refused = await run(["outside"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`field "with.context": build context "${outside}" is not allowed`);
    expect(refused.stderr).toContain("MUSTER_ALLOW_HOST_MOUNTS");
    const allowed = await run(["outside"], { MUSTER_ALLOW_HOST_MOUNTS: outside });
    expect(allowed.code).toBe(0);
    expect(docker("image", "inspect", tag, "--format", '{{index .Config.Labels "dev.muster.test"}}')).toBe("outside");
    expect((await run(["shadow"], { MUSTER_ALLOW_HOST_MOUNTS: outside })).code).toBe(2);
  }, 90_000);
});

describe("S14: a service's command and entrypoint are words first, then rendered", () => {
  test("a var never adds arguments", async () => {
    const project = join(tmp.path, "s14");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "w.yaml"), `workflows:
  svc:
    steps:
      - name: db
        type: container
        background: true
        with: { image: muster-test/busybox:1, command: "echo only-one-arg: {{ .vars.v }}", entrypoint: "/bin/{{ .vars.e }} -x" }
`);
    const described = await muster(["describe", "svc", "-f", "w.yaml", "--var", "v=x -e injected", "--var", "e=sh -c id"], { cwd: project });
    expect(described.code).toBe(0);
    expect(described.stdout).toContain("command echo only-one-arg: 'x -e injected'");
    expect(described.stdout).toContain("entrypoint '/bin/sh -c id' -x");
  });
});
