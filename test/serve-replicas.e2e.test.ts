/**
 * End-to-end: two `muster serve` replicas on one real PostgreSQL (a
 * throw-away cluster on 127.0.0.1), with a real git server (HTTPS) and a
 * real callback receiver. They accept a runId once, show and cancel each
 * other's runs, never run two runs of one stack at once, and when one is
 * killed -9 the other reports its run lost once its lease runs out and runs
 * what it had queued.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, processesMatching, tempDir, tagged } from "./helpers.ts";
import { startPostgres, type Postgres } from "./postgres.ts";
import { httpsRunnerEnv, makeRepository, startCallbackReceiver, startGitHttps, startRunner, stopServeSuite } from "./serve-fixtures.ts";

const TOKEN = "runner-token-replicas-8e21c4b7a9d3";
const tmp = tempDir("muster-serve-replicas-test-");
const WORKFLOWS = `workflows:
  hello:
    steps:
      - { name: greet, type: shell, command: "echo hello" }
  slow:
    steps:
      - { name: wait, type: shell, command: "sleep {{ .vars.seconds }}" }
  say:
    steps:
      - { name: say, type: shell, command: "echo said {{ .vars.text }}" }
  exclusive:
    steps:
      - { name: mark, type: shell, command: "echo start=$(date +%s%N); sleep 0.3; echo end=$(date +%s%N)" }
`;
let https: Awaited<ReturnType<typeof startGitHttps>>;
let postgres: Postgres;
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];

beforeAll(async () => {
  makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS });
  https = await startGitHttps(join(tmp.path, "https"), tmp.path);
  postgres = await startPostgres();
}, 60_000);
afterAll(() => stopServeSuite({ runners, postgres, https, callbacks, tmp }), 60_000);
Bun.spawnSync(["mkdir", "-p", join(tmp.path, "runner-tmp")]);

/** A replica named `id` (undefined: the default id) on the database at `url`; `prefix` wraps it (unshare). */
async function replica(url: string, id: string | undefined, env: Record<string, string> = {}, prefix: string[] = []) {
  const r = await startRunner({
    ...httpsRunnerEnv(TOKEN, https, join(tmp.path, "runner-tmp")),
    MUSTER_STATE_URL: url,
    ...(id === undefined ? {} : { MUSTER_RUNNER_ID: id }),
    MUSTER_LEASE_TTL: "3s",
    MUSTER_POLL_INTERVAL: "200ms",
    ...env,
  }, { prefix });
  runners.push(r);
  if (r.port === 0) throw new Error(`replica ${id} did not start: ${r.log}`);
  return r;
}

