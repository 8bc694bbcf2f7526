/**
 * BuildKit builds through the docker CLI (src/steps/container/buildx.ts), on
 * the compiled binary: Atmos' `bake-build-run` example is accepted by
 * validate and describe; at run time it is refused, saying what to install,
 * by the real docker CLI of this machine when it has no buildx plugin (and
 * when there is no docker at all); with a docker on PATH that has buildx
 * (a stand-in recording its arguments: the CLI is the boundary), muster runs
 * Atmos' exact `docker buildx` commands and stores the result as Atmos does.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, repoRoot, tempDir } from "./helpers.ts";

const tmp = tempDir("muster-buildx-");
afterAll(() => tmp.cleanup());
let n = 0;
/** A copy of Atmos' container-step example (fixtures/atmos/examples/container-step). */
function example(): string {
  const dir = join(tmp.path, `example-${++n}`);
  cpSync(join(repoRoot, "fixtures/atmos/examples/container-step"), dir, { recursive: true });
  return dir;
}
const realDockerHasBuildx = Bun.spawnSync(["docker", "buildx", "version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;

/** A docker with buildx: records each call's arguments (one [word] each) and bake's TAG variable; `buildx create` says the builder exists. */
function fakeDocker(): { bin: string; log: string } {
  const bin = join(tmp.path, `bin-${++n}`);
  mkdirSync(bin, { recursive: true });
  const log = join(bin, "calls");
  writeFileSync(join(bin, "docker"), `#!/bin/sh
for a in "$@"; do printf '[%s]' "$a"; done >> "${log}"; echo " TAG=$TAG" >> "${log}"
case "$1 $2" in
  "buildx version") echo "github.com/docker/buildx v0.17.1 stand-in";;
  "buildx create") echo "ERROR: existing instance for \\"$4\\" but no append mode, specify the node name to make changes for existing instances" >&2; exit 1;;
  "buildx build"|"buildx bake") echo "#1 building (stand-in)";;
esac
`);
  chmodSync(join(bin, "docker"), 0o755);
  return { bin, log };
}

describe("BuildKit through docker buildx", () => {
  test("validate and describe accept Atmos' bake-build-run; describe shows the docker buildx bake command", async () => {
    const dir = example();
    const validate = await muster(["validate"], { cwd: dir });
    expect(validate.stderr).not.toContain("bake-build-run");
    const describe = await muster(["describe", "bake-build-run"], { cwd: dir });
    expect(describe.code).toBe(0);
    expect(describe.stdout).toContain(`docker buildx bake --file ${dir}/docker-bake.hcl --load app\n       bake var TAG=atmos-container-step:bake\n`);
  });

  test.skipIf(realDockerHasBuildx)("without the buildx plugin (this machine's docker): refused at run time with what to install, exit 127", async () => {
    const dir = example();
    const run = await muster(["workflow", "bake-build-run"], { cwd: dir });
    expect(run.code).toBe(127);
    expect(run.stderr).toContain(`✗ build failed (a BuildKit build (engine: buildx, bake) needs docker's buildx plugin, and "docker buildx version" failed (docker: `);
    expect(run.stderr).toContain("install Docker's buildx plugin (the docker-buildx-plugin package, or https://github.com/docker/buildx#installing)");
    expect(run.stderr).toContain("○ run skipped (an earlier step failed)");
  });

  test("without docker on PATH: refused at run time, naming the docker CLI", async () => {
    const dir = example();
    const empty = join(tmp.path, "empty-bin");
    mkdirSync(empty, { recursive: true });
    const run = await muster(["workflow", "bake-build-run"], { cwd: dir, env: { PATH: empty } });
    expect(run.code).toBe(127);
    expect(run.stderr).toContain("a BuildKit build (engine: buildx, bake) runs through the docker CLI, and no docker is on PATH");
  });

  test("with buildx: Atmos' bake argv, the vars in the environment, the first tag as the value", async () => {
    const dir = example();
    const { bin, log } = fakeDocker();
    writeFileSync(join(dir, "workflows/bake-only.yaml"), `workflows:
  bake-only:
    steps:
      - name: build
        type: container
        action: build
        provider: docker
        with:
          engine: buildx
          tags: [atmos-container-step:bake]
          bake: { file: docker-bake.hcl, target: app, vars: { TAG: atmos-container-step:bake }, load: true }
      - { name: show, type: shell, command: 'echo "built {{ .steps.build.value }}"' }
`);
    const run = await muster(["workflow", "bake-only"], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readFileSync(log, "utf8")).toBe(`[buildx][version] TAG=\n[buildx][bake][--file][${dir}/docker-bake.hcl][--load][app] TAG=atmos-container-step:bake\n`);
    expect(run.stdout).toBe("built atmos-container-step:bake\n");
  });

  test("with buildx: engine buildx with a driver and cache.to: buildx create (an existing builder is fine), then Atmos' build argv", async () => {
    const dir = example();
    const { bin, log } = fakeDocker();
    writeFileSync(join(dir, "workflows/buildx.yaml"), `workflows:
  buildx:
    steps:
      - name: build
        type: container
        action: build
        with:
          provider: docker
          engine: buildx
          context: .
          tags: [app:1]
          build_args: { VERSION: "2" }
          load: true
          driver: { name: ci, provider: docker-container, opts: { network: host } }
          cache: { from: [{ type: registry, ref: "app:cache" }], to: [{ type: local, dest: .cache, mode: max }] }
`);
    const run = await muster(["workflow", "buildx"], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readFileSync(log, "utf8").split("\n").slice(1, 3)).toEqual([
      "[buildx][create][--name][ci][--driver][docker-container][--driver-opt][network=host] TAG=",
      `[buildx][build][--builder][ci][--cache-from][ref=app:cache,type=registry][--cache-to][dest=${dir}/.cache,mode=max,type=local][--load][--build-arg][VERSION=2][-t][app:1][-f][Dockerfile][${dir}] TAG=`,
    ]);
  });

  test("what Atmos refuses stays refused at validate: buildx without provider: docker, a driver without buildx", async () => {
    const dir = example();
    writeFileSync(join(dir, "workflows/bad.yaml"), `workflows:
  bad:
    steps:
      - { name: a, type: container, action: build, with: { engine: buildx } }
      - { name: b, type: container, action: build, provider: docker, with: { driver: docker-container } }
`);
    const run = await muster(["validate", "-f", "bad"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`bad.yaml:4:60: workflow "bad", step "a": field "with.engine": Docker Buildx and Bake need provider: docker, as in Atmos`);
    expect(run.stderr).toContain(`bad.yaml:5:78: workflow "bad", step "b": field "with.driver": a BuildKit driver needs engine: buildx or bake, as in Atmos`);
  });
});
