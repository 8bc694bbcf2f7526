/**
 * `action: run` (the default): a container that runs to completion in the
 * foreground (`command` through the image's shell, `sh -lc`, with the
 * step's working directory mounted at `/workspace`), or a background
 * service (`background: true`, started here, judged in `service.ts`).
 * The plan is Atmos' semantics (workspace, shell, the step's own
 * environment in the foreground) with muster's fields on top.
 * @module
 */
import { dirname, isAbsolute } from "node:path";
import type { DockerClient } from "../../docker/client.ts";
import { type ContainerSpec, mountsOf, portsOf, type VolumeMount } from "../../docker/container-spec.ts";
import { enginePolicy } from "../../docker/engine-policy.ts";
import { parseRunArgs } from "../../docker/run-args.ts";
import { PlanError } from "../../errors.ts";
import { EXIT_OK } from "../../exit-codes.ts";
import { type Dialect, dialectOf } from "../../shell/dialect.ts";
import { shellQuote, splitShellWords } from "../../util/shell-words.ts";
import { formatDuration } from "../../workflow/duration.ts";
import type { FieldPath, PlanScope, StepContext, StepOutcome } from "../kind.ts";
import { capturedValue, planRunFields } from "../process.ts";
import { ATTACHED_VALUE, DEFAULT_TERMINAL_SIZE, hostTerminalSize, terminalLabel } from "../attached-process.ts";
import { runAttached } from "./attach.ts";
import { IMAGE_REFERENCE, isTemplated, runWith, type RunWith } from "./fields.ts";
import { parsePolicy, runRefusals } from "./policy.ts";
import { renderChecked } from "./render.ts";
import type { ContainerScope } from "./scope.ts";
import type { ContainerActionKind, ContainerStep, RunPlan, WithProblem } from "./types.ts";

/** Environment variables naming credential files that Atmos mounts into a foreground container (read-only, same path). */
const CREDENTIAL_FILES = ["AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_AUTH_LOCATION", "KUBECONFIG"];

/**
 * Problems with a `run` that are known before anything runs: ports that
 * clash, mounts that cannot work, flags muster cannot honour.
 *
 * @example
 * ```ts
 * runProblems({ ...w, restart: { policy: "always" } }, false);
 * // [{ path: ["with", "restart"], text: 'field "with.restart": a restart policy applies to background services only (…)' }]
 * ```
 */
export function runProblems(spec: RunWith, background: boolean): WithProblem[] {
  const problems: WithProblem[] = [];
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
  if (spec.healthcheck?.test !== undefined && Array.isArray(spec.healthcheck.test) && healthTestPrefix(spec.healthcheck.test) === undefined) {
    // Atmos (pkg/container/runspec.go) runs an unprefixed list as one shell command: so does muster, with a warning.
    problems.push({ warning: true, path: ["with", "healthcheck", "test"], text: `field "with.healthcheck.test": the list starts with ${JSON.stringify(spec.healthcheck.test[0])}, not CMD, CMD-SHELL or NONE; as in Atmos it runs as the shell command ${JSON.stringify(spec.healthcheck.test.join(" "))} (expected CMD, CMD-SHELL or NONE first)` });
  }
  const parsed = parseRunArgs(spec.run_args);
  if ("problem" in parsed) problems.push({ path: ["with", "run_args", parsed.index], text: `field "with.run_args[${parsed.index}]": ${parsed.problem}` });
  return problems;
}

/** The Compose prefix of a health check list, in capitals (Atmos compares them case-insensitively), or undefined. */
function healthTestPrefix(test: string[]): "CMD" | "CMD-SHELL" | "NONE" | undefined {
  const first = test[0]?.toUpperCase();
  return first === "CMD" || first === "CMD-SHELL" || first === "NONE" ? first : undefined;
}

/**
 * A `healthcheck.test` as the engine takes it: a string is `CMD-SHELL`; a
 * list keeps its prefix; an unprefixed list is one shell command, its words
 * joined by spaces (Atmos' resolveHealthTest).
 *
 * @example
 * ```ts
 * healthTest(["pg_isready", "-U", "app"]); // ["CMD-SHELL", "pg_isready -U app"]
 * ```
 */
