/**
 * `type: container`: Atmos' container actions, over muster's own Engine API
 * client. `action: run` (the default) runs a container to completion in the
 * foreground (`command` through the image's shell, `sh -lc`, with the step's
 * working directory mounted at `/workspace`), or starts a background service
 * (`background: true`) that gates later steps until it is ready and is always
 * torn down. `build` builds an image from a context (`.dockerignore`
 * honoured), `push` pushes it (with `config.json`'s credentials), `inspect`
 * shows an image's metadata. Every string under `with:` is a template.
 * The runners are `container-services.ts` and `container-actions.ts`, beside it.
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import * as v from "valibot";
import { enginePolicy } from "../docker/engine-policy.ts";
import { type ContainerSpec, mountsOf, portsOf, type VolumeMount } from "../docker/container-spec.ts";
import { parseRunArgs, type RunArgSettings } from "../docker/run-args.ts";
import { PlanError } from "../errors.ts";
import { type Dialect, dialectOf } from "../shell/dialect.ts";
import { formatDuration } from "../workflow/duration.ts";
import { expect, mapOf, str, stringMap } from "../workflow/schema.ts";
import { shellQuote, splitShellWords } from "../util/shell-words.ts";
import type { StepBase } from "../workflow/types.ts";
import { buildWith, type BuildWith, inspectWith, IMAGE_REFERENCE, isTemplated, pushWith, runWith, type RunWith } from "./container-fields.ts";
import { renderChecked, stringLeaves } from "./container-render.ts";
import type { FieldPath, PlanScope, StepKind, TemplateField } from "./kind.ts";
import { PROCESS_RESULT_KEYS, planRunFields } from "./process.ts";
import { platform } from "../platform/index.ts";
import { buildRefusal, runRefusals } from "./container-policy.ts";

/** The engine policy of this process (MUSTER_CONFINE under serve, MUSTER_RESTRICT_HOST=1): what `validate` can judge as written. */
function parsePolicy() {
  const env = platform.env();
  return { policy: enginePolicy(env, env.MUSTER_CONFINE || "/"), judgePaths: Boolean(env.MUSTER_CONFINE) };
}

/** The actions of a container step. */
export type ContainerAction = "run" | "build" | "push" | "inspect";

/** A container step as written: `with:` stays raw (its strings are templates) until it is planned. */
export interface ContainerStep extends StepBase {
  type: "container";
  action: ContainerAction;
  background: boolean;
  /** The step's `env:` (templates). */
  env: Record<string, string>;
  workingDirectory?: string;
  stack?: string;
  with: Record<string, unknown>;
}

export type { BuildPlan, ContainerPlan } from "./container-plan.ts";
import type { ContainerPlan } from "./container-plan.ts";

/** The schema of `with:` for each action (`muster schema` reads it too). */
export const SCHEMAS = { run: runWith, build: buildWith, push: pushWith, inspect: inspectWith } as const;

/** Environment variables naming credential files that Atmos mounts into a foreground container (read-only, same path). */
const CREDENTIAL_FILES = ["AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_AUTH_LOCATION", "KUBECONFIG"];

