/**
 * Readiness and teardown of container services (needs scripts/setup-docker.sh):
 *  1. time from the engine's `health_status: healthy` event to the start of
 *     the next step, over 20 runs, next to what users write today: a shell
 *     loop polling `docker inspect` every second;
 *  2. the time muster takes to tear down 5 running services.
 *
 *   bun scripts/bench/readiness.ts [runs]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { musterBin } from "./lib.ts";

const IMAGE = "muster-test/busybox:1";
const runs = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
const HEALTH = `["CMD-SHELL", "test -f /tmp/up"]`;
const SERVICE_CMD = `trap 'exit 0' TERM; (sleep 0.5; touch /tmp/up) & sleep 600 & wait`;

/** Collects healthy events (container name -> engine time in ns) while running. */
function watchHealthy(): { stop: () => void; times: Map<string, bigint> } {
  const times = new Map<string, bigint>();
  const proc = Bun.spawn(["docker", "events", "--filter", "event=health_status", "--format", "{{.Actor.Attributes.name}} {{.Status}} {{.TimeNano}}"], { stdout: "pipe" });
  (async () => {
    let buffered = "";
    const reader = proc.stdout.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      buffered += new TextDecoder().decode(next.value);
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const [name, , status, nano] = buffered.slice(0, nl).split(" ");
        buffered = buffered.slice(nl + 1);
        if (status === "healthy" && name && nano) times.set(name, BigInt(nano));
      }
    }
  })();
  return { stop: () => proc.kill(), times };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (ns: bigint) => Number(ns) / 1e6;

try {
  const watcher = watchHealthy();
  await Bun.sleep(300);
  const muster: number[] = [];
  const polling: number[] = [];
  for (let i = 0; i < runs; i++) {
    const marker = join(dir, `started-${i}`);
    writeFileSync(join(dir, "ready.yaml"), `workflows:
  ready:
    steps:
      - name: svc${i}
        type: container
        background: true
        with:
          image: ${IMAGE}
          command: ["sh", "-c", "${SERVICE_CMD}"]
          healthcheck: { test: ${HEALTH}, interval: 100ms, retries: 100 }
      - { name: next, type: shell, command: "date +%s%N > ${marker}" }
`);
    const proc = Bun.spawn([musterBin, "workflow", "ready", "-f", join(dir, "ready.yaml"), "-q"], { stdout: "ignore", stderr: "pipe" });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`muster exited ${code}: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(100);
    const container = [...watcher.times.keys()].find((k) => k.endsWith(`-svc${i}`));
    const healthy = container ? watcher.times.get(container)! : undefined;
    if (healthy) muster.push(ms(BigInt(readFileSync(marker, "utf8").trim()) - healthy));

    // What users write today: docker run, then poll docker inspect every second.
    const name = `muster-bench-poll-${i}`;
    const script = `docker run -d --name ${name} --health-cmd 'test -f /tmp/up' --health-interval 100ms --health-retries 100 ${IMAGE} sh -c "${SERVICE_CMD}" >/dev/null
until [ "$(docker inspect -f '{{.State.Health.Status}}' ${name})" = healthy ]; do sleep 1; done
date +%s%N > ${marker}-poll
docker rm -f ${name} >/dev/null`;
    await Bun.spawn(["sh", "-c", script]).exited;
    await Bun.sleep(100);
    const pollHealthy = watcher.times.get(name);
    if (pollHealthy) polling.push(ms(BigInt(readFileSync(`${marker}-poll`, "utf8").trim()) - pollHealthy));
  }
  watcher.stop();
  console.log(`healthy event -> next step starts (median of ${muster.length} / ${polling.length} runs)`);
  console.log(`  muster (events stream)          ${median(muster).toFixed(1)} ms   (max ${Math.max(...muster).toFixed(1)} ms)`);
  console.log(`  shell loop, docker inspect + 1s ${median(polling).toFixed(1)} ms   (max ${Math.max(...polling).toFixed(1)} ms)`);
  console.log(`  ratio                           ${(median(polling) / median(muster)).toFixed(0)}x sooner with muster`);

  // Teardown of five running services.
  const services = Array.from({ length: 5 }, (_, i) => `      - name: s${i}
        type: container
        background: true
        with: { image: ${IMAGE}, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"] }`).join("\n");
  writeFileSync(join(dir, "teardown.yaml"), `workflows:\n  five:\n    steps:\n${services}\n      - type: wait-all\n`);
  const teardowns: number[] = [];
  for (let i = 0; i < 5; i++) {
    const proc = Bun.spawn([musterBin, "workflow", "five", "-f", join(dir, "teardown.yaml")], { stdout: "ignore", stderr: "pipe" });
    const stderr = await new Response(proc.stderr).text();
    await proc.exited;
    const match = stderr.match(/tore down 5 containers in ([\d.]+)(ms|s)/);
    if (match) teardowns.push(Number(match[1]) * (match[2] === "s" ? 1000 : 1));
  }
  console.log(`tear down 5 running services (median of ${teardowns.length})`);
  console.log(`  muster (parallel stop + remove) ${median(teardowns).toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
