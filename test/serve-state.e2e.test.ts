/**
 * End-to-end: `muster serve` keeps its runs in its state directory (SQLite),
 * so that they outlive the process. Real runner processes, killed with -9
 * and started again on the same state; a real git server (HTTPS) and a
 * real callback receiver, all on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { eventually, processesMatching, tempDir, tagged } from "./helpers.ts";
import { httpsRunnerEnv, makeRepository, startCallbackReceiver, startGitHttps, startRunner, stopServeSuite } from "./serve-fixtures.ts";

const TOKEN = "runner-token-state-4f1c2b9e7d5a";
const tmp = tempDir("muster-serve-state-test-");
const WORKFLOWS = `workflows:
  hello:
    steps:
      - { name: greet, type: shell, command: "echo hello" }
  slow:
    steps:
      - { name: wait, type: shell, command: "sleep {{ .vars.seconds }}" }
`;
let https: Awaited<ReturnType<typeof startGitHttps>>;
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];

beforeAll(async () => {
  makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS });
  https = await startGitHttps(join(tmp.path, "https"), tmp.path);
});
afterAll(() => stopServeSuite({ runners, https, callbacks, tmp }), 30_000);

/** A runner on `state`, cloning the test repository over HTTPS. */
async function runner(state: string, env: Record<string, string> = {}) {
  const r = await startRunner({
    ...httpsRunnerEnv(TOKEN, https, join(tmp.path, "runner-tmp")),
    MUSTER_STATE_DIR: state,
    ...env,
  });
  runners.push(r);
  return r;
}
Bun.spawnSync(["mkdir", "-p", join(tmp.path, "runner-tmp")]);

