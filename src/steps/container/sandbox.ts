/**
 * The sandbox: the container shell and script steps run in (the
 * workflow's `container:`, shared, or a step's own), started at the first
 * step that needs it and kept alive until teardown; each step runs in it
 * through the Engine API's exec.
 * @module
 */
import { isAbsolute, join, relative } from "node:path";
import { type ContainerSpec, mountsOf, portsOf } from "../../docker/container-spec.ts";
import { parseRunArgs } from "../../docker/run-args.ts";
import type { Cancellation } from "../../engine/cancellation.ts";
import { StepFailure } from "../../errors.ts";
import type { Containers } from "../kind.ts";
import type { SandboxPlan } from "./fields.ts";
import type { ContainerScope } from "./scope.ts";

/** A started sandbox container. */
interface Sandbox {
  id: string;
  plan: SandboxPlan;
}

/** The name a sandbox is shown and labelled as: `sandbox` (the workflow's), `NAME-sandbox` (a step's own). */
export const sandboxName = (plan: Pick<SandboxPlan, "key">): string => (plan.key === "workflow" ? "sandbox" : `${plan.key.slice(5)}-sandbox`);

/**
 * The container of a sandbox (a pure function): kept alive by a loop that
 * exits on TERM, with the host root mounted at the workspace. `runEnv` is
 * muster's environment, which a mount's `$VAR` may name.
 * Throws `StepFailure` for `run_args` muster does not understand.
 *
 * @example
 * ```ts
 * sandboxSpec({ key: "workflow", settings, hostRoot: "/repo", own: false }, {});
 * // { image: "alpine:3.20", entrypoint: ["/bin/sh", "-c", "trap 'exit 0' TERM INT; …"], volumes: [{ type: "bind", source: "/repo", target: "/workspace", readOnly: false }], workdir: "/workspace", … }
 * ```
 */
export function sandboxSpec(plan: SandboxPlan, runEnv: Record<string, string>): ContainerSpec {
  const s = plan.settings;
  const runArgs = parseRunArgs(s.run_args);
  if ("problem" in runArgs) throw new StepFailure(`sandbox: run_args: ${runArgs.problem}`);
  return {
    image: s.image,
    // Kept alive until teardown; steps run in it through exec.
    entrypoint: [s.shell, "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"],
    env: s.env,
    ports: portsOf(s.ports),
    volumes: [{ type: "bind", source: plan.hostRoot, target: s.workspace, readOnly: s.workspace_read_only }, ...mountsOf(s.mounts, plan.hostRoot, runEnv)],
    workdir: s.workspace,
    user: s.user,
    labels: {},
    pull: s.pull,
    stopTimeoutMs: 2000,
    cleanup: s.cleanup,
    runArgs: runArgs.settings,
  };
}

/** The run's sandboxes, by key (`workflow`, `step:NAME`). */
export class Sandboxes {
  #scope: ContainerScope;
  /** Started when first needed; the promise is shared by steps that need it at once. */
  #started = new Map<string, Promise<Sandbox>>();

  constructor(scope: ContainerScope) {
    this.#scope = scope;
  }

  /** Waits for sandboxes still starting (teardown then knows every container). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#started.values());
  }

  /** Forgets every sandbox (torn down, or kept by its cleanup policy). */
  clear(): void {
    this.#started.clear();
  }

  /** The sandbox for `plan`, started (image pulled, workspace mounted) when first needed. */
  #sandbox(plan: SandboxPlan, cancellation: Cancellation): Promise<Sandbox> {
    let sandbox = this.#started.get(plan.key);
    if (sandbox) return sandbox;
    const name = sandboxName(plan);
    const scope = this.#scope;
    sandbox = scope.withEngine(name, async (docker) => {
      const s = plan.settings;
      const id = await scope.create(docker, name, sandboxSpec(plan, scope.run.env), cancellation);
      await docker.startContainer(id);
      scope.sandboxed(id, s.cleanup);
      await scope.emit({ type: "message", level: "info", text: `${name} started: ${s.image}, ${plan.hostRoot} at ${s.workspace}${s.workspace_read_only ? " (read-only)" : ""} (container ${id.slice(0, 12)})` });
      return { id, plan };
    });
    this.#started.set(plan.key, sandbox);
    sandbox.catch(() => this.#started.delete(plan.key));
    return sandbox;
  }

  /**
   * Runs a shell or script step's argv inside its sandbox (Engine API exec):
   * the step's directory maps under the workspace, the step's environment is
   * passed. An interrupted step stops its sandbox (exec has no kill): the
   * next step that needs one gets a new one.
   */
  async exec(...[plan, run, out, cancellation]: Parameters<Containers["sandboxExec"]>): ReturnType<Containers["sandboxExec"]> {
    const rel = relative(plan.hostRoot, run.cwd);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new StepFailure(`step "${run.step}": its working directory ${run.cwd} is outside the sandbox's workspace ${plan.hostRoot} (expected a directory under it, or container: false)`);
    }
    const sandbox = await this.#sandbox(plan, cancellation);
    return this.#scope.withEngine(run.step, async (docker) => {
      const env = Object.entries(run.env).map(([k, v]) => `${k}=${v}`);
      // exec over HTTP carries no stdin: a script the interpreter reads from stdin travels in a variable.
      const argv = run.stdinText === undefined ? run.argv : [plan.settings.shell, "-c", 'printf "%s" "$MUSTER_STDIN" | "$@"', "muster", ...run.argv];
      if (run.stdinText !== undefined) env.push(`MUSTER_STDIN=${run.stdinText}`);
      const stop = () => {
        this.#started.delete(plan.key);
        void docker.removeContainer(sandbox.id, { force: true }).then(() => this.#scope.forget(sandbox.id)).catch(() => {});
      };
      cancellation.signal.addEventListener("abort", stop, { once: true });
      try {
        const code = await docker.exec(sandbox.id, { cmd: argv, env, workdir: rel === "" ? plan.settings.workspace : join(plan.settings.workspace, rel), user: plan.settings.user, signal: cancellation.signal }, (chunk) =>
          chunk.stream === 1 ? out.stdout(chunk.data) : out.stderr(chunk.data));
        return { code, canceled: cancellation.canceled };
      } catch (error) {
        if (cancellation.canceled) return { code: cancellation.exitCode, canceled: true };
        throw error;
      } finally {
        cancellation.signal.removeEventListener("abort", stop);
      }
    });
  }
}
