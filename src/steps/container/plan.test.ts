import { expect, test } from "bun:test";
import * as v from "valibot";
import { parseWorkflowFile } from "../../load/parse.ts";
import { buildPlan as planWorkflow } from "../../load/plan.ts";
import type { RunContext } from "../../workflow/run-context.ts";
import { ACTIONS, actionOf } from "./actions.ts";
import { buildkitField, buildPlan, buildWith, cacheSources } from "./build.ts";
import { runWith } from "./fields.ts";
import { pushTargets } from "./push.ts";
import { runProblems, runSpec } from "./run.ts";
import type { ContainerPlan } from "./types.ts";

/** Plans the container steps of `steps` (YAML list items) in workflow "wf" of /repo/w.yaml: each step's plan, and the plan's errors. */
function plan(steps: string, env: Record<string, string> = { HOME: "/h" }): { plans: ContainerPlan[]; errors: string[] } {
  const { workflowFile, diagnostics } = parseWorkflowFile("/repo/w.yaml", `workflows:\n  wf:\n    env: { WF: wf }\n    steps:\n${steps}`);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  const run: RunContext = { workflow: workflowFile!.workflows.get("wf")!, workflowFile: "/repo/w.yaml", vars: { tag: "1.2" }, env, baseDir: "/repo", atmosBin: "atmos", shell: ["sh", "-c"] };
  const planned = planWorkflow(run);
  return { plans: planned.steps.map((s) => s.resolved as ContainerPlan), errors: planned.errors.map((e) => e.message) };
}

/** What `validate` says about one container step. */
function problems(step: string): string[] {
  return parseWorkflowFile("/repo/w.yaml", `workflows:\n  wf:\n    steps:\n${step}`).diagnostics.map((d) => d.message);
}

const parsedRun = (w: Record<string, unknown>) => v.parse(runWith, w);

test("runSpec, foreground: the command through the image's shell, the step's own env only, its directory at the workspace, credential files mounted", () => {
  const spec = runSpec(parsedRun({ image: "alpine:3.20", command: "make test", env: { CI: "1" } }), {
    name: "t", background: false, ownEnv: ["TOKEN", "KUBECONFIG"], env: { TOKEN: "x", KUBECONFIG: "/h/.kube/config", WF: "wf" }, cwd: "/repo", runEnv: {},
  });
  expect(spec).toMatchObject({
    image: "alpine:3.20",
    command: ["/bin/sh", "-lc", "make test"],
    env: { TOKEN: "x", KUBECONFIG: "/h/.kube/config", CI: "1" },
    volumes: [
      { type: "bind", source: "/repo", target: "/workspace", readOnly: false },
      { type: "bind", source: "/h/.kube/config", target: "/h/.kube/config", readOnly: true },
    ],
    workdir: "/workspace",
    pull: "missing",
    cleanup: "always",
    stopTimeoutMs: 5000,
  });
  // toMatchObject matches nested maps partially: the environment is checked whole.
  expect(spec.env).toEqual({ TOKEN: "x", KUBECONFIG: "/h/.kube/config", CI: "1" });
  expect(spec.healthcheck).toBeUndefined();
});

test("runSpec, background: the command split into words (no shell), the whole environment, no workspace", () => {
  const spec = runSpec(parsedRun({ image: "redis:7", command: "redis-server --port '6380'", healthcheck: { test: "redis-cli ping", interval: "1s", retries: 3 }, restart: { policy: "on-failure", max_retries: 2 } }), {
    name: "db", background: true, ownEnv: [], env: { WF: "wf" }, cwd: "/repo", runEnv: {},
  });
  expect(spec).toMatchObject({
    command: ["redis-server", "--port", "6380"],
    env: { WF: "wf" },
    volumes: [],
    workdir: undefined,
    healthcheck: { test: ["CMD-SHELL", "redis-cli ping"], intervalMs: 1000, retries: 3 },
    restart: { policy: "on-failure", maxRetries: 2 },
  });
  expect(spec.env).toEqual({ WF: "wf" });
});