let seq = 0;
const newRunId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;
const dispatch = (base: string, body: unknown) =>
  fetch(`${base}/dispatch`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
const status = async (base: string, runId: string) => (await (await fetch(`${base}/runs/${runId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>;

describe("runs outlive the runner", () => {
  test("killed -9 mid-run and started again on its state: the run is reported lost, its runId remembered, the queued run runs", async () => {
    const state = join(tmp.path, "state-kill");
    const first = await runner(state, { MUSTER_CONCURRENCY: "1" });
    expect(first.port).toBeGreaterThan(0);
    const lost = newRunId("lost");
    const waiting = newRunId("waiting");
    expect((await dispatch(first.base, { runId: lost, workflow: "slow", vars: { seconds: tagged(1051) }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1051)}`)).length > 0, 15_000)).toBe(true);
    const queued = await dispatch(first.base, { runId: waiting, workflow: "hello", callbackUrl: callbacks.url() });
    expect(await queued.json()).toEqual({ runId: waiting, status: "queued" });
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    // The runner's watchdog takes the run's processes with it.
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1051)}`)).length === 0, 10_000)).toBe(true);
    expect(callbacks.received.some((c) => c.body.runId === lost)).toBe(false);

    const second = await runner(state, { MUSTER_CONCURRENCY: "1" });
    expect(second.port).toBeGreaterThan(0);
    expect(await callbacks.waitFor(lost)).toMatchObject({ runId: lost, status: "failed", exitCode: null, error: "runner lost while running" });
    expect(await callbacks.waitFor(waiting)).toMatchObject({ runId: waiting, status: "succeeded", exitCode: 0 });
    expect(second.lines.find((l) => l.msg === "took up the runs of the previous runner")).toMatchObject({ lost: 1, requeued: 1 });
    // The runId is remembered: a retried dispatch gets the stored run and starts nothing; another request under it is a conflict.
    const retried = await dispatch(second.base, { runId: lost, workflow: "slow", vars: { seconds: tagged(1051) }, callbackUrl: callbacks.url() });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ runId: lost, status: "failed", error: "runner lost while running" });
    expect((await dispatch(second.base, { runId: lost, workflow: "hello", callbackUrl: callbacks.url() })).status).toBe(409);
    expect(await status(second.base, lost)).toMatchObject({ status: "failed", callback: { delivered: true } });
    expect(callbacks.received.filter((c) => c.body.runId === lost).length).toBe(1);
    expect(second.lines.filter((l) => l.msg === "run started" && l.runId === lost)).toEqual([]);
  });

  test("a graceful stop leaves queued runs queued, and the next runner on the state runs them; finished runs are remembered", async () => {
    const state = join(tmp.path, "state-drain");
    const first = await runner(state, { MUSTER_CONCURRENCY: "1", MUSTER_SHUTDOWN_GRACE: "30s" });
    const running = newRunId("running");
    const waiting = newRunId("waiting");
    await dispatch(first.base, { runId: running, workflow: "slow", vars: { seconds: "1" }, callbackUrl: callbacks.url() });
    expect(await eventually(() => first.lines.some((l) => l.msg === "run started" && l.runId === running), 15_000)).toBe(true);
    expect((await dispatch(first.base, { runId: waiting, workflow: "hello", callbackUrl: callbacks.url() })).status).toBe(202);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
    expect(await callbacks.waitFor(running)).toMatchObject({ status: "succeeded" });
    expect(first.lines.some((l) => l.msg === "run started" && l.runId === waiting)).toBe(false);
    expect(callbacks.received.some((c) => c.body.runId === waiting)).toBe(false);

    const second = await runner(state);
    expect(await callbacks.waitFor(waiting)).toMatchObject({ status: "succeeded" });
    const again = await dispatch(second.base, { runId: running, workflow: "slow", vars: { seconds: "1" }, callbackUrl: callbacks.url() });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "succeeded", exitCode: 0 });
  });

  test("a final state whose callback was never delivered (the runner died retrying it) is called back at the next start", async () => {
    let answer = 503;
    const flaky = startCallbackReceiver(() => answer);
    try {
      const state = join(tmp.path, "state-redeliver");
      const first = await runner(state, { MUSTER_CALLBACK_ATTEMPTS: "20", MUSTER_CALLBACK_BASE_DELAY_MS: "2000" });
      const id = newRunId("redeliver");
      await dispatch(first.base, { runId: id, workflow: "hello", callbackUrl: flaky.url() });
      // The first attempt was refused; the runner is waiting to retry when it is killed.
      expect(await flaky.waitFor(id)).toMatchObject({ status: "succeeded" });
      first.proc.kill("SIGKILL");
      await first.proc.exited;
      const refused = flaky.received.length;
      answer = 200;
      const second = await expectRedelivered(state, flaky, refused, id);
      expect(await status(second.base, id)).toMatchObject({ status: "succeeded", callback: { delivered: true } });
    } finally {
      flaky.stop();
    }
  });

  /** Starts the next runner on `state` and expects it to send run `id`'s undelivered callback, once, as its first act. */
  async function expectRedelivered(state: string, flaky: ReturnType<typeof startCallbackReceiver>, refused: number, id: string) {
    const second = await runner(state);
    expect(await eventually(() => flaky.received.length > refused, 15_000)).toBe(true);
    expect(flaky.received.at(-1)!.body).toMatchObject({ runId: id, status: "succeeded", exitCode: 0 });
    expect(second.lines.find((l) => l.msg === "took up the runs of the previous runner")).toMatchObject({ redelivered: 1 });
    return second;
  }

  test("a callback abandoned at shutdown (its retries stopped by MUSTER_CALLBACK_BUDGET) is sent at the next start", async () => {
    let answer = 503;
    const flaky = startCallbackReceiver(() => answer);
    try {
      const state = join(tmp.path, "state-abandoned");
      const first = await runner(state, { MUSTER_CALLBACK_ATTEMPTS: "20", MUSTER_CALLBACK_BASE_DELAY_MS: "60000", MUSTER_SHUTDOWN_GRACE: "1s", MUSTER_CALLBACK_BUDGET: "1s" });
      const id = newRunId("abandoned");
      await dispatch(first.base, { runId: id, workflow: "hello", callbackUrl: flaky.url() });
      expect(await flaky.waitFor(id)).toMatchObject({ status: "succeeded" });
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);
      await first.done;
      expect(first.lines.find((l) => l.msg === "callback left for the next start: shutdown stopped its retries")).toMatchObject({ runId: id });
      const refused = flaky.received.length;
      answer = 200;
      await expectRedelivered(state, flaky, refused, id);
    } finally {
      flaky.stop();
    }
  });

  test("a state URL's password never shows: malformed URLs, special characters, MUSTER_STATE_URL_FILE names the file", async () => {
    for (const password of ["pa/ss@w:rd%-SECRET-71", "p@ss-SECRET-72", "plain-SECRET-73"]) {
      const r = await runner(join(tmp.path, "state-unused"), { MUSTER_STATE_URL: `postgres://muster:${password}@127.0.0.1:1/muster?sslpassword=SSL-SECRET-74` });
      expect(await r.proc.exited).toBe(2);
      await r.done;
      expect(r.log).toContain("muster serve: cannot keep runs: MUSTER_STATE_URL: cannot connect to postgres://muster:…@127.0.0.1:1/muster?sslpassword=…");
      expect(r.log).not.toContain("SECRET");
    }
    const file = join(tmp.path, "state-url");
    await Bun.write(file, "postgres://muster:file-SECRET-75@127.0.0.1:1/muster\n");
    const fromFile = await runner(join(tmp.path, "state-unused"), { MUSTER_STATE_URL_FILE: file });
    expect(await fromFile.proc.exited).toBe(2);
    await fromFile.done;
    expect(fromFile.log).toContain(`muster serve: cannot keep runs: MUSTER_STATE_URL_FILE: cannot connect to the URL in ${file}`);
    expect(fromFile.log).not.toContain("SECRET");
    const missing = await runner(join(tmp.path, "state-unused"), { MUSTER_STATE_URL_FILE: join(tmp.path, "no-such-file") });
    expect(await missing.proc.exited).toBe(2);
    await missing.done;
    expect(missing.log).toContain(`MUSTER_STATE_URL_FILE: cannot read ${join(tmp.path, "no-such-file")} (ENOENT)`);
  });

  test("a run's error carries muster's own reason (a workflow that does not exist), and the state keeps it", async () => {
    const r = await runner(join(tmp.path, "state-reason"));
    const id = newRunId("missing");
    await dispatch(r.base, { runId: id, workflow: "nope", callbackUrl: callbacks.url() });
    const body = await callbacks.waitFor(id);
    expect(body).toMatchObject({ status: "failed", exitCode: 2 });
    expect(body.error).toStartWith('workflow "nope" not found in');
    expect((await status(r.base, id)).error).toBe(body.error);
  });

  test("one runner per state: a second one on the same directory is refused at start, naming the variable", async () => {
    const state = join(tmp.path, "state-shared");
    const first = await runner(state);
    expect(first.port).toBeGreaterThan(0);
    const second = await runner(state);
    expect(await second.proc.exited).toBe(2);
    await second.done;
    expect(second.log).toContain(`muster serve: cannot keep runs: MUSTER_STATE_DIR: ${join(state, "runs.db.lock")} is held by the runner with pid ${first.proc.pid}`);
  });
});