/** Problems with a `run` that are known before anything runs (ports that clash, mounts that cannot work, flags muster cannot honour). */
function runProblems(spec: RunWith, background: boolean): Array<{ path: FieldPath; text: string }> {
  const problems: Array<{ path: FieldPath; text: string }> = [];
  const seen = new Map<string, number>();
  spec.ports.forEach((p, i) => {
    if (p.host === undefined || p.host === 0) return;
    const key = `${p.host_ip}:${p.host}/${p.protocol}`;
    if (seen.has(key)) problems.push({ path: ["with", "ports", i, "host"], text: `field "with.ports[${i}].host": ${key} is already published by ports[${seen.get(key)}] (expected each host port once)` });
    seen.set(key, i);
  });
  const targets = new Map<string, string>();
  const mountTarget = (target: string, at: string, path: FieldPath) => {
    if (!target.startsWith("/")) problems.push({ path, text: `field "${at}": ${JSON.stringify(target)} is not an absolute path in the container (expected a path such as /data)` });
    else if (targets.has(target)) problems.push({ path, text: `field "${at}": ${target} is already mounted by ${targets.get(target)} (expected each target once)` });
    targets.set(target, at);
  };
  if (!background && spec.workdir === undefined) targets.set(spec.workspace, "the workspace");
  spec.mounts.forEach((m, i) => {
    mountTarget(m.target, `with.mounts[${i}].target`, ["with", "mounts", i, "target"]);
    if (m.type === "bind" && m.source === "") problems.push({ path: ["with", "mounts", i, "source"], text: `field "with.mounts[${i}].source": a bind mount needs a source (expected a host path; type: tmpfs or volume for none)` });
    if (m.type === "tmpfs" && m.source !== "") problems.push({ path: ["with", "mounts", i, "source"], text: `field "with.mounts[${i}].source": a tmpfs has no source (expected no source, or type: bind)` });
  });
  spec.volumes.forEach((m, i) => mountTarget(m.target, `with.volumes[${i}].target`, ["with", "volumes", i, "target"]));
  if (spec.restart && !background) problems.push({ path: ["with", "restart"], text: `field "with.restart": a restart policy applies to background services only (expected background: true, or no restart)` });
  if (spec.runtime?.host) problems.push({ path: ["with", "runtime", "host"], text: `field "with.runtime.host": Docker-out-of-Docker is not done this way in muster (expected a volume of /var/run/docker.sock; under muster serve, MUSTER_ALLOW_DOCKER_SOCKET must allow it)` });
  if (spec.healthcheck && !spec.healthcheck.disable && spec.healthcheck.test === undefined) problems.push({ path: ["with", "healthcheck"], text: `field "with.healthcheck": a health check needs a test (expected test:, or disable: true)` });
  if (spec.healthcheck?.test !== undefined && Array.isArray(spec.healthcheck.test) && !["CMD", "CMD-SHELL", "NONE"].includes(spec.healthcheck.test[0]!)) {
    problems.push({ path: ["with", "healthcheck", "test"], text: `field "with.healthcheck.test": the list starts with ${JSON.stringify(spec.healthcheck.test[0])} (expected CMD, CMD-SHELL or NONE first)` });
  }
  const parsed = parseRunArgs(spec.run_args);
  if ("problem" in parsed) problems.push({ path: ["with", "run_args", parsed.index], text: `field "with.run_args[${parsed.index}]": ${parsed.problem}` });
  return problems;
}

/**
 * The step with a service's `command` string and an `entrypoint` string
 * split into words before anything is rendered (templates kept whole), so
 * that each word renders to one argument: a value never adds arguments.
 */
function wordsFirst(step: ContainerStep, scope: PlanScope): ContainerStep {
  const split = (field: "command" | "entrypoint"): string[] | undefined => {
    const text = step.with[field];
    if (typeof text !== "string" || (field === "command" && !step.background)) return undefined;
    try {
      return splitShellWords(text, { keepTemplates: true });
    } catch (error) {
      throw new PlanError(scope.name, `field "with.${field}": ${(error as Error).message} (expected balanced quotes)`);
    }
  };
  const command = split("command");
  const entrypoint = split("entrypoint");
  if (!command && !entrypoint) return step;
  return { ...step, with: { ...step.with, ...(command ? { command } : {}), ...(entrypoint ? { entrypoint } : {}) } };
}

/** The command as words: a string runs through the shell in the foreground (Atmos) and is split into words for a service (Atmos: no shell). */
function commandOf(command: string | string[] | undefined, shell: string, background: boolean): string[] | undefined {
  if (command === undefined || Array.isArray(command)) return command;
  return background ? splitShellWords(command) : [shell, "-lc", command];
}

