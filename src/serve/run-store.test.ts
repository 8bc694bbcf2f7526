import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dispatch } from "./dispatch-schema.ts";
import type { RunState } from "./run-manager.ts";
import { SqliteRunStore, StateError } from "./run-store.ts";

const root = mkdtempSync(join(tmpdir(), "muster-run-store-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => join(root, String(++n));

const dispatch = (runId: string): Dispatch => ({ runId, workflow: "deploy", stack: "dev", callbackUrl: "https://ci.example/cb", callbackToken: "cb-token" }) as Dispatch;
const queued = (runId: string, createdAt = "2026-11-01T00:00:00.000Z"): RunState => ({
  runId, status: "queued", workflow: "deploy", stack: "dev", createdAt, startedAt: null, finishedAt: null, exitCode: null, error: null, callback: null,
});

test("runs admitted and updated are found again after closing and opening the store", () => {
  const where = dir();
  const store = SqliteRunStore.open(where);
  store.admit({ dispatch: dispatch("a"), state: queued("a") });
  store.admit({ dispatch: dispatch("b"), state: queued("b") });
  store.admit({ dispatch: dispatch("c"), state: queued("c") });
  store.update("a", { status: "running", startedAt: "2026-11-01T00:00:01.000Z" });
  store.update("c", { status: "failed", finishedAt: "2026-11-01T00:00:02.000Z", exitCode: 2, error: "workflow \"deploy\" not found" });
  store.close();
  const again = SqliteRunStore.open(where);
  expect(again.find("a")?.state).toMatchObject({ status: "running", startedAt: "2026-11-01T00:00:01.000Z" });
  expect(again.find("a")?.dispatch.callbackToken).toBe("cb-token");
  expect(again.unfinished().map((r) => [r.state.runId, r.state.status])).toEqual([["a", "running"], ["b", "queued"]]);
  expect(again.undelivered().map((r) => r.state.runId)).toEqual(["c"]);
  again.update("c", { callback: { delivered: true, attempts: 1, status: 200 } });
  expect(again.undelivered()).toEqual([]);
  expect(again.find("c")?.state.callback).toEqual({ delivered: true, attempts: 1, status: 200 });
  expect(again.find("zzz")).toBeUndefined();
  // Admission order survives a restart: a new run comes after the old ones.
  again.admit({ dispatch: dispatch("d"), state: queued("d") });
  expect(again.unfinished().map((r) => r.state.runId)).toEqual(["a", "b", "d"]);
  again.close();
});

test("prune forgets final runs that finished before the cut-off, once their callback went out", () => {
  const store = SqliteRunStore.open(dir());
  for (const [id, finishedAt, called] of [["old", "2026-10-01T00:00:00.000Z", true], ["old-uncalled", "2026-10-01T00:00:00.000Z", false], ["new", "2026-11-20T00:00:00.000Z", true]] as const) {
    store.admit({ dispatch: dispatch(id), state: queued(id) });
    store.update(id, { status: "succeeded", finishedAt, ...(called ? { callback: { delivered: true, attempts: 1 } } : {}) });
  }
  expect(store.prune("2026-11-01T00:00:00.000Z")).toBe(1);
  expect(["old", "old-uncalled", "new"].map((id) => store.find(id) !== undefined)).toEqual([false, true, true]);
  store.close();
});

test("one runner per state: a live holder refuses a second, a dead one's lock is taken over; files are private", () => {
  const where = dir();
  const first = SqliteRunStore.open(where);
  expect(statSync(join(where, "runs.db")).mode & 0o777).toBe(0o600);
  expect(statSync(where).mode & 0o777).toBe(0o700);
  // This process holds it: another holder (pid 1, alive) is refused.
  first.close();
  writeFileSync(join(where, "runs.db.lock"), "1");
  expect(() => SqliteRunStore.open(where)).toThrow(StateError);
  expect(() => SqliteRunStore.open(where)).toThrow("is held by the runner with pid 1");
  writeFileSync(join(where, "runs.db.lock"), String(2 ** 22 + 4321));
  SqliteRunStore.open(where).close();
});
