/**
 * The run store's contract, on SQLite and on a real PostgreSQL (a throw-away
 * cluster from test/postgres.ts), plus what only one of them does: SQLite's
 * lock file and migration from the single-runner schema, PostgreSQL's claims
 * from two runners at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { platform } from "../platform/index.ts";
import { startPostgres, type Postgres } from "../../test/postgres.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import type { RunState } from "./run-record.ts";
import { SqlRunStore, StateError, type QueueBounds } from "./run-store.ts";

const root = mkdtempSync(join(tmpdir(), "muster-run-store-test-"));
let postgres: Postgres;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
  rmSync(root, { recursive: true, force: true });
}, 30_000);
let n = 0;
const dir = () => join(root, String(++n));

const dispatch = (runId: string, stack: string | undefined = "dev"): Dispatch => ({ runId, workflow: "deploy", stack, callbackUrl: "https://ci.example/cb", callbackToken: "cb-token" }) as Dispatch;
const queued = (runId: string, stack: string | null = "dev"): RunState => ({
  runId, status: "queued", workflow: "deploy", stack, createdAt: "2026-11-01T00:00:00.000Z", startedAt: null, finishedAt: null, exitCode: null, error: null, callback: null, runner: null,
});
const OPEN: QueueBounds = { queueSize: 100, queuePerStack: 100, slotFree: true };
/** Admits a run of `stack` (null: a run without a stack). */
const admit = (store: SqlRunStore, id: string, stack: string | null = "dev", bounds = OPEN) =>
  store.admit({ dispatch: dispatch(id, stack ?? undefined), state: queued(id, stack) }, bounds);
const LEASE = 30_000;
/** A lease that ran out a second ago: what a killed runner leaves, without waiting for it. */
const EXPIRED = -1000;

const backends: Array<[string, () => Promise<SqlRunStore>]> = [
  ["SQLite", () => SqlRunStore.openSqlite(dir())],
  ["PostgreSQL", async () => SqlRunStore.openPostgres(await postgres.database(`store_${++n}`))],
];