export function healthTest(test: string | string[]): string[] {
  if (typeof test === "string") return ["CMD-SHELL", test];
  const prefix = healthTestPrefix(test);
  return prefix ? [prefix, ...test.slice(1)] : ["CMD-SHELL", test.join(" ")];
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

/** What a `run`'s container is planned for, beside its `with:`. */
export interface RunSpecFor {
  /** The step's name as shown (messages name it). */
  name: string;
  background: boolean;
  /** The keys of the step's own `env:`. */
  ownEnv: string[];
  /** The step's environment: the workflow's, the exported, its own (rendered). */
  env: Record<string, string>;
  /** The step's directory. */
  cwd: string;
  /** muster's environment, which a mount's `$VAR` may name too. */
  runEnv: Record<string, string>;
}

/**
 * The container a rendered `run` `with:` plans to (a pure function). A
 * foreground container gets the step's own `env:` keys only and the step's
 * directory at the workspace; a service gets the step's whole environment
 * and no workspace (Atmos). Throws `PlanError` for a command or entrypoint
 * string with unbalanced quotes.
 *
 * @example
 * ```ts
 * runSpec(w, { name: "build", background: false, ownEnv: ["TOKEN"], env: { TOKEN: "x", PATH: "/bin" }, cwd: "/repo", runEnv: {} });
 * // { image: "alpine:3.20", command: ["/bin/sh", "-lc", "make"], env: { TOKEN: "x" }, volumes: [{ type: "bind", source: "/repo", target: "/workspace", readOnly: false }], workdir: "/workspace", … }
 * ```
 */
export function runSpec(w: RunWith, step: RunSpecFor): ContainerSpec {
  const { env: processEnv, cwd } = step;
  const own = Object.fromEntries(step.ownEnv.map((key) => [key, processEnv[key]!]));
  const env = { ...(step.background ? processEnv : own), ...w.env };
  const volumes: VolumeMount[] = [];
  if (!step.background) volumes.push({ type: "bind", source: cwd, target: w.workspace, readOnly: w.workspace_read_only });
  volumes.push(...mountsOf(w.mounts, cwd, { ...step.runEnv, ...processEnv }));
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
      test: healthTest(test),
      intervalMs: w.healthcheck.interval, timeoutMs: w.healthcheck.timeout, retries: w.healthcheck.retries,
      startPeriodMs: w.healthcheck.start_period, startIntervalMs: w.healthcheck.start_interval,
    };
  }
  const runArgs = parseRunArgs(w.run_args);
  let entrypoint: string[] | undefined;
  try {
    entrypoint = w.entrypoint === undefined || Array.isArray(w.entrypoint) ? w.entrypoint : splitShellWords(w.entrypoint);
  } catch (error) {
    throw new PlanError(step.name, `field "with.entrypoint": ${(error as Error).message} (expected balanced quotes)`);
  }
  let command: string[] | undefined;
  try {
    command = commandOf(w.command, w.shell, step.background);
  } catch (error) {
    throw new PlanError(step.name, `field "with.command": ${(error as Error).message} (expected balanced quotes)`);
  }
  return {
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
    runArgs: "settings" in runArgs ? runArgs.settings : undefined,
  };
}

/**
 * Which of a `run` step's `with:` fields are read as code, and by what: a
 * foreground `command` string by the container's shell, a `CMD-SHELL`
 * health check by /bin/sh, command and entrypoint words by the program
 * itself (no shell: a value is one word as it is).
 */
function codeOf(step: ContainerStep): (path: FieldPath) => Dialect | undefined {
  const shell = typeof step.with.shell === "string" && !step.with.shell.includes("{{") ? step.with.shell : "/bin/sh";
  const healthcheck = step.with.healthcheck;
  const test = healthcheck !== null && typeof healthcheck === "object" && "test" in healthcheck ? healthcheck.test : undefined;
  return (path) => {
    const [, field, index] = path;
    if (field === "command") return index === undefined && !step.background ? dialectOf(shell) : "argv";
    if (field === "entrypoint") return "argv";
    if (field === "healthcheck" && path[2] === "test") {
      if (path.length === 3) return "posix";
      if (!Array.isArray(test)) return "argv";
      const prefix = typeof test[0] === "string" ? healthTestPrefix([test[0]]) : undefined;
      // An unprefixed list is joined into one shell command: each of its words is shell code.
      return prefix === undefined || (prefix === "CMD-SHELL" && path[3] === 1) ? "posix" : "argv";
    }
    return undefined;
  };
}

/** ` (tty, interactive)` after a start line, or "". */
function attachWords(spec: ContainerSpec): string {
  return spec.attach ? ` (${terminalLabel({ tty: spec.attach.tty, interactive: spec.attach.stdin })})` : "";
}

