/**
 * `MUSTER_RUN_ISOLATION=container`: a dispatched run executes in a fresh
 * container of `MUSTER_RUN_IMAGE` (an image holding muster and what the
 * workflows need) with only its own checkout mounted, at `/workspace`. It
 * runs as the runner's user and group (65534 for a root runner), with every
 * capability dropped and no new privileges, in its own PID namespace: it
 * sees neither the runner's processes, files and secrets, nor other runs'
 * checkouts. It is bounded (pids, memory, CPU, log size: `run-limits.ts`)
 * and on a network of its own with no route to the host or other runs; its
 * container steps get the same bounds and network. Its container
 * steps reach the Docker engine only when `MUSTER_ALLOW_DOCKER_SOCKET=1`
 * (the socket is then mounted). Output is read from the container's log;
 * a cancel or the run's time limit stops it (SIGTERM, then SIGKILL after
 * the cancel grace), and it is removed in every case.
 * @module
 */
import { statSync } from "node:fs";
import { lchown, readdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { Cancellation } from "../engine/cancellation.ts";
import { EXIT_TIMEOUT } from "../exit-codes.ts";
import type { ServeConfig } from "./config.ts";
import type { RunLimits } from "./run-limits.ts";

/** Where the checkout is mounted in a run's container. */
export const WORKSPACE = "/workspace";

/**
 * Where a run's container sees its events file (`--events`): the one file
 * bound there, so the run can write it but not replace it, nor reach the
 * run dir that holds it.
 */
export const CONTAINER_EVENTS = "/muster/events.ndjson";

/** Where a run's container sees its journal dir (`MUSTER_JOURNAL_DIR`): a run suspended at a prompt leaves its record there. */
export const CONTAINER_JOURNAL = "/muster/journal";

/** What `runIsolated` needs. */
export interface IsolatedRun {
  runId: string;
  /** The muster arguments (after the binary), with `-C /workspace`. */
  args: string[];
  checkout: string;
  /** The run's events file on the host, bound at {@linkcode CONTAINER_EVENTS} and given to the run's user; none: not bound. */
  events?: string;
  /** The run's journal dir on the host, bound at {@linkcode CONTAINER_JOURNAL} (given to the run's user). */
  journal?: string;
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
  const limits = config.runLimits;
  const user = runUser(limits);
  if (userInfo().uid === 0) {
    await chownTree(run.checkout, user.uid, user.gid);
    if (run.events) await lchown(run.events, user.uid, user.gid);
    if (run.journal) await chownTree(run.journal, user.uid, user.gid);
  }
  const labels = { [LABELS.dispatch]: run.runId, [LABELS.owner]: ownerLabel() };
  // A network of the run's own: its containers reach each other, never the host (the bridge has no address) or other runs.
  const network = limits.network === "internal" ? `muster-run-${run.runId}` : limits.network;
  if (limits.network === "internal") {
    await docker.createNetwork({ Name: network, Internal: true, CheckDuplicate: true, Labels: labels, Options: { "com.docker.network.bridge.inhibit_ipv4": "true" } });
  }
  const env = {
    ...run.env, HOME: "/tmp", TMPDIR: "/tmp", MUSTER_CONFINE: WORKSPACE, ...(socket ? { DOCKER_HOST: "unix:///var/run/docker.sock" } : {}),
    // The run's container steps get the run's network and bounds (docker/engine-policy.ts).
    ...containerBoundsEnv(limits, network),
    // Bind sources in /workspace are this checkout on the engine's host.
    MUSTER_CONTAINER_HOST_WORKSPACE: run.checkout,
  };
  let id: string;
  try {
    id = await docker.createContainer({
      Image: config.runImage,
      Cmd: [config.runBin, ...run.args],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      WorkingDir: WORKSPACE,
      User: `${user.uid}:${user.gid}`,
      Labels: labels,
      HostConfig: {
        Binds: [`${run.checkout}:${WORKSPACE}`, ...(run.events ? [`${run.events}:${CONTAINER_EVENTS}`] : []), ...(run.journal ? [`${run.journal}:${CONTAINER_JOURNAL}`] : []), ...(socket ? [`${socket}:/var/run/docker.sock`] : [])],
        // The socket's group, so that an unprivileged run can use the engine it was allowed.
        GroupAdd: socket ? socketGroup(socket) : undefined,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Init: true,
        NetworkMode: network,
        PidsLimit: limits.pids,
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        NanoCpus: Math.round(limits.cpus * 1e9),
        LogConfig: { Type: "json-file", Config: { "max-size": limits.logMaxSize, "max-file": String(limits.logMaxFile) } },
      },
    }, `muster-dispatch-${run.runId}`);
  } catch (error) {
    if (limits.network === "internal") await docker.removeNetwork(network).catch(() => {});
    throw error;
  }
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
    // Containers the run left on its network are the runner's to remove (run-reaper.ts), then the network goes with them.
    if (limits.network === "internal") await docker.removeNetwork(network).catch(() => {});
  }
}

/**
 * Who a run is in its container: `MUSTER_RUN_USER`, else the runner's uid
 * and gid, else (a root runner) 65534:65534, never root.
 *
 * @example
 * ```ts
 * runUser({ ...limits, user: "1000:1000" }); // { uid: 1000, gid: 1000 }
 * ```
 */
export function runUser(limits: RunLimits): { uid: number; gid: number } {
  if (limits.user) {
    const [uid, gid] = limits.user.split(":").map(Number) as [number, number | undefined];
    return { uid, gid: gid ?? uid };
  }
  const me = userInfo();
  return me.uid === 0 ? { uid: 65534, gid: 65534 } : { uid: me.uid, gid: me.gid };
}

/**
 * Whether a container run's user can open an events file the runner made:
 * a root runner gives it to that user; any other runner only to itself
 * (its runs run as its own uid unless `MUSTER_RUN_USER` names another).
 *
 * @example
 * ```ts
 * eventsReachRun({ ...limits, user: undefined }); // true
 * ```
 */
export function eventsReachRun(limits: RunLimits): boolean {
  const me = userInfo().uid;
  return me === 0 || runUser(limits).uid === me;
}

/**
 * The variables that hand a run's bounds to its own muster (read only from
 * its process environment, see `docker/engine-policy.ts`).
 *
 * @example
 * ```ts
 * containerBoundsEnv(limits, "muster-run-r1").MUSTER_CONTAINER_NETWORK; // "muster-run-r1"
 * ```
 */
export function containerBoundsEnv(limits: RunLimits, network: string): Record<string, string> {
  return {
    MUSTER_CONTAINER_NETWORK: network,
    MUSTER_CONTAINER_PIDS: String(limits.pids),
    MUSTER_CONTAINER_MEMORY: limits.memory,
    MUSTER_CONTAINER_CPUS: String(limits.cpus),
    MUSTER_CONTAINER_LOG_MAX_SIZE: limits.logMaxSize,
    MUSTER_CONTAINER_LOG_MAX_FILE: String(limits.logMaxFile),
  };
}

/** The group of the engine's socket, as the engine's GroupAdd takes it. */
function socketGroup(socket: string): string[] | undefined {
  try {
    return [String(statSync(socket).gid)];
  } catch {
    return undefined;
  }
}

/** Gives the checkout to the run's user (a root runner's runs are not root); symlinks themselves, never their targets. */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid, gid);
    else await lchown(path, uid, gid);
  }
}

/** The host path of the engine's unix socket. */
function dockerSocketPath(dockerHost: string | undefined): string {
  return dockerHost?.startsWith("unix://") ? dockerHost.slice("unix://".length) : "/var/run/docker.sock";
}
