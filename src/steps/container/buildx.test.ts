import { expect, test } from "bun:test";
import * as v from "valibot";
import { buildWith } from "./build.ts";
import { buildkitProblems, buildxArgs } from "./buildx.ts";

const parsed = (w: Record<string, unknown>) => v.parse(buildWith, w);

test("buildx build: Atmos' argument order (builder, cache, load, no-cache, pull, target, build args, tags, -f, context)", () => {
  const w = parsed({
    engine: "buildx", tags: ["app:1", "app:latest"], build_args: { B: "2", A: "1" }, target: "prod", no_cache: true, pull: true, load: true,
    driver: { name: "ci", provider: "docker-container", opts: { network: "host", image: "moby/buildkit" } },
    cache: { from: [{ type: "registry", ref: "app:cache" }], to: [{ type: "local", dest: "cache", mode: "max" }] },
  });
  const plan = buildxArgs(w, "/repo/ctx", "/repo");
  expect(plan.create).toEqual(["buildx", "create", "--name", "ci", "--driver", "docker-container", "--driver-opt", "image=moby/buildkit", "--driver-opt", "network=host"]);
  expect(plan.args).toEqual([
    "buildx", "build", "--builder", "ci", "--cache-from", "ref=app:cache,type=registry", "--cache-to", "dest=/repo/cache,mode=max,type=local",
    "--load", "--no-cache", "--pull", "--target", "prod", "--build-arg", "A=1", "--build-arg", "B=2", "-t", "app:1", "-t", "app:latest", "-f", "Dockerfile", "/repo/ctx",
  ]);
});

test("buildx bake: files anchored, sets, target(s); vars go to the environment; a bare driver string is the provider, builder atmos", () => {
  const w = parsed({ bake: { file: "docker-bake.hcl", files: ["/abs/extra.hcl"], target: "app", targets: ["b"], set: ["*.platform=linux/amd64"], vars: { TAG: "x:1" }, load: true, push: false, print: true }, driver: "docker-container" });
  const plan = buildxArgs(w, "/repo", "/repo");
  expect(plan.create).toEqual(["buildx", "create", "--name", "atmos", "--driver", "docker-container"]);
  expect(plan.args).toEqual(["buildx", "bake", "--builder", "atmos", "--file", "/repo/docker-bake.hcl", "--file", "/abs/extra.hcl", "--load", "--print", "--set", "*.platform=linux/amd64", "app", "b"]);
  expect(plan.env).toEqual({ TAG: "x:1" });
});

test("what Atmos refuses of a BuildKit build", () => {
  const at = (w: Record<string, unknown>, provider?: string) => buildkitProblems(parsed(w), provider).map((p) => p.path.join("."));
  expect(at({ engine: "buildx" }, "docker")).toEqual([]);
  expect(at({ engine: "buildx", provider: "docker" })).toEqual([]);
  expect(at({ engine: "buildx" })).toEqual(["with.engine"]);
  expect(at({ bake: { target: "app" } }, "podman")).toEqual(["with.bake"]);
  expect(at({ bake: { target: "app" }, load: true }, "docker")).toEqual(["with.load"]);
  expect(at({ driver: "docker-container" }, "docker")).toEqual(["with.driver"]);
  expect(at({ load: true }, "docker")).toEqual(["with.load"]);
});
