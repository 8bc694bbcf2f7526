/**
 * What keeping runs in a store costs `muster serve`, side by side in one run:
 * SQLite (one runner), PostgreSQL with two replicas on one database (a
 * throw-away cluster, as the tests start), and, with BASELINE_BIN=path, a
 * build from before the store (runs in memory only: commit c27e971).
 *
 * - admission: 2,000 dispatches answered 202 while every slot is held, 32
 *   in flight (each committed before its answer); with replicas, sent to
 *   both in turn;
 * - dispatch -> start: until the runner logs "run started" (median of 10,
 *   idle runner); with replicas also when the replica that got the
 *   dispatch is full and the other one claims it at its poll;
 * - dispatch -> callback of a one-step workflow (median of 10, clone included).
 *
 *   bun scripts/bench/serve-state.ts
 *   BASELINE_BIN=/tmp/muster-in-memory bun scripts/bench/serve-state.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { musterBin } from "./lib.ts";

const TOKEN = "bench-token-0123456789abcdef";
const WORKFLOWS = "workflows:\n  slow:\n    steps:\n      - { type: shell, command: 'sleep 1000' }\n  hello:\n    steps:\n      - { type: shell, command: 'echo hi' }\n";
type Runner = Awaited<ReturnType<typeof import("../../test/serve-fixtures.ts").startRunner>>;

const medianOf = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** When `runner` logged "run started" for `runId` (performance.now()). */
async function startedAt(runner: Runner, runId: string): Promise<number> {
  for (;;) {
    const at = runner.lines.findIndex((l) => l.msg === "run started" && l.runId === runId);
    if (at >= 0) return runner.arrivals[at]!;
    await Bun.sleep(1);
  }
}

async function measure(label: string, replicas: 1 | 2, env: (dir: string) => Promise<Record<string, string>>, cleanup: () => Promise<void> = async () => {}): Promise<void> {
  const { makeRepository, startCallbackReceiver, startGitHttps, startRunner } = await import("../../test/serve-fixtures.ts");
  const dir = mkdtempSync(join(tmpdir(), "muster-bench-state-"));
  const https = await startGitHttps(join(dir, "https"), dir);
  const callbacks = startCallbackReceiver();
  const runners: Runner[] = [];
  try {
    const bare = makeRepository(dir, { "workflows.yaml": WORKFLOWS });
    const extra = await env(dir);
    for (let i = 0; i < replicas; i++) {
      runners.push(await startRunner({
        RUNNER_AUTH_TOKEN: TOKEN, ATMOS_REPO_URL: `https://127.0.0.1:${https.port}/${bare.split("/").pop()}`, MUSTER_GIT_CA_FILE: https.caFile,
        MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1", MUSTER_CONCURRENCY: "1", MUSTER_QUEUE_SIZE: "10000", MUSTER_SHUTDOWN_GRACE: "1s", TMPDIR: dir,
        MUSTER_RUNNER_ID: `bench-${i}`, ...extra,
      }));
    }
    const [a, b] = runners as [Runner, Runner | undefined];
    const dispatch = (to: Runner, body: Record<string, unknown>) =>
      fetch(`${to.base}/dispatch`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ callbackUrl: callbacks.url(), ...body }) });
    const toStart: number[] = [];
    const toCallback: number[] = [];
    for (let i = 0; i < 10; i++) {
      const sent = performance.now();
      await dispatch(a, { runId: `hello-${i}`, workflow: "hello" });
      toStart.push((await startedAt(a, `hello-${i}`)) - sent);
      await callbacks.waitFor(`hello-${i}`);
      toCallback.push(performance.now() - sent);
    }
    const lines = [
      `  dispatch -> start (idle runner, median of 10)            ${medianOf(toStart).toFixed(1)} ms`,
      `  dispatch -> callback (one step, median of 10)           ${medianOf(toCallback).toFixed(0)} ms`,
    ];
    await dispatch(a, { runId: "hold-0", workflow: "slow" });
    await startedAt(a, "hold-0");
    if (b) {
      // a is full: the other replica claims what a admitted, at its next poll.
      const across: number[] = [];
      for (let i = 0; i < 10; i++) {
        const sent = performance.now();
        await dispatch(a, { runId: `across-${i}`, workflow: "hello" });
        across.push((await startedAt(b, `across-${i}`)) - sent);
        await callbacks.waitFor(`across-${i}`);
      }
      lines.push(`  dispatch -> start on the other replica (median of 10)  ${medianOf(across).toFixed(0)} ms (poll every 500 ms)`);
      await dispatch(b, { runId: "hold-1", workflow: "slow" });
      await startedAt(b, "hold-1");
    }
    const count = 2000;
    const started = performance.now();
    let accepted = 0;
    for (let i = 0; i < count; i += 32) {
      const statuses = await Promise.all(Array.from({ length: Math.min(32, count - i) }, (_, j) => dispatch(runners[(i + j) % replicas]!, { runId: `q-${i + j}`, workflow: "hello" }).then(async (r) => (await r.body?.cancel(), r.status))));
      accepted += statuses.filter((s) => s === 202).length;
    }
    const seconds = (performance.now() - started) / 1000;
    lines.push(`  admission, 2,000 queued dispatches                      ${(accepted / seconds).toFixed(0)} per second (${accepted} answered 202)`);
    console.log(`${label}\n${lines.join("\n")}`);
  } finally {
    for (const r of runners) r.proc.kill("SIGKILL");
    await Promise.all(runners.map((r) => r.proc.exited));
    https.stop();
    callbacks.stop();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const which = process.argv[process.argv.indexOf("--one") + 1];
if (which === "memory") await measure(`in memory (${musterBin})`, 1, async () => ({}));
else if (which === "sqlite") await measure("SQLite, one runner", 1, async (dir) => ({ MUSTER_STATE_DIR: join(dir, "state") }));
else if (which === "postgres") {
  const { startPostgres } = await import("../../test/postgres.ts");
  const postgres = await startPostgres();
  await measure("PostgreSQL, two replicas", 2, async () => ({ MUSTER_STATE_URL: await postgres.database("bench") }), () => postgres.stop());
} else {
  // Each in a process of its own: the binary under test is fixed when the test fixtures load (MUSTER_BIN).
  const runs: Array<[string, string]> = [["sqlite", musterBin], ["postgres", musterBin]];
  if (process.env.BASELINE_BIN) runs.unshift(["memory", process.env.BASELINE_BIN]);
  for (const [name, bin] of runs) {
    const child = Bun.spawn([process.execPath, import.meta.path, "--one", name], { env: { ...process.env, MUSTER_BIN: bin }, stdout: "inherit", stderr: "inherit" });
    if ((await child.exited) !== 0) process.exitCode = 1;
  }
}