/** `action: run`. */
export const runAction: ContainerActionKind<RunWith, RunPlan> = {
  schema: runWith,
  problems(w, { background }) {
    const { policy, judgePaths } = parsePolicy();
    const problems = [...runProblems(w, background), ...runRefusals(w, policy, undefined, judgePaths)];
    if (problems.length > 0) return problems;
    if (background && typeof w.command === "string" && !isTemplated(w.command)) {
      try {
        splitShellWords(w.command);
      } catch (error) {
        return [{ path: ["with", "command"], text: `field "with.command": ${(error as Error).message} (expected balanced quotes)` }];
      }
    }
    return [];
  },
  codeOf,
  plan(step, scope) {
    const dataEnv: Record<string, string> = {};
    const words = wordsFirst(step, scope);
    const w = renderChecked(runWith, words.with, ["with"], scope, codeOf(words), dataEnv);
    // A template kept as written (it reads what only the run knows) is checked when the step is planned again.
    if (!isTemplated(w.image) && !IMAGE_REFERENCE.test(w.image)) throw new PlanError(scope.name, `field "with.image": ${JSON.stringify(w.image)} is not an image reference (expected a reference such as alpine:3.20)`);
    const fields = planRunFields(step, scope);
    const spec = runSpec(w, { name: scope.name, background: step.background, ownEnv: Object.keys(step.env), ...fields, runEnv: scope.run.env });
    // The container's shell reads values from outside through these variables, never as code.
    Object.assign(spec.env, dataEnv);
    const volumesDir = scope.run.workflowFile ? dirname(scope.run.workflowFile) : scope.run.baseDir;
    const refused = runRefusals(w, enginePolicy(scope.run.env, scope.run.baseDir), fields.cwd, true, volumesDir)[0];
    if (refused) throw new PlanError(scope.name, refused.text);
    if (step.terminal) spec.attach = { tty: step.terminal.tty, stdin: step.terminal.interactive };
    return { action: "run", background: step.background, spec, cwd: fields.cwd };
  },
  describe: (plan) => `container ${plan.spec.image}${plan.background ? " (background)" : ""}${attachWords(plan.spec)}`,
  viewText(plan) {
    const c = plan.spec;
    const lines = [`image ${c.image} (pull ${c.pull})${c.command ? ` command ${c.command.map(shellQuote).join(" ")}` : ""}`];
    if (c.entrypoint) lines.push(`entrypoint ${c.entrypoint.map(shellQuote).join(" ")}`);
    if (c.attach) lines.push(`attached to the terminal: ${terminalLabel({ tty: c.attach.tty, interactive: c.attach.stdin })}`);
    for (const p of c.ports) lines.push(`port ${p.hostIp}:${p.host ?? "(random)"} -> ${p.container}/${p.protocol}`);
    for (const m of c.volumes) lines.push(`${m.type === "bind" ? "volume" : m.type} ${m.source || "(anonymous)"} -> ${m.target}${m.readOnly ? " (read-only)" : ""}`);
    for (const [k, val] of Object.entries(c.env)) lines.push(`env ${k}=${val}`);
    for (const [k, val] of Object.entries(c.labels)) lines.push(`label ${k}=${val}`);
    if (c.workdir) lines.push(`workdir ${c.workdir}`);
    if (c.user) lines.push(`user ${c.user}`);
    if (c.restart) lines.push(`restart ${c.restart.policy}${c.restart.maxRetries ? `:${c.restart.maxRetries}` : ""}`);
    if (!plan.background) lines.push(`cleanup ${c.cleanup}`);
    if (c.healthcheck) {
      const h = c.healthcheck;
      lines.push(`healthcheck ${h.test.join(" ")}${h.intervalMs !== undefined ? ` every ${formatDuration(h.intervalMs)}` : ""}${h.retries !== undefined ? `, ${h.retries} retries` : ""}`);
    }
    lines.push(`stop timeout ${formatDuration(c.stopTimeoutMs)}${c.readyTimeoutMs !== undefined ? `, ready timeout ${formatDuration(c.readyTimeoutMs)}` : ""}`);
    return { head: `container${plan.background ? ", background" : ""}`, lines };
  },
  run: (name, plan, ctx) => ctx.services().run(name, plan.spec, plan.background, ctx),
};

/**
 * Runs a foreground container to completion: its output streams through
 * the step's sinks (a later template reading the result gets its stdout),
 * its exit code is the step's. An interrupt stops it (a force kills it)
 * and always removes it; otherwise `cleanup` says whether it is kept.
 */