describe.each(backends)("%s", (_name, open) => {
  test("a waiting run: stored by its owner only, holds its stack and no lease, resumes ahead of the queue with its answers (let go of at the claim), expires or is canceled", async () => {
    const store = await open();
    try {
      const suspension = { waitingFor: { step: "approve", type: "confirm", prompt: "Apply?", since: "2026-11-01T00:00:00.000Z", digest: "d".repeat(64) }, journal: "{}\n", journalId: "20261101-000000-abcd", checkout: "/c" };
      await admit(store, "w");
      await store.claim("r1", LEASE);
      expect(await store.suspend("w", "r2", suspension)).toBe(false);
      expect(await store.suspend("w", "r1", suspension)).toBe(true);
      expect((await store.find("w"))?.state).toMatchObject({ status: "waiting", waitingFor: { step: "approve", digest: "d".repeat(64) } });
      expect((await store.find("w"))?.state.waitingFor).not.toHaveProperty("check");
      expect(await store.counts()).toEqual({ queued: 0, running: 0, waiting: 1 });
      // Its stack is held; its runner's renewals no longer hold it, and no take-over touches it.
      await admit(store, "next");
      expect(await store.claim("r1", LEASE)).toBeUndefined();
      expect((await store.renew("r1", LEASE)).held.has("w")).toBe(false);
      expect(await store.adoptLost("r2", EXPIRED)).toEqual([]);
      expect(await store.takeOverUndelivered("r2", EXPIRED)).toEqual([]);
      // Answered: queued again, claimed before "next", with its answers and suspension; the store keeps no answer.
      // Answers checked against another suspension of the run do not land on this one.
      expect(await store.resume("w", { approve: "yes" }, "2026-10-01T00:00:00.000Z")).toBeUndefined();
      expect((await store.find("w"))?.state.status).toBe("waiting");
      expect((await store.resume("w", { approve: "yes" }, suspension.waitingFor.since))?.state.status).toBe("queued");
      expect(await store.resume("w", { approve: "yes" }, suspension.waitingFor.since)).toBeUndefined();
      const claimed = await store.claim("r2", LEASE);
      expect(claimed).toMatchObject({ state: { runId: "w", status: "running", runner: "r2" }, resumeAnswers: { approve: "yes" }, suspension: { journalId: "20261101-000000-abcd" } });
      expect((await store.find("w"))?.resumeAnswers).toBeUndefined();
      // Waits again, then past the limit: failed with the reason, now the expirer's to call back.
      expect(await store.suspend("w", "r2", { ...suspension, waitingFor: { ...suspension.waitingFor, since: new Date().toISOString() } })).toBe(true);
      expect(await store.expireWaiting("r3", LEASE, "2026-11-02T00:00:00.000Z", "late")).toEqual([]);
      const expired = await store.expireWaiting("r3", LEASE, new Date(Date.now() + 1000).toISOString(), "no answer within 24h");
      expect(expired.map((r) => r.state)).toMatchObject([{ runId: "w", status: "failed", error: "no answer within 24h", runner: "r3" }]);
      expect((await store.claim("r1", LEASE))?.state.runId).toBe("next");
      // A waiting run whose since is unknown (a row of an older runner) has waited too long.
      await admit(store, "u", "stage");
      await store.claim("r1", LEASE);
      expect(await store.suspend("u", "r1", { ...suspension, waitingFor: { ...suspension.waitingFor, since: null as unknown as string } })).toBe(true);
      expect((await store.expireWaiting("r3", LEASE, "2026-11-02T00:00:00.000Z", "late")).map((r) => r.state.runId)).toEqual(["u"]);
      // Cancel of a waiting run.
      await admit(store, "c", "qa");
      await store.claim("r1", LEASE);
      await store.suspend("c", "r1", suspension);
      expect((await store.cancelQueued("c", "r4", "not approved", LEASE))?.state).toMatchObject({ status: "canceled", error: "not approved", runner: "r4" });
    } finally {
      await store.close();
    }
  });

  test("admits once per runId, claims oldest first, one running run per stack, finishes and forgets", async () => {
    const store = await open();
    try {
      expect(await admit(store, "a")).toEqual({ kind: "admitted" });
      expect(await admit(store, "b")).toEqual({ kind: "admitted" });
      expect(await admit(store, "c", "prod")).toEqual({ kind: "admitted" });
      expect(await admit(store, "d", null)).toEqual({ kind: "admitted" });
      const again = await admit(store, "a");
      expect(again.kind === "known" && again.run.dispatch.callbackToken).toBe("cb-token");
      expect(await store.counts()).toEqual({ queued: 4, running: 0, waiting: 0 });

      expect((await store.claim("r1", LEASE))?.state).toMatchObject({ runId: "a", status: "running" });
      // b waits for dev; c (prod) and d (no stack) are next, in admission order.
      expect((await store.claim("r2", LEASE))?.state.runId).toBe("c");
      expect((await store.claim("r2", LEASE))?.state.runId).toBe("d");
      expect(await store.claim("r2", LEASE)).toBeUndefined();
      expect(await store.counts()).toEqual({ queued: 1, running: 3, waiting: 0 });

      expect(await store.finish("a", "someone-else", { status: "succeeded", exitCode: 0, error: null })).toBe(false);
      expect(await store.finish("a", "r1", { status: "succeeded", exitCode: 0, error: null })).toBe(true);
      expect((await store.claim("r1", LEASE))?.state.runId).toBe("b");
      expect((await store.find("a"))?.state).toMatchObject({ status: "succeeded", exitCode: 0, callback: null });
      await store.delivered("a", { delivered: true, attempts: 1, status: 200 });
      expect((await store.find("a"))?.state.callback).toEqual({ delivered: true, attempts: 1, status: 200 });
      expect(await store.find("zzz")).toBeUndefined();

      expect(await store.prune(new Date(Date.now() - 60_000).toISOString())).toBe(0);
      expect(await store.prune(new Date(Date.now() + 60_000).toISOString())).toBe(1);
      expect(await store.find("a")).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test("bounds: a run that cannot start at once is refused past the queue size or its stack's share", async () => {
    const store = await open();
    try {
      const busy: QueueBounds = { queueSize: 2, queuePerStack: 1, slotFree: false };
      expect(await admit(store, "q1", "dev", busy)).toEqual({ kind: "admitted" });
      expect(await admit(store, "q2", "dev", busy)).toEqual({ kind: "full", why: 'stack "dev" has 1 queued runs (MUSTER_QUEUE_PER_STACK)' });
      expect(await admit(store, "q3", "prod", busy)).toEqual({ kind: "admitted" });
      expect(await admit(store, "q4", "test", busy)).toEqual({ kind: "full", why: "the queue is full" });
      // A free slot and an idle stack: admitted whatever the queue holds.
      expect(await admit(store, "q5", "test", { ...busy, slotFree: true })).toEqual({ kind: "admitted" });
      expect(await store.find("q2")).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test("adoptLost: a lost run is adopted once and stays running (its stack taken) until the taker finishes it", async () => {
    const store = await open();
    try {
      await admit(store, "lost", "prod");
      await admit(store, "next", "prod");
      await store.claim("dead", EXPIRED);
      const adopted = await store.adoptLost("taker", LEASE);
      expect(adopted.map((r) => r.state)).toMatchObject([{ runId: "lost", status: "running" }]);
      expect(await store.adoptLost("other", LEASE)).toEqual([]);
      expect(await store.claim("taker", LEASE)).toBeUndefined(); // the stack is still taken
      expect(await store.finish("lost", "dead", { status: "succeeded", exitCode: 0, error: null })).toBe(false);
      expect(await store.finish("lost", "taker", { status: "failed", exitCode: null, error: "runner lost while running" })).toBe(true);
      expect((await store.claim("taker", LEASE))?.state.runId).toBe("next");
    } finally {
      await store.close();
    }
  });

  test("leases: a lost run is taken over once, failed and reported by the taker; its runner can no longer finish it", async () => {
    const store = await open();
    try {
      await admit(store, "lost");
      await admit(store, "kept", "prod");
      await store.claim("dead", EXPIRED);
      await store.claim("alive", LEASE);
      const taken = await store.takeOverLost("taker", LEASE);
      expect(taken.map((r) => r.state)).toMatchObject([{ runId: "lost", status: "failed", error: "runner lost while running", exitCode: null }]);
      expect(await store.takeOverLost("other", LEASE)).toEqual([]);
      expect(await store.finish("lost", "dead", { status: "succeeded", exitCode: 0, error: null })).toBe(false);
      expect((await store.renew("dead", LEASE)).held.size).toBe(0);
      // The taker holds its callback until it is delivered; then it is no one's.
      expect([...(await store.renew("taker", LEASE)).held]).toEqual(["lost"]);
      expect(await store.takeOverUndelivered("other", LEASE)).toEqual([]);
      await store.delivered("lost", { delivered: true, attempts: 1 });
      expect((await store.renew("taker", LEASE)).held.size).toBe(0);
      expect((await store.find("kept"))?.state.status).toBe("running");
    } finally {
      await store.close();
    }
  });

  test("an undelivered final state is taken over once its owner's lease runs out", async () => {
    const store = await open();
    try {
      await admit(store, "u");
      await store.claim("r1", EXPIRED);
      expect(await store.finish("u", "r1", { status: "failed", exitCode: 1, error: "boom" })).toBe(true);
      // The lease was not renewed: the runner died between storing the state and calling back.
      const taken = await store.takeOverUndelivered("r2", LEASE);
      expect(taken.map((r) => r.state)).toMatchObject([{ runId: "u", status: "failed", exitCode: 1, error: "boom" }]);
      expect(await store.takeOverUndelivered("r3", LEASE)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test("cancel: a queued run is canceled by whoever asks; a running one's cancel reaches its owner when it renews", async () => {
    const store = await open();
    try {
      await admit(store, "run");
      await admit(store, "wait", "prod");
      await store.claim("owner", LEASE);
      expect((await store.cancelQueued("wait", "asker", "canceled by request", LEASE))?.state).toMatchObject({ status: "canceled", error: "canceled by request" });
      expect(await store.cancelQueued("wait", "asker", "again", LEASE)).toBeUndefined();
      expect(await store.cancelQueued("run", "asker", "nope", LEASE)).toBeUndefined();
      await store.requestCancel("run", "canceled by request");
      const { held, cancels } = await store.renew("owner", LEASE);
      expect([...held]).toEqual(["run"]);
      expect([...cancels]).toEqual([["run", "canceled by request"]]);
      await store.finish("run", "owner", { status: "canceled", exitCode: 143, error: "canceled by request" });
      expect((await store.renew("owner", LEASE)).cancels.size).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe("SQLite only", () => {
  test("one runner per state: a live holder refuses a second, a dead one's lock is taken over with its leases; files are private", async () => {
    const where = dir();
    const first = await SqlRunStore.openSqlite(where);
    expect(statSync(join(where, "runs.db")).mode & 0o777).toBe(0o600);
    expect(statSync(where).mode & 0o777).toBe(0o700);
    await admit(first, "was-running");
    await first.claim("previous", LEASE);
    await first.close();
    // A pid in the file proves nothing (it may be another PID namespace's): a held flock does.
    // -o: only flock itself holds the lock (not the sleep it runs), so the lock is free once it has exited.
    writeFileSync(join(where, "runs.db.lock"), "1");
    const holder = platform.spawn(["flock", "-o", join(where, "runs.db.lock"), "sh", "-c", "echo locked; exec sleep 60"], { stdin: "null", stdout: "pipe", stderr: "inherit" });
    const reader = holder.stdout!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("locked\n");
    await expect(SqlRunStore.openSqlite(where)).rejects.toThrow(StateError);
    await expect(SqlRunStore.openSqlite(where)).rejects.toThrow("is held by the runner with pid 1");
    platform.killGroup(holder.pid, "SIGKILL");
    await holder.exited;
    const next = await SqlRunStore.openSqlite(where);
    // The previous runner is gone: its run is lost now, not a lease's time later.
    expect((await next.takeOverLost("next", LEASE)).map((r) => r.state.runId)).toEqual(["was-running"]);
    await next.close();
  });

  describe("a state this runner does not own is refused with exit 78, naming the path, the owner and the variable (S8)", () => {
    const refusal = async (where: string, variable?: "MUSTER_STATE_URL") => {
      const error = await SqlRunStore.openSqlite(where, variable).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).exitCode).toBe(78);
      return (error as StateError).message;
    };
    test("a directory another user owns", async () => {
      const where = dir();
      mkdirSync(where, { mode: 0o700 });
      chownSync(where, 65534, 65534);
      const message = await refusal(where);
      expect(message).toContain(`MUSTER_STATE_DIR: ${where} is owned by uid 65534`);
      expect(message).toContain("expected a directory owned by this runner's user (uid 0");
      expect(message).toContain("The path comes from MUSTER_STATE_DIR");
      expect(existsSync(join(where, "runs.db"))).toBe(false);
    });
    test("a directory group or others can write, even sticky", async () => {
      const where = dir();
      mkdirSync(where);
      chmodSync(where, 0o1777);
      expect(await refusal(where, "MUSTER_STATE_URL")).toContain(`MUSTER_STATE_URL: ${where} is writable by its group and others (mode 01777)`);
      chmodSync(where, 0o720);
      expect(await refusal(where)).toContain("is writable by its group (mode 0720)");
      expect(existsSync(join(where, "runs.db"))).toBe(false);
    });
    test("a directory that is a symlink", async () => {
      const real = dir();
      mkdirSync(real, { mode: 0o700 });
      const link = dir();
      symlinkSync(real, link);
      expect(await refusal(link)).toContain(`${link} is a symlink (to ${real})`);
    });
    test("runs.db (or its -wal, or the lock) a symlink or another user's file; the link's target is left as it was", async () => {
      const victim = join(root, `victim-${++n}`);
      writeFileSync(victim, "victim content");
      chmodSync(victim, 0o644);
      for (const name of ["runs.db", "runs.db-wal", "runs.db.lock"]) {
        const where = dir();
        mkdirSync(where, { mode: 0o700 });
        symlinkSync(victim, join(where, name));
        expect(await refusal(where)).toContain(`${join(where, name)} is a symlink`);
        expect(statSync(victim).mode & 0o777).toBe(0o644);
        expect(readFileSync(victim, "utf8")).toBe("victim content");
      }
      const where = dir();
      mkdirSync(where, { mode: 0o700 });
      writeFileSync(join(where, "runs.db"), "");
      chownSync(join(where, "runs.db"), 65534, 65534);
      expect(await refusal(where)).toContain(`${join(where, "runs.db")} is owned by uid 65534`);
    });
  });

  test("a state written by the single-runner schema (version 1) is migrated, its runs kept", async () => {
    const v1 = mkdtempSync(join(root, "v1-"));
    const old = platform.openSqlite(join(v1, "runs.db"));
    old.exec(`CREATE TABLE runs (run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, dispatch TEXT NOT NULL, status TEXT NOT NULL, workflow TEXT NOT NULL, stack TEXT,
      created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, exit_code INTEGER, error TEXT, callback TEXT);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '1');`);
    old.run("INSERT INTO runs (run_id, seq, dispatch, status, workflow, stack, created_at) VALUES ('old-running', 1, ?, 'running', 'deploy', 'dev', 'x')", JSON.stringify(dispatch("old-running")));
    old.run("INSERT INTO runs (run_id, seq, dispatch, status, workflow, stack, created_at) VALUES ('old-queued', 2, ?, 'queued', 'deploy', 'prod', 'x')", JSON.stringify(dispatch("old-queued", "prod")));
    old.close();
    const store = await SqlRunStore.openSqlite(v1);
    try {
      expect((await store.takeOverLost("new", LEASE)).map((r) => r.state.runId)).toEqual(["old-running"]);
      await admit(store, "new-queued", "test");
      expect((await store.claim("new", LEASE))?.state.runId).toBe("old-queued");
      expect((await store.claim("new", LEASE))?.state.runId).toBe("new-queued");
    } finally {
      await store.close();
    }
  });
});

describe("PostgreSQL only", () => {
  test("two runners claiming at once never run two runs of one stack, and each run is claimed once", async () => {
    const url = await postgres.database("claims");
    const [a, b] = await Promise.all([SqlRunStore.openPostgres(url), SqlRunStore.openPostgres(url)]);
    try {
      const stacks = ["s1", "s2", "s3"];
      for (let i = 0; i < 30; i++) await admit(a, `r${i}`, stacks[i % 3]!);
      const claimed: string[] = [];
      const overlaps: string[] = [];
      const busy = new Set<string>();
      // Each runner claims, holds the run a moment (other claims interleave), then finishes it.
      const worker = async (store: SqlRunStore, owner: string) => {
        for (;;) {
          const run = await store.claim(owner, LEASE);
          if (!run) {
            if ((await store.counts()).queued === 0) return;
            await Bun.sleep(1); // every queued run's stack is busy: the other runner is finishing one
            continue;
          }
          claimed.push(run.state.runId);
          const stack = run.state.stack!;
          if (busy.has(stack)) overlaps.push(`${run.state.runId} started while ${stack} ran`);
          busy.add(stack);
          await Bun.sleep(2);
          // Off the list before the store says so: until then no other claim can take this stack.
          busy.delete(stack);
          await store.finish(run.state.runId, owner, { status: "succeeded", exitCode: 0, error: null });
        }
      };
      await Promise.all([worker(a, "a1"), worker(a, "a2"), worker(b, "b1"), worker(b, "b2")]);
      expect(claimed.toSorted()).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`).toSorted());
      expect(overlaps).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("a wrong password is a StateError naming MUSTER_STATE_URL, without the password", async () => {
    const url = (await postgres.database("wrong")).replace(/:([^:@/]+)@/, ":not-the-password@");
    const error = await SqlRunStore.openPostgres(url).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toStartWith("MUSTER_STATE_URL: cannot connect to postgres://muster:…@127.0.0.1:");
    expect((error as Error).message).not.toContain("not-the-password");
  });
});

test("the SQLite store works the same under Deno (node:sqlite)", async () => {
  const proc = Bun.spawn([join(import.meta.dir, "../../node_modules/.bin/deno"), "run", "-A", "--no-check", join(import.meta.dir, "../../test/platform/run-store-probe.ts"), dir()], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
  expect(JSON.parse(out)).toEqual({ admitted: "admitted", claimed: "running", finished: true, found: "succeeded", runner: "probe" });
}, 30_000);
