/**
 * The dispatch runner under load, on loopback only:
 *  1. requests per second and p99 latency of `GET /healthz` and of rejected
 *     `POST /dispatch` requests (bad token), with wrk;
 *  2. time from dispatch to callback for a one-step workflow (clone over
 *     HTTPS from a local git http-backend, run, call back), median of 10.
 *
 *   bun scripts/bench/serve.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBenchRunner } from "./lib.ts";

const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
const TOKEN = "bench-token-0123456789abcdef";

function wrk(url: string, script?: string): { rps: number; p99: string } {
  const args = ["wrk", "-t2", "-c32", "-d5s", "--latency", ...(script ? ["-s", script] : []), url];
  const out = Bun.spawnSync(args).stdout.toString();
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN);
  const p99 = out.match(/\s99%\s+([\d.]+\w+)/)?.[1] ?? "?";
  return { rps, p99 };
}

try {
  const { runner, callbacks, stop } = await startBenchRunner(dir, TOKEN, "workflows:\n  one:\n    steps:\n      - { type: shell, command: 'echo done' }\n", { MUSTER_CONCURRENCY: "2" });
  const script = join(dir, "dispatch.lua");
  writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer wrong-token"\nwrk.body = '{"runId":"r","workflow":"one","callbackUrl":"https://example.com/cb"}'\n`);
  const health = wrk(`${runner.base}/healthz`);
  const rejected = wrk(`${runner.base}/dispatch`, script);
  console.log("wrk -t2 -c32 -d5s on 127.0.0.1");
  console.log(`  GET /healthz                 ${health.rps.toFixed(0)} req/s, p99 ${health.p99}`);
  console.log(`  POST /dispatch (401)         ${rejected.rps.toFixed(0)} req/s, p99 ${rejected.p99}`);

  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const runId = `bench-${i}-${Date.now()}`;
    const started = performance.now();
    const response = await fetch(`${runner.base}/dispatch`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ runId, workflow: "one", callbackUrl: callbacks.url() }),
    });
    if (response.status !== 202) throw new Error(`dispatch answered ${response.status}`);
    const body = await callbacks.waitFor(runId);
    if (body.status !== "succeeded") throw new Error(`run ${runId} ${body.status}: ${body.error}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log("dispatch -> callback, one-step workflow incl. clone over HTTPS (median of 10)");
  console.log(`  ${times[5]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[9]!.toFixed(0)})`);
  await stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