test("runSpec: mounts expand ~ and $VAR from the step's env over muster's, relative to the step's directory; a disabled health check is NONE", () => {
  const spec = runSpec(parsedRun({
    image: "alpine:3.20",
    mounts: [{ source: "$DATA/in", target: "/in" }, { source: "rel", target: "/rel", read_only: true }, { type: "tmpfs", target: "/tmp" }],
    healthcheck: { disable: true },
  }), { name: "t", background: true, ownEnv: [], env: { DATA: "/step" }, cwd: "/repo/sub", runEnv: { DATA: "/muster" } });
  expect(spec.volumes).toEqual([
    { type: "bind", source: "/step/in", target: "/in", readOnly: false },
    { type: "bind", source: "/repo/sub/rel", target: "/rel", readOnly: true },
    { type: "tmpfs", source: "", target: "/tmp", readOnly: false },
  ]);
  expect(spec.healthcheck).toEqual({ test: ["NONE"] });
});

test("runSpec: an entrypoint with an unbalanced quote is a plan error naming the step and field", () => {
  expect(() => runSpec(parsedRun({ image: "alpine:3.20", entrypoint: "sh -c 'oops" }), { name: "t", background: false, ownEnv: [], env: {}, cwd: "/repo", runEnv: {} }))
    .toThrow(/step "t": field "with.entrypoint": .*\(expected balanced quotes\)/);
});

test("runProblems: clashing host ports, a target mounted twice, restart in the foreground", () => {
  const w = parsedRun({
    image: "alpine:3.20",
    ports: [{ host: 8080, container: 80 }, { host: 8080, container: 81 }],
    mounts: [{ source: "/a", target: "/workspace" }],
    restart: { policy: "always" },
  });
  expect(runProblems(w, false).map((p) => p.path.join("."))).toEqual(["with.ports.1.host", "with.mounts.0.target", "with.restart"]);
  // In the background there is no workspace and a restart policy applies.
  expect(runProblems(w, true).map((p) => p.path.join("."))).toEqual(["with.ports.1.host"]);
});

test("plan, run: templates render, values from outside reach the shell as variables, the view shows the container", () => {
  const { plans, errors } = plan(`      - name: t
        type: container
        env: { TOKEN: "{{ .vars.tag }}" }
        with: { image: "alpine:{{ .vars.tag }}", command: "echo {{ .vars.tag }}", ports: [{ host: 8080, container: 80 }] }
`);
  expect(errors).toEqual([]);
  const r = plans[0]!;
  if (r.action !== "run") throw new Error(`planned as ${r.action}`);
  expect(r.spec.image).toBe("alpine:1.2");
  expect(r.spec.command).toEqual(["/bin/sh", "-lc", 'echo "${MUSTER_DATA_1}"']);
  expect(r.spec.env).toEqual({ TOKEN: "1.2", MUSTER_DATA_1: "1.2" });
  expect(actionOf(r).describe(r)).toBe("container alpine:1.2");
  expect(actionOf(r).viewText(r).lines.slice(0, 3)).toEqual([
    `image alpine:1.2 (pull missing) command /bin/sh -lc 'echo "\${MUSTER_DATA_1}"'`,
    "port 127.0.0.1:8080 -> 80/tcp",
    "volume /repo -> /workspace",
  ]);
});

test("plan, run: an image that renders to no image reference is a plan error", () => {
  expect(plan(`      - { name: t, type: container, with: { image: "{{ .vars.tag }} x" } }\n`).errors).toEqual([
    'workflow "wf", step "t": field "with.image": "1.2 x" once rendered (expected an image reference such as alpine:3.20 or 127.0.0.1:5000/team/app:1)',
  ]);
});

test("plan, build: the context in the step's directory, tags and args rendered, cache sources kept", () => {
  const { plans, errors } = plan(`      - name: b
        type: container
        action: build
        working_directory: app
        with: { context: ctx, tags: ["app:{{ .vars.tag }}"], build_args: { V: "{{ .vars.tag }}" }, target: prod, cache: { from: [{ ref: "app:cache" }] } }
`);
  expect(errors).toEqual([]);
  expect(plans[0]).toEqual({
    action: "build", context: "/repo/app/ctx", dockerfile: "Dockerfile", tags: ["app:1.2"], buildArgs: { V: "1.2" },
    target: "prod", noCache: false, pull: false, labels: {}, cacheFrom: ["app:cache"],
  });
  const r = plans[0]!;
  expect(actionOf(r).describe(r)).toBe("build app:1.2 from /repo/app/ctx");
  expect(actionOf(r).viewText(r)).toEqual({ head: "container, build", lines: ["context /repo/app/ctx", "dockerfile Dockerfile", "tag app:1.2", "build arg V=1.2", "target prod"] });
});