export function runForeground(scope: ContainerScope, name: string, planned: ContainerSpec, ctx: StepContext): Promise<StepOutcome> {
  const { cancellation } = ctx;
  // An attached TTY starts at muster's terminal's size.
  const spec = planned.attach?.tty ? { ...planned, attach: { ...planned.attach, size: hostTerminalSize() ?? DEFAULT_TERMINAL_SIZE } } : planned;
  return scope.withEngine(name, async (docker) => {
    const id = await scope.create(docker, name, spec, cancellation);
    const onCancel = () => void docker.stopContainer(id, Math.ceil(spec.stopTimeoutMs / 1000)).catch(() => {});
    const onForce = () => void docker.removeContainer(id, { force: true }).catch(() => {});
    cancellation.signal.addEventListener("abort", onCancel, { once: true });
    cancellation.forceSignal.addEventListener("abort", onForce, { once: true });
    let keep = spec.cleanup === "never";
    try {
      const forward = async (stream: 1 | 2, data: Uint8Array) => {
        const sink = ctx.streams[stream === 1 ? "stdout" : "stderr"];
        await (typeof sink === "function" ? sink(data) : ctx.write(stream, data));
      };
      if (spec.attach) {
        // Attached before it starts: nothing it writes is missed. Its output streams live, nothing is captured (as in Atmos).
        const code = await runAttached(docker, id, spec.attach, ctx, forward);
        if (cancellation.canceled) return { status: "canceled", exitCode: code };
        if (code !== EXIT_OK) {
          keep ||= spec.cleanup === "on_success";
          return { status: "failed", exitCode: code, error: `container exited with code ${code}${keep ? ` (kept for inspection: docker rm ${id.slice(0, 12)} when done)` : ""}` };
        }
        return { status: "succeeded", exitCode: EXIT_OK, ...(ctx.capture ? { value: { ...ATTACHED_VALUE, metadata: { ...ATTACHED_VALUE.metadata, container_id: id } } } : {}) };
      }
      await docker.startContainer(id);
      const code = await streamToExit(docker, id, forward);
      if (cancellation.canceled) return { status: "canceled", exitCode: code };
      if (code !== EXIT_OK) {
        keep ||= spec.cleanup === "on_success";
        const kept = keep ? ` (kept for inspection: docker logs ${id.slice(0, 12)}; docker rm ${id.slice(0, 12)} when done)` : "";
        return { status: "failed", exitCode: code, error: `container exited with code ${code}${kept}` };
      }
      if (!ctx.capture) return { status: "succeeded", exitCode: EXIT_OK };
      const value = await capturedValue(ctx.capture, ctx, name, { trim: true });
      return { status: "succeeded", exitCode: EXIT_OK, value: { ...value, metadata: { ...value.metadata, container_id: id } } };
    } finally {
      cancellation.signal.removeEventListener("abort", onCancel);
      cancellation.forceSignal.removeEventListener("abort", onForce);
      // cleanup: never (and on_success after a failure) keeps the container, as Atmos; an interrupt always removes it.
      if (keep && !cancellation.canceled) {
        scope.forget(id);
        await scope.emit({ type: "message", level: "warn", text: `step "${name}": kept container ${id.slice(0, 12)} (cleanup: ${spec.cleanup}); remove it with docker rm ${id.slice(0, 12)}` });
      } else {
        await docker.removeContainer(id, { force: true }).catch(() => {});
        scope.forget(id);
      }
    }
  });
}

/**
 * Follows a started container's log to its exit and returns its exit code.
 * A follow stream can end before the engine copied a container's last
 * bytes (a last line without a newline, at exit): the log is read again
 * once it exited, and what the stream missed is forwarded then.
 */
async function streamToExit(docker: DockerClient, id: string, forward: (stream: 1 | 2, data: Uint8Array) => Promise<void>): Promise<number> {
  const seen = { 1: 0, 2: 0 };
  for await (const chunk of docker.logs(id, { follow: true, tty: false })) {
    const stream = chunk.stream === 1 ? 1 : 2;
    seen[stream] += chunk.data.length;
    await forward(stream, chunk.data);
  }
  const code = await docker.waitContainer(id);
  const read = { 1: 0, 2: 0 };
  for await (const chunk of docker.logs(id, { follow: false, tty: false })) {
    const stream = chunk.stream === 1 ? 1 : 2;
    const skip = Math.max(0, Math.min(chunk.data.length, seen[stream] - read[stream]));
    read[stream] += chunk.data.length;
    if (skip < chunk.data.length) {
      seen[stream] += chunk.data.length - skip;
      await forward(stream, chunk.data.subarray(skip));
    }
  }
  return code;
}
