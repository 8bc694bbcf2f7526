import { expect, test } from "bun:test";
import { hostname } from "node:os";
import { containerName, newRunId, pruneOrphans, removeContainer } from "./lifecycle.ts";
import { bootId, LABELS, ownerLabel, pidNamespace, processStartTime } from "./owner.ts";

/** An engine that records the calls a removal makes; `stop` resolves when the test says so (a container slow to stop). */
function engine() {
  const calls: string[] = [];
  let stopped!: () => void;
  const stopping = new Promise<void>((resolve) => (stopped = resolve));
  let stopCalled!: () => void;
  const stopAsked = new Promise<void>((resolve) => (stopCalled = resolve));
  return {
    calls,
    stopped: () => stopped(),
    stopAsked,
    stopContainer: async (id: string, seconds: number) => {
      calls.push(`stop ${id} ${seconds}s`);
      stopCalled();
      await stopping;
    },
    removeContainer: async (id: string, options: { force?: boolean } = {}) => void calls.push(`remove ${id}${options.force ? " force" : ""}`),
  };
}

test("removeContainer: stopped within its stop timeout (whole seconds, rounded up), then removed", async () => {
  const docker = engine();
  const done = removeContainer(docker, "c1", { stopMs: 1500, forced: false, forceSignal: new AbortController().signal });
  await docker.stopAsked;
  docker.stopped();
  await done;
  expect(docker.calls).toEqual(["stop c1 2s", "remove c1"]);
});

test("removeContainer: already forced, it is killed and removed at once, never stopped", async () => {
  const docker = engine();
  await removeContainer(docker, "c1", { stopMs: 60_000, forced: true, forceSignal: AbortSignal.abort() });
  expect(docker.calls).toEqual(["remove c1 force"]);
});

test("removeContainer: a force during the graceful stop switches to kill-and-remove without waiting for the stop", async () => {
  const docker = engine();
  const force = new AbortController();
  const done = removeContainer(docker, "c1", { stopMs: 60_000, forced: false, forceSignal: force.signal });
  await docker.stopAsked;
  force.abort();
  await done; // the stop has not returned: only the force ended the removal
  expect(docker.calls).toEqual(["stop c1 60s", "remove c1 force"]);
  docker.stopped();
});

test("pruneOrphans: removes containers whose owner is gone; unobservable owners only when forced or older than the limit; never a live one", async () => {
  const child = Bun.spawn(["true"]);
  await child.exited;
  const gone = ["v2", hostname(), bootId(), pidNamespace(), child.pid, processStartTime(process.pid)].join(":");
  const elsewhere = ["v2", "another-host", "b", "n", 1, "1"].join(":");
  const now = 1_000_000_000_000;
  const containers = [
    { Id: "live", Names: ["/muster-live"], Labels: { [LABELS.owner]: ownerLabel() }, State: "running", Created: now / 1000 - 86_400 },
    { Id: "orphan", Names: ["/muster-orphan"], Labels: { [LABELS.owner]: gone }, State: "running", Created: now / 1000 },
    { Id: "old", Names: ["/muster-old"], Labels: { [LABELS.owner]: elsewhere }, State: "running", Created: now / 1000 - 7200 },
    { Id: "new", Names: ["/muster-new"], Labels: { [LABELS.owner]: elsewhere }, State: "running", Created: now / 1000 - 60 },
  ];
  const removed: string[] = [];
  const docker = { listContainers: async () => containers, removeContainer: async (id: string) => void removed.push(id) };
  expect((await pruneOrphans(docker, { now })).map((p) => `${p.name}: ${p.why}`)).toEqual(["muster-orphan: owner gone"]);
  expect((await pruneOrphans(docker, { now, olderThanMs: 3_600_000 })).map((p) => `${p.name}: ${p.why}`).sort()).toEqual(["muster-old: older than the limit", "muster-orphan: owner gone"]);
  expect((await pruneOrphans(docker, { now, force: true })).map((p) => p.id).sort()).toEqual(["new", "old", "orphan"]);
  expect(removed).not.toContain("live");
});

test("names: a run id is 12 hex digits; a container's name keeps what the engine accepts of its step's", () => {
  expect(newRunId()).toMatch(/^[0-9a-f]{12}$/);
  expect(containerName("0123456789ab", "db: main/1")).toBe("muster-0123456789ab-db-main-1");
});