/**
 * The container a `run` plans to: Atmos' semantics (workspace, shell,
 * step-only environment in the foreground) with muster's fields on top.
 */
function runSpec(w: RunWith, step: ContainerStep, scope: PlanScope): { spec: ContainerSpec; cwd: string } {
  const { env: processEnv, cwd } = planRunFields(step, scope);
  // Atmos: a foreground container gets the step's own env only; a service the step's whole environment.
  const own = Object.fromEntries(Object.entries(step.env).map(([key]) => [key, processEnv[key]!]));
  const env = { ...(step.background ? processEnv : own), ...w.env };
  const volumes: VolumeMount[] = [];
  if (!step.background) volumes.push({ type: "bind", source: cwd, target: w.workspace, readOnly: w.workspace_read_only });
  volumes.push(...mountsOf(w.mounts, cwd, { ...scope.run.env, ...processEnv }));
  // muster's volumes: relative to the workflow file's folder (as before Atmos' mounts).
  for (const m of w.volumes) volumes.push({ type: "bind", source: m.source, target: m.target, readOnly: m.read_only });
  if (!step.background) {
    for (const name of CREDENTIAL_FILES) {
      const path = env[name];
      if (path && isAbsolute(path) && !volumes.some((v) => v.target === path)) volumes.push({ type: "bind", source: path, target: path, readOnly: true });
    }
  }
  let healthcheck: ContainerSpec["healthcheck"];
  if (w.healthcheck?.disable) healthcheck = { test: ["NONE"] };
  else if (w.healthcheck?.test !== undefined) {
    const test = w.healthcheck.test;
    healthcheck = {
      test: typeof test === "string" ? ["CMD-SHELL", test] : test,
      intervalMs: w.healthcheck.interval, timeoutMs: w.healthcheck.timeout, retries: w.healthcheck.retries,
      startPeriodMs: w.healthcheck.start_period, startIntervalMs: w.healthcheck.start_interval,
    };
  }
  const runArgs = parseRunArgs(w.run_args);
  let entrypoint: string[] | undefined;
  try {
    entrypoint = w.entrypoint === undefined || Array.isArray(w.entrypoint) ? w.entrypoint : splitShellWords(w.entrypoint);
  } catch (error) {
    throw new PlanError(scope.name, `field "with.entrypoint": ${(error as Error).message} (expected balanced quotes)`);
  }
  let command: string[] | undefined;
  try {
    command = commandOf(w.command, w.shell, step.background);
  } catch (error) {
    throw new PlanError(scope.name, `field "with.command": ${(error as Error).message} (expected balanced quotes)`);
  }
  return {
    cwd,
    spec: {
      image: w.image,
      command,
      entrypoint,
      env,
      ports: portsOf(w.ports),
      volumes,
      workdir: w.workdir ?? (step.background ? undefined : w.workspace),
      user: w.user,
      labels: w.labels,
      pull: w.pull,
      healthcheck,
      stopTimeoutMs: w.stop_timeout,
      readyTimeoutMs: w.ready_timeout,
      cleanup: w.cleanup,
      restart: w.restart && { policy: w.restart.policy, maxRetries: w.restart.max_retries },
      runArgs: "settings" in runArgs ? runArgs.settings as RunArgSettings : undefined,
    },
  };
}

/**
 * Which of a step's `with:` fields are read as code, and by what: a
 * foreground `command` string by the container's shell, a `CMD-SHELL`
 * health check by /bin/sh, command and entrypoint words by the program
 * itself (no shell: a value is one word as it is).
 */
function codeOfWith(step: ContainerStep): (path: FieldPath) => Dialect | undefined {
  const shell = typeof step.with.shell === "string" && !step.with.shell.includes("{{") ? step.with.shell : "/bin/sh";
  const test = (step.with.healthcheck as { test?: unknown } | undefined)?.test;
  return (path) => {
    const [, field, index] = path;
    if (step.action !== "run") return undefined;
    if (field === "command") return index === undefined && !step.background ? dialectOf(shell) : "argv";
    if (field === "entrypoint") return "argv";
    if (field === "healthcheck" && path[2] === "test") {
      if (path.length === 3) return "posix";
      return Array.isArray(test) && test[0] === "CMD-SHELL" && path[3] === 1 ? "posix" : "argv";
    }
    return undefined;
  };
}

