/**
 * A same-stack burst against the dispatch runner (security review H4):
 * 20,000 dispatches of about 60 KB each for one stack, while its first run
 * holds the stack. Prints the answers by status and the runner's resident
 * memory before and after: the queue bound must hold (429s) and memory
 * must stay flat.
 *
 *   bun scripts/bench/serve-flood.ts [count]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBenchRunner } from "./lib.ts";

const count = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-flood-"));
const TOKEN = "bench-token-0123456789abcdef";
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

try {
  const { runner, callbacks, stop } = await startBenchRunner(dir, TOKEN, "workflows:\n  slow:\n    steps:\n      - { type: shell, command: 'sleep 1000' }\n", {
    MUSTER_CONCURRENCY: "2",
    MUSTER_QUEUE_SIZE: "32",
    MUSTER_SHUTDOWN_GRACE: "1s",
    TMPDIR: dir,
  });
  const vars = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`v${i}`, "x".repeat(4000)]));
  const dispatch = (i: number) =>
    fetch(`${runner.base}/dispatch`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ runId: `flood-${i}`, workflow: "slow", stack: "prod", vars, callbackUrl: callbacks.url() }),
    }).then(async (r) => (await r.body?.cancel(), r.status));
  const before = rssMiB(runner.proc.pid);
  const statuses = new Map<number, number>();
  const started = performance.now();
  const checkpoints: string[] = [];
  for (let i = 0; i < count; i += 64) {
    for (const status of await Promise.all(Array.from({ length: Math.min(64, count - i) }, (_, j) => dispatch(i + j)))) {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    // Resident memory as the burst goes on: a bound that holds shows a plateau, not a slope.
    if ((i / 64) % 78 === 77) checkpoints.push(`${i + 64}: ${rssMiB(runner.proc.pid).toFixed(0)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = rssMiB(runner.proc.pid);
  const depth = /muster_queue_depth (\d+)/.exec(await (await fetch(`${runner.base}/metrics`)).text())?.[1];
  console.log(`${count} same-stack dispatches of ~60 KB in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)}/s)`);
  console.log(`answers: ${[...statuses].map(([s, n]) => `${n} x ${s}`).join(", ")}; queue depth ${depth}`);
  console.log(`runner RSS: ${before.toFixed(1)} MiB before, ${after.toFixed(1)} MiB after; along the way (dispatches: MiB) ${checkpoints.join(", ")}`);
  await stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