let seq = 0;
const newRunId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;
const auth = { authorization: `Bearer ${TOKEN}` };
const dispatch = (base: string, body: unknown) => fetch(`${base}/dispatch`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
const status = async (base: string, runId: string) => (await (await fetch(`${base}/runs/${runId}`, { headers: auth })).json()) as Record<string, unknown>;
const callbacksFor = (runId: string) => callbacks.received.filter((c) => c.body.runId === runId);

describe("replicas on one PostgreSQL", () => {
  test("a runId dispatched to both at once is accepted once and run once; each shows the other's runs", async () => {
    const url = await postgres.database("once");
    const [a, b] = await Promise.all([replica(url, "replica-a"), replica(url, "replica-b")]);
    const ids = Array.from({ length: 5 }, () => newRunId("once"));
    for (const id of ids) {
      const body = { runId: id, workflow: "hello", callbackUrl: callbacks.url() };
      const answers = await Promise.all([dispatch(a.base, body), dispatch(b.base, body)]);
      expect(answers.map((r) => r.status).toSorted()).toEqual([200, 202]);
    }
    for (const id of ids) expect(await callbacks.waitFor(id)).toMatchObject({ status: "succeeded", exitCode: 0 });
    for (const id of ids) {
      expect(callbacksFor(id).length).toBe(1);
      const started = [...a.lines, ...b.lines].filter((l) => l.msg === "run started" && l.runId === id);
      expect(started.length).toBe(1);
      // Either replica answers for any run, with who ran it.
      const [fromA, fromB] = [await status(a.base, id), await status(b.base, id)];
      expect(fromA).toEqual(fromB);
      expect(fromA).toMatchObject({ status: "succeeded", callback: { delivered: true } });
      expect(["replica-a", "replica-b"]).toContain(fromA.runner as string);
    }
    expect(await (await fetch(`${a.base}/metrics`, { headers: auth })).text()).toContain("muster_queue_depth 0");
  });

  test("a cancel sent to the replica that is not running the run reaches the one that is", async () => {
    const url = await postgres.database("cancel");
    const a = await replica(url, "cancel-a");
    const id = newRunId("cancel");
    expect((await dispatch(a.base, { runId: id, workflow: "slow", vars: { seconds: tagged(1063) }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1063)}`)).length > 0, 15_000)).toBe(true);
    const b = await replica(url, "cancel-b");
    expect(await status(b.base, id)).toMatchObject({ status: "running", runner: "cancel-a" });
    const canceled = await fetch(`${b.base}/runs/${id}/cancel`, { method: "POST", headers: auth });
    expect(canceled.status).toBe(202);
    expect(await canceled.json()).toMatchObject({ runId: id, status: "running" });
    expect(await callbacks.waitFor(id)).toMatchObject({ status: "canceled", error: "canceled by request" });
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1063)}`)).length === 0, 10_000)).toBe(true);
    expect(a.lines.some((l) => l.msg === "run finished" && l.runId === id && l.status === "canceled")).toBe(true);
    expect(callbacksFor(id).length).toBe(1);
    // Final: a second cancel, on either replica, is a conflict.
    expect((await fetch(`${a.base}/runs/${id}/cancel`, { method: "POST", headers: auth })).status).toBe(409);
  });

  test("runs of one stack never overlap across replicas; other stacks run alongside", async () => {
    const url = await postgres.database("stacks");
    const [a, b] = await Promise.all([replica(url, "stacks-a", { MUSTER_CONCURRENCY: "2" }), replica(url, "stacks-b", { MUSTER_CONCURRENCY: "2" })]);
    const ids = Array.from({ length: 6 }, () => newRunId("prod"));
    const others = Array.from({ length: 2 }, () => newRunId("dev"));
    for (const [i, id] of ids.entries()) {
      expect((await dispatch(i % 2 ? b.base : a.base, { runId: id, workflow: "exclusive", stack: "prod", vars: { id }, callbackUrl: callbacks.url() })).status).toBe(202);
    }
    for (const id of others) expect((await dispatch(b.base, { runId: id, workflow: "hello", stack: "dev", callbackUrl: callbacks.url() })).status).toBe(202);
    for (const id of [...ids, ...others]) expect(await callbacks.waitFor(id)).toMatchObject({ status: "succeeded" });
    // Each run prints when it started and ended (runs are sandboxed: they cannot write a shared host file).
    const spans = await Promise.all(ids.map(async (id) => {
      const tail = String((await callbacks.waitFor(id)).logTail);
      return { id, start: BigInt(/start=(\d+)/.exec(tail)![1]!), end: BigInt(/end=(\d+)/.exec(tail)![1]!) };
    }));
    const byStart = [...spans].sort((x, y) => (x.start < y.start ? -1 : 1));
    // Never a start between a start and its end.
    for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.start >= byStart[i - 1]!.end).toBe(true);
    // Dispatched in order to one queue: they ran in that order, whichever replica took each.
    expect(byStart.map((x) => x.id)).toEqual(ids);
  });

  test("a replica killed -9 mid-run: the other reports the run lost once its lease runs out, once, and runs what was queued behind it", async () => {
    const url = await postgres.database("killed");
    const a = await replica(url, "killed-a", { MUSTER_CONCURRENCY: "1" });
    const lost = newRunId("lost");
    const behind = newRunId("behind");
    expect((await dispatch(a.base, { runId: lost, workflow: "slow", stack: "prod", vars: { seconds: tagged(1071) }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1071)}`)).length > 0, 15_000)).toBe(true);
    expect((await dispatch(a.base, { runId: behind, workflow: "hello", stack: "prod", callbackUrl: callbacks.url() })).status).toBe(202);
    const b = await replica(url, "killed-b");
    expect(await status(b.base, lost)).toMatchObject({ status: "running", runner: "killed-a" });
    expect(await status(b.base, behind)).toMatchObject({ status: "queued" });
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1071)}`)).length === 0, 10_000)).toBe(true);

    expect(await callbacks.waitFor(lost)).toMatchObject({ runId: lost, status: "failed", exitCode: null, error: "runner lost while running" });
    expect(await callbacks.waitFor(behind)).toMatchObject({ status: "succeeded" });
    expect(await status(b.base, lost)).toMatchObject({ status: "failed", runner: "killed-b", callback: { delivered: true } });
    expect(await status(b.base, behind)).toMatchObject({ status: "succeeded", runner: "killed-b" });
    expect(b.lines.some((l) => l.msg === "run lost: its runner stopped while it ran" && l.runId === lost)).toBe(true);
    // The runId is still known: a retry gets the stored run.
    const retried = await dispatch(b.base, { runId: lost, workflow: "slow", stack: "prod", vars: { seconds: tagged(1071) }, callbackUrl: callbacks.url() });
    expect(retried.status).toBe(200);
    expect(callbacksFor(lost).length).toBe(1);
  });

  test("a replica frozen past its lease comes back to find its run taken over: it stops the run and reports nothing, so one callback goes out", async () => {
    const url = await postgres.database("frozen");
    const a = await replica(url, "frozen-a");
    const b = await replica(url, "frozen-b");
    const id = newRunId("frozen");
    expect((await dispatch(a.base, { runId: id, workflow: "slow", vars: { seconds: tagged(1077) }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1077)}`)).length > 0, 15_000)).toBe(true);
    expect(await status(b.base, id)).toMatchObject({ runner: "frozen-a" });
    // A stopped process renews nothing (a long pause, a partition): b reports the run once the lease runs out.
    a.proc.kill("SIGSTOP");
    try {
      expect(await callbacks.waitFor(id)).toMatchObject({ status: "failed", error: "runner lost while running" });
    } finally {
      a.proc.kill("SIGCONT");
    }
    expect(await eventually(() => a.lines.some((l) => l.msg === "run result not reported: another runner took the run over" && l.runId === id), 15_000)).toBe(true);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1077)}`)).length === 0, 10_000)).toBe(true);
    expect(callbacksFor(id).length).toBe(1);
    expect(await status(a.base, id)).toMatchObject({ status: "failed", runner: "frozen-b", error: "runner lost while running" });
  });

  test("two replicas with the default runner id, each pid 1 in its own PID namespace (host-network containers of one image), take over each other's lost runs", async () => {
    const url = await postgres.database("defaultid");
    // pid 1 in both: the old default id (hostname-pid) was the same for the two, and the live one renewed the dead one's leases.
    const ns = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"];
    const a = await replica(url, undefined, { MUSTER_CONCURRENCY: "1" }, ns);
    const b = await replica(url, undefined, {}, ns);
    const idOf = (r: typeof a) => r.lines.find((l) => l.msg === "listening")!.runner as string;
    expect(idOf(a)).toMatch(/-[0-9a-f]{12}$/);
    expect(idOf(a)).not.toBe(idOf(b));
    const lost = newRunId("default-lost");
    const behind = newRunId("default-behind");
    expect((await dispatch(a.base, { runId: lost, workflow: "slow", stack: "prod", vars: { seconds: "1083" }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await eventually(async () => (await processesMatching("sleep 1083")).length > 0, 15_000)).toBe(true);
    expect(await status(b.base, lost)).toMatchObject({ status: "running", runner: idOf(a) });
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    expect((await dispatch(b.base, { runId: behind, workflow: "hello", stack: "prod", callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await callbacks.waitFor(lost)).toMatchObject({ runId: lost, status: "failed", error: "runner lost while running" });
    expect(await callbacks.waitFor(behind)).toMatchObject({ status: "succeeded" });
    expect(await status(b.base, lost)).toMatchObject({ status: "failed", runner: idOf(b) });
  });

  test("a second live replica under a runner id already in use is refused at start, naming MUSTER_RUNNER_ID; a graceful stop frees the id", async () => {
    const url = await postgres.database("dupid");
    const a = await replica(url, "vm-7");
    const twin = await startRunner({ ...httpsRunnerEnv(TOKEN, https, join(tmp.path, "runner-tmp")), MUSTER_STATE_URL: url, MUSTER_RUNNER_ID: "vm-7", MUSTER_LEASE_TTL: "3s" });
    runners.push(twin);
    expect(await twin.proc.exited).toBe(2);
    await twin.done;
    expect(twin.log).toContain('muster serve: cannot keep runs: MUSTER_RUNNER_ID: "vm-7" is the id of a live replica on this store');
    expect(twin.log).toContain("Give each replica its own MUSTER_RUNNER_ID, or leave it unset");
    a.proc.kill("SIGTERM");
    expect(await a.proc.exited).toBe(0);
    const next = await replica(url, "vm-7");
    expect(next.lines.find((l) => l.msg === "listening")).toMatchObject({ runner: "vm-7" });
  });

  test("the URL from MUSTER_STATE_URL_FILE: the listening line names the file; the password is masked in a run's output and callback", async () => {
    const url = await postgres.database("fromfile");
    const password = decodeURIComponent(new URL(url).password);
    const file = join(tmp.path, "state-url-file");
    await Bun.write(file, `${url}\n`);
    const r = await startRunner({ ...httpsRunnerEnv(TOKEN, https, join(tmp.path, "runner-tmp")), MUSTER_STATE_URL_FILE: file, MUSTER_LEASE_TTL: "3s" });
    runners.push(r);
    expect(r.lines.find((l) => l.msg === "listening")).toMatchObject({ state: `the URL in ${file}` });
    const id = newRunId("masked");
    expect((await dispatch(r.base, { runId: id, workflow: "say", vars: { text: password }, callbackUrl: callbacks.url() })).status).toBe(202);
    const body = await callbacks.waitFor(id);
    expect(body).toMatchObject({ status: "succeeded" });
    expect(body.logTail).toContain("said [redacted]");
    expect(JSON.stringify(body)).not.toContain(password);
    expect(r.log).not.toContain(password);
  });
});