test("buildPlan and cacheSources: pure; BuildKit's features are named by their field", () => {
  const w = v.parse(buildWith, { context: "/abs", no_cache: true });
  expect(buildPlan(w, "/repo")).toMatchObject({ context: "/abs", noCache: true, cacheFrom: [] });
  expect(cacheSources({ from: [{ type: "registry", ref: "a:1" }, { ref: "b:1" }] })).toEqual(["a:1", "b:1"]);
  expect(cacheSources({ to: "type=local" })).toBeUndefined();
  expect(cacheSources({ from: [{ type: "local", ref: "x" }] })).toBeUndefined();
  expect(cacheSources({ from: "app:cache" })).toBeUndefined();
  expect(buildkitField(v.parse(buildWith, { engine: "buildx" }))).toBe("engine");
  expect(buildkitField(v.parse(buildWith, { cache: { to: [{ type: "local", dest: "/c" }] } }))).toBe("cache");
  expect(buildkitField(w)).toBeUndefined();
});

test("plan, push and inspect: the image and tags rendered; a push without tags pushes the image itself", () => {
  const { plans, errors } = plan(`      - { name: p, type: container, action: push, with: { image: "app:{{ .vars.tag }}", tags: ["r.io/app:{{ .vars.tag }}", "r.io/app:latest"] } }
      - { name: q, type: container, action: push, with: { image: "app:1" } }
      - { name: i, type: container, action: inspect, with: { image: "app:{{ .vars.tag }}" } }
`);
  expect(errors).toEqual([]);
  const [p, q, i] = plans as [ContainerPlan, ContainerPlan, ContainerPlan];
  expect(p).toEqual({ action: "push", image: "app:1.2", tags: ["r.io/app:1.2", "r.io/app:latest"] });
  expect(actionOf(p).describe(p)).toBe("push r.io/app:1.2, r.io/app:latest");
  expect(actionOf(p).viewText(p).lines).toEqual(["image app:1.2", "as r.io/app:1.2", "as r.io/app:latest"]);
  if (q.action !== "push") throw new Error(`planned as ${q.action}`);
  expect(pushTargets(q)).toEqual(["app:1"]);
  expect(actionOf(q).describe(q)).toBe("push app:1");
  expect(i).toEqual({ action: "inspect", image: "app:1.2" });
  expect(actionOf(i).viewText(i)).toEqual({ head: "container, inspect", lines: ["image app:1.2"] });
});

test("validate: each action's own checks, at the field (and the step's rules across actions)", () => {
  expect(problems(`      - { name: b, type: container, action: build, with: { engine: buildx } }\n`)).toEqual([
    expect.stringContaining(`field "with.engine": Docker Buildx and Bake need provider: docker, as in Atmos`),
  ]);
  expect(problems(`      - { name: b, type: container, action: build, provider: docker, with: { engine: buildx, cache: { to: [{ type: local, dest: c }] } } }\n`)).toEqual([]);
  expect(problems(`      - { name: r, type: container, with: { image: "alpine:3.20", restart: { policy: always } } }\n`)).toEqual([
    expect.stringContaining(`field "with.restart": a restart policy applies to background services only`),
  ]);
  expect(problems(`      - { name: s, type: container, background: true, with: { image: "alpine:3.20", command: "sh -c 'x" } }\n`)).toEqual([
    expect.stringContaining(`field "with.command": `),
  ]);
  expect(problems(`      - { name: p, type: container, action: push, background: true, with: { image: "app:1" } }\n`)).toEqual([
    expect.stringContaining(`"background" applies to action: run only (expected no background on a push)`),
  ]);
  expect(problems(`      - { name: i, type: container, action: inspect, with: { image: "app:1", tags: [] } }\n`)).toHaveLength(1);
});

test("the table: every action has its object, and each object's schema is the one muster schema shows", () => {
  expect(Object.keys(ACTIONS).sort()).toEqual(["build", "inspect", "push", "run"]);
  expect(ACTIONS.run.schema).toBe(runWith);
  expect(ACTIONS.build.schema).toBe(buildWith);
});
