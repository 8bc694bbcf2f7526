/**
 * What keeping runs in SQLite costs `muster serve`: admission throughput
 * (2,000 dispatches answered 202 while one run holds the only slot, 32 in
 * flight: each is committed before its answer) and dispatch-to-callback
 * time of a one-step workflow (median of 10, clone included). With
 * BASELINE_BIN=path, the same for that binary in the same run (a build
 * from before the store kept runs in memory only).
 *
 *   bun scripts/bench/serve-state.ts
 *   BASELINE_BIN=/tmp/muster-before bun scripts/bench/serve-state.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { musterBin, root } from "./lib.ts";

const TOKEN = "bench-token-0123456789abcdef";
const WORKFLOWS = "workflows:\n  slow:\n    steps:\n      - { type: shell, command: 'sleep 1000' }\n  hello:\n    steps:\n      - { type: shell, command: 'echo hi' }\n";

async function measure(): Promise<void> {
  const { startBenchRunner } = await import("./lib.ts");
  const dir = mkdtempSync(join(tmpdir(), "muster-bench-state-"));
  try {
    const { runner, callbacks, stop } = await startBenchRunner(dir, TOKEN, WORKFLOWS, { MUSTER_CONCURRENCY: "1", MUSTER_QUEUE_SIZE: "10000", MUSTER_SHUTDOWN_GRACE: "1s", TMPDIR: dir, MUSTER_STATE_DIR: join(dir, "state") });
    const dispatch = (body: Record<string, unknown>) =>
      fetch(`${runner.base}/dispatch`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ callbackUrl: callbacks.url(), ...body }) });
    // Dispatch to callback on an idle runner.
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await dispatch({ runId: `hello-${i}`, workflow: "hello" });
      await callbacks.waitFor(`hello-${i}`);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    // Admission: the slot is held, every dispatch queues.
    await dispatch({ runId: "hold", workflow: "slow" });
    const count = 2000;
    const started = performance.now();
    let accepted = 0;
    for (let i = 0; i < count; i += 32) {
      const statuses = await Promise.all(Array.from({ length: Math.min(32, count - i) }, (_, j) => dispatch({ runId: `q-${i + j}`, workflow: "hello" }).then(async (r) => (await r.body?.cancel(), r.status))));
      accepted += statuses.filter((s) => s === 202).length;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`  dispatch -> callback (one step, median of 10)   ${latencies[5]!.toFixed(0)} ms (min ${latencies[0]!.toFixed(0)}, max ${latencies[9]!.toFixed(0)})`);
    console.log(`  admission, 2,000 queued dispatches              ${(accepted / seconds).toFixed(0)} per second (${accepted} answered 202)`);
    await stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--one")) await measure();
else {
  const bins: Array<[string, string]> = [["muster", musterBin]];
  if (process.env.BASELINE_BIN) bins.push(["baseline", process.env.BASELINE_BIN]);
  for (const [name, bin] of bins) {
    console.log(`${name} (${bin})`);
    const child = Bun.spawn([process.execPath, join(root, "scripts/bench/serve-state.ts"), "--one"], { env: { ...process.env, MUSTER_BIN: bin }, stdout: "inherit", stderr: "inherit" });
    await child.exited;
  }
}