/** The `with:` of a step, rendered and checked again; its code fields' values from outside go to `dataEnv`. */
const renderedWith = <S extends v.GenericSchema>(schema: S, step: ContainerStep, scope: PlanScope, dataEnv?: Record<string, string>): v.InferOutput<S> =>
  renderChecked(schema, step.with, ["with"], scope, codeOfWith(step), dataEnv);

/** The container step kind. */
export const container: StepKind<ContainerStep, ContainerPlan> = {
  type: "container",
  summary: "Run a container (foreground, or a background service), or build, push or inspect an image",
  behaviours: { timeout: true, retry: true, gated: true, concurrent: false, interactive: false, usesEngine: true, usesStreams: false, hasChildren: false },
  fields: () => ({
    action: v.optional(v.picklist(["run", "build", "push", "inspect", ""], expect("one of: run, build, push, inspect")), "run"),
    background: v.optional(v.boolean(expect("true or false")), false),
    env: v.optional(stringMap, {}),
    working_directory: v.optional(str),
    stack: v.optional(str),
    // Atmos reads these on the step and on `with:`; muster talks to whatever engine DOCKER_HOST names.
    provider: v.optional(v.picklist(["auto", "docker", "podman"], expect("one of: auto, docker, podman"))),
    runtime_auto_start: v.optional(v.boolean(expect("true or false"))),
    // Atmos attaches a terminal through the docker CLI; accepted so that the refusal can say why.
    tty: v.optional(v.boolean(expect("true or false"))),
    interactive: v.optional(v.boolean(expect("true or false"))),
    with: mapOf(v.string(), v.unknown(), "a map of container settings"),
  }),
  build(fields, base, ctx) {
    const action = ((fields.action as string) || "run") as ContainerAction;
    const background = fields.background as boolean;
    const attached = fields.tty === true ? "tty" : fields.interactive === true ? "interactive" : undefined;
    if (attached) {
      ctx.report([attached], `"${attached}: true" attaches your terminal to the container through the docker CLI, which muster does not use (expected no ${attached}; for a shell in the image run docker run -it IMAGE yourself, or this workflow with atmos)`, "key");
      return undefined;
    }
    if (background && action !== "run") {
      ctx.report(["background"], `"background" applies to action: run only (expected no background on a ${action})`, "key");
      return undefined;
    }
    if (background && base.retry) {
      ctx.report(["retry"], `"retry" is not allowed on a background container (expected retry on foreground containers only: a service is started once and judged by its health check)`, "key");
      return undefined;
    }
    const spec = ctx.check(SCHEMAS[action] as v.GenericSchema, fields.with, ["with"]) as Record<string, unknown> | undefined;
    if (!spec) return undefined;
    if (action === "run") {
      const { policy, judgePaths } = parsePolicy();
      const problems = [...runProblems(spec as RunWith, background), ...runRefusals(spec as RunWith, policy, undefined, judgePaths)];
      for (const problem of problems) ctx.report(problem.path, problem.text);
      if (problems.length > 0) return undefined;
      const command = (spec as RunWith).command;
      if (background && typeof command === "string" && !isTemplated(command)) {
        try {
          splitShellWords(command);
        } catch (error) {
          ctx.report(["with", "command"], `field "with.command": ${(error as Error).message} (expected balanced quotes)`);
          return undefined;
        }
      }
    }
    if (action === "build") {
      const w = spec as BuildWith;
      const { policy, judgePaths } = parsePolicy();
      const refused = judgePaths ? buildRefusal(w, policy) : undefined;
      if (refused) {
        ctx.report(refused.path, refused.text);
        return undefined;
      }
      // The Engine API's builder can use images as cache sources (cache.from with a ref); exporting a cache needs BuildKit.
      const cache = w.cache as { from?: Array<Record<string, string>>; to?: unknown } | undefined;
      const cacheProblem = cache !== undefined && (cache === null || typeof cache !== "object" || cache.to !== undefined || (cache.from ?? []).some((f) => typeof f?.ref !== "string" || (f.type !== undefined && f.type !== "registry")));
      const buildkit = w.engine === "buildx" ? "engine" : w.bake !== undefined ? "bake" : w.driver !== undefined ? "driver" : cacheProblem ? "cache" : undefined;
      if (buildkit) {
        ctx.report(["with", buildkit], `field "with.${buildkit}": BuildKit's ${buildkit === "engine" ? "buildx engine" : buildkit === "cache" ? "cache export (cache.to) and non-registry cache sources" : buildkit} needs the docker CLI, which muster does not use (expected the Engine API's build: context, dockerfile, tags, build_args, target, no_cache, pull, labels, cache.from refs; or run this step with atmos)`, "key");
        return undefined;
      }
    }
    return {
      ...base,
      type: "container",
      action,
      background,
      env: fields.env as Record<string, string>,
      workingDirectory: fields.working_directory as string | undefined,
      stack: fields.stack as string | undefined,
      with: fields.with as Record<string, unknown>,
    };
  },
  gates: (step) => !step.background,
  // A service says "starting" and then "✓ service NAME ready": no ✓ for merely starting it.
  quietStart: (step) => step.background,
  services: { starts: (step) => (step.background ? step.name : undefined) },
  produces: [...PROCESS_RESULT_KEYS, "container_id", "image", "image_id", "repo_tags", "repo_digests", "digest", "push_results", "size", "created", "architecture", "os"],
  templates(step) {
    const codeOf = codeOfWith(step);
    const fields: TemplateField[] = stringLeaves(step.with, ["with"]).map(({ path, text }) => ({ field: path.join("."), path, text, code: codeOf(path) }));
    for (const [key, text] of Object.entries(step.env)) fields.push({ field: `env.${key}`, path: ["env", key], text });
    if (step.workingDirectory !== undefined) fields.push({ field: "working_directory", path: ["working_directory"], text: step.workingDirectory });
    return fields;
  },
  plan(step, scope) {
    switch (step.action) {
      case "run": {
        const dataEnv: Record<string, string> = {};
        const w = renderedWith(runWith, wordsFirst(step, scope), scope, dataEnv);
        // A template kept as written (it reads what only the run knows) is checked when the step is planned again.
        if (!isTemplated(w.image) && !IMAGE_REFERENCE.test(w.image)) throw new PlanError(scope.name, `field "with.image": ${JSON.stringify(w.image)} is not an image reference (expected a reference such as alpine:3.20)`);
        const planned = runSpec(w, step, scope);
        // The container's shell reads values from outside through these variables, never as code.
        Object.assign(planned.spec.env, dataEnv);
        const volumesDir = scope.run.workflowFile ? dirname(scope.run.workflowFile) : scope.run.baseDir;
        const refused = runRefusals(w, enginePolicy(scope.run.env, scope.run.baseDir), planned.cwd, true, volumesDir)[0];
        if (refused) throw new PlanError(scope.name, refused.text);
        return { action: "run", background: step.background, ...planned };
      }
      case "build": {
        const w = renderedWith(buildWith, step, scope);
        const { cwd } = planRunFields(step, scope);
        const cacheFrom = ((w.cache as { from?: Array<{ ref: string }> } | undefined)?.from ?? []).map((f) => f.ref);
        const refused = buildRefusal(w, enginePolicy(scope.run.env, scope.run.baseDir), cwd);
        if (refused) throw new PlanError(scope.name, refused.text);
        return {
          action: "build", context: resolve(cwd, w.context), dockerfile: w.dockerfile, tags: w.tags, buildArgs: w.build_args,
          target: w.target, noCache: w.no_cache, pull: w.pull, labels: w.labels, cacheFrom,
        };
      }
      case "push": {
        const w = renderedWith(pushWith, step, scope);
        return { action: "push", image: w.image, tags: w.tags };
      }
      case "inspect":
        return { action: "inspect", image: renderedWith(inspectWith, step, scope).image };
    }
  },
  describe(planned) {
    const r = planned.resolved;
    switch (r.action) {
      case "run":
        return `container ${r.spec.image}${r.background ? " (background)" : ""}`;
      case "build":
        return `build ${r.tags[0] ?? "(untagged)"} from ${r.context}`;
      case "push":
        return `push ${[...(r.tags.length > 0 ? r.tags : [r.image])].join(", ")}`;
      case "inspect":
        return `inspect ${r.image}`;
    }
  },
  view: (planned) => ({ name: planned.name, type: "container", action: planned.step.action, container: planned.resolved, timeout_ms: planned.step.timeoutMs, retry: planned.step.retry }),
  viewText(planned) {
    const r = planned.resolved;
    if (r.action === "build") {
      const lines = [`context ${r.context}`, `dockerfile ${r.dockerfile}`, ...r.tags.map((t) => `tag ${t}`), ...Object.entries(r.buildArgs).map(([k, val]) => `build arg ${k}=${val}`)];
      if (r.target) lines.push(`target ${r.target}`);
      if (r.noCache) lines.push("no cache");
      if (r.pull) lines.push("pull base images");
      return { head: "container, build", lines };
    }
    if (r.action === "push") return { head: "container, push", lines: [`image ${r.image}`, ...r.tags.map((t) => `as ${t}`)] };
    if (r.action === "inspect") return { head: "container, inspect", lines: [`image ${r.image}`] };
    const c = r.spec;
    const lines = [`image ${c.image} (pull ${c.pull})${c.command ? ` command ${c.command.map(shellQuote).join(" ")}` : ""}`];
    if (c.entrypoint) lines.push(`entrypoint ${c.entrypoint.map(shellQuote).join(" ")}`);
    for (const p of c.ports) lines.push(`port ${p.hostIp}:${p.host ?? "(random)"} -> ${p.container}/${p.protocol}`);
    for (const m of c.volumes) lines.push(`${m.type === "bind" ? "volume" : m.type} ${m.source || "(anonymous)"} -> ${m.target}${m.readOnly ? " (read-only)" : ""}`);
    for (const [k, val] of Object.entries(c.env)) lines.push(`env ${k}=${val}`);
    for (const [k, val] of Object.entries(c.labels)) lines.push(`label ${k}=${val}`);
    if (c.workdir) lines.push(`workdir ${c.workdir}`);
    if (c.user) lines.push(`user ${c.user}`);
    if (c.restart) lines.push(`restart ${c.restart.policy}${c.restart.maxRetries ? `:${c.restart.maxRetries}` : ""}`);
    if (!r.background) lines.push(`cleanup ${c.cleanup}`);
    if (c.healthcheck) {
      const h = c.healthcheck;
      lines.push(`healthcheck ${h.test.join(" ")}${h.intervalMs !== undefined ? ` every ${formatDuration(h.intervalMs)}` : ""}${h.retries !== undefined ? `, ${h.retries} retries` : ""}`);
    }
    lines.push(`stop timeout ${formatDuration(c.stopTimeoutMs)}${c.readyTimeoutMs !== undefined ? `, ready timeout ${formatDuration(c.readyTimeoutMs)}` : ""}`);
    return { head: `container${r.background ? ", background" : ""}`, lines };
  },
  async run(planned, ctx) {
    const r = planned.resolved;
    if (r.action === "run") return ctx.services().run(planned.name, r.spec, r.background, ctx);
    const { runImageAction } = await import("./container-actions.ts");
    return runImageAction(planned.name, r, ctx);
  },
};
