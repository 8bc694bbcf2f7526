/**
 * Removes what a dispatched run left on the engine: every container
 * labelled `dev.muster.dispatch=<runId>` (its run container in container
 * isolation, its services and step containers in both modes) is stopped
 * (SIGTERM, then SIGKILL after the grace) and removed, then the run's own
 * network. The runner does it when a run ends, and, before it reports a
 * lost run (its runner was killed) or lets another run of its stack start,
 * for the runs it takes over.
 * @module
 */
import type { DockerClient } from "../docker/client.ts";
import { LABELS } from "../docker/owner.ts";

/** What was removed, by name. */
export interface Reaped {
  containers: string[];
  networks: string[];
}

/**
 * Stops and removes the containers and networks of `runId`; resolves once
 * they are gone (a container the engine is already removing is waited for).
 *
 * @example
 * ```ts
 * const { containers } = await reapRun(docker, "deploy-42", 60);
 * ```
 */
export async function reapRun(docker: DockerClient, runId: string, graceSeconds: number): Promise<Reaped> {
  const filter = [`${LABELS.dispatch}=${runId}`];
  const found = await docker.listContainers(filter);
  await Promise.all(found.filter((c) => c.State === "running" || c.State === "paused" || c.State === "restarting").map((c) => docker.stopContainer(c.Id, graceSeconds).catch(() => {})));
  await Promise.all(found.map((c) => docker.removeContainer(c.Id, { force: true })));
  // "Removal already in progress" elsewhere: the container is gone only when the engine no longer lists it.
  for (let i = 0; i < 100 && (await docker.listContainers(filter)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const networks = await docker.listNetworks(filter);
  for (const network of networks) await docker.removeNetwork(network.Id);
  return { containers: found.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, "")), networks: networks.map((n) => n.Name) };
}
