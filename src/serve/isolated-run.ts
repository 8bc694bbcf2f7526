/**
 * `MUSTER_RUN_ISOLATION=container`: a dispatched run executes in a fresh
 * container of `MUSTER_RUN_IMAGE` (an image holding muster and what the
 * workflows need) with only its own checkout mounted, at `/workspace`. It
 * runs as the runner's user and group, with every capability dropped and
 * no new privileges, in its own PID namespace: it sees neither the runner's
 * processes, files and secrets, nor other runs' checkouts. Its container
 * steps reach the Docker engine only when `MUSTER_ALLOW_DOCKER_SOCKET=1`
 * (the socket is then mounted). Output is read from the container's log;
 * a cancel or the run's time limit stops it (SIGTERM, then SIGKILL after
 * the cancel grace), and it is removed in every case.
 * @module
 */
import { userInfo } from "node:os";
import type { Cancellation } from "../engine/cancellation.ts";
import { EXIT_TIMEOUT } from "../exit-codes.ts";
import type { ServeConfig } from "./config.ts";

/** Where the checkout is mounted in a run's container. */
export const WORKSPACE = "/workspace";

/** What `runIsolated` needs. */
export interface IsolatedRun {
  runId: string;
  /** The muster arguments (after the binary), with `-C /workspace`. */
  args: string[];
  checkout: string;
  env: Record<string, string>;
  timeoutMs: number;
  cancellation: Cancellation;
  output: (chunk: Uint8Array) => void;
}

/**
 * Runs a workflow in its own container; resolves like `runProcess`.
 *
 * @example
 * ```ts
 * const outcome = await runIsolated(config, { runId, args: ["workflow", "deploy", "-C", "/workspace"], checkout, env, timeoutMs, cancellation, output });
 * ```
 */
export async function runIsolated(config: ServeConfig, run: IsolatedRun): Promise<{ code: number; timedOut: boolean; canceled: boolean }> {
  const { DockerClient } = await import("../docker/client.ts");
  const { LABELS, ownerLabel } = await import("../docker/owner.ts");
  const { platform } = await import("../platform/index.ts");
  const docker = await DockerClient.connect(platform.env());
  const socket = config.allowDockerSocket ? dockerSocketPath(platform.env().DOCKER_HOST) : undefined;
  const me = userInfo();
  const env = { ...run.env, HOME: "/tmp", TMPDIR: "/tmp", MUSTER_CONFINE: WORKSPACE, ...(socket ? { DOCKER_HOST: "unix:///var/run/docker.sock" } : {}) };
  const id = await docker.createContainer({
    Image: config.runImage,
    Cmd: [config.runBin, ...run.args],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: WORKSPACE,
    User: `${me.uid}:${me.gid}`,
    Labels: { [LABELS.dispatch]: run.runId, [LABELS.owner]: ownerLabel() },
    HostConfig: {
      Binds: [`${run.checkout}:${WORKSPACE}`, ...(socket ? [`${socket}:/var/run/docker.sock`] : [])],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Init: true,
    },
  }, `muster-dispatch-${run.runId}`);
  const stopGraceSeconds = Math.max(1, Math.ceil(config.cancelGraceMs / 1000));
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    void docker.stopContainer(id, stopGraceSeconds).catch(() => {});
  }, run.timeoutMs);
  const onCancel = () => void docker.stopContainer(id, run.cancellation.forced ? 0 : stopGraceSeconds).catch(() => {});
  run.cancellation.signal.addEventListener("abort", onCancel, { once: true });
  run.cancellation.forceSignal.addEventListener("abort", onCancel, { once: true });
  try {
    const logs = new AbortController();
    await docker.startContainer(id);
    const reading = (async () => {
      for await (const chunk of docker.logs(id, { follow: true, signal: logs.signal })) run.output(chunk.data);
    })().catch(() => {});
    const code = await docker.waitContainer(id);
    await reading;
    return { code: timedOut ? EXIT_TIMEOUT : code, timedOut, canceled: run.cancellation.canceled && !timedOut };
  } finally {
    clearTimeout(deadline);
    run.cancellation.signal.removeEventListener("abort", onCancel);
    run.cancellation.forceSignal.removeEventListener("abort", onCancel);
    await docker.removeContainer(id, { force: true }).catch(() => {});
  }
}

/** The host path of the engine's unix socket. */
function dockerSocketPath(dockerHost: string | undefined): string {
  return dockerHost?.startsWith("unix://") ? dockerHost.slice("unix://".length) : "/var/run/docker.sock";
}
