/**
 * Building a small image: `muster workflow` with one `action: build` step
 * (the context packed by muster, sent over the Engine API) next to
 * `docker build` of the same context (the docker CLI, classic builder, as
 * the engine's API builds), whole processes, interleaved rounds, without
 * the cache (`no_cache` / `--no-cache`) and with it. Prints min / median /
 * max and the ratio of the medians. The images are removed at the end.
 *
 *   bun scripts/bench/build.ts             # 7 rounds
 *   ROUNDS=15 bun scripts/bench/build.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { musterBin } from "./lib.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-build-"));
const tag = `muster-bench/build-${process.pid}`;

function time(cmd: string[]): number {
  const started = performance.now();
  const proc = Bun.spawnSync(cmd, { cwd: dir, stdout: "ignore", stderr: "pipe", env: { ...process.env, DOCKER_BUILDKIT: "0", NO_COLOR: "1" } });
  const elapsed = performance.now() - started;
  if (!proc.success) throw new Error(`${cmd.join(" ")} failed: ${proc.stderr.toString()}`);
  return elapsed;
}

try {
  // 40 small files and one ignored directory: what a typical tool image's context looks like.
  const ctx = join(dir, "ctx");
  mkdirSync(join(ctx, "src"), { recursive: true });
  mkdirSync(join(ctx, "node_modules/big"), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(ctx, "src", `f${i}.sh`), `echo ${i}\n`.repeat(50));
  for (let i = 0; i < 200; i++) writeFileSync(join(ctx, "node_modules/big", `m${i}.js`), "x".repeat(4096));
  writeFileSync(join(ctx, ".dockerignore"), "node_modules\n");
  // The label is on every layer after FROM: the untagged intermediates of earlier rounds are pruned by it at the end.
  writeFileSync(join(ctx, "Dockerfile"), "FROM muster-test/busybox:1\nLABEL dev.muster.bench=build\nCOPY src /app\nRUN ls /app | wc -l > /count\n");
  const workflow = (noCache: boolean) => `workflows:\n  b:\n    steps:\n      - { name: build, type: container, action: build, with: { context: ctx, tags: ["${tag}:muster"], no_cache: ${noCache} } }\n`;
  writeFileSync(join(dir, "nocache.yaml"), workflow(true));
  writeFileSync(join(dir, "cache.yaml"), workflow(false));
  const cases: Array<[string, string[], string[]]> = [
    ["no cache", [musterBin, "workflow", "b", "-f", "nocache.yaml"], ["docker", "build", "-q", "--no-cache", "-t", `${tag}:docker`, "ctx"]],
    ["cached", [musterBin, "workflow", "b", "-f", "cache.yaml"], ["docker", "build", "-q", "-t", `${tag}:docker`, "ctx"]],
  ];
  const stats = (xs: number[]) => {
    const s = xs.toSorted((a, b) => a - b);
    return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s.at(-1)! };
  };
  console.log(`build of a small context (40 files sent, 200 ignored), ${ROUNDS} rounds, interleaved`);
  for (const [label, ours, theirs] of cases) {
    time(ours); // warm: the base image's layers and the page cache
    time(theirs);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      a.push(time(ours));
      b.push(time(theirs));
    }
    const [m, d] = [stats(a), stats(b)];
    const f = (x: { min: number; median: number; max: number }) => `${x.median.toFixed(0)} ms (min ${x.min.toFixed(0)}, max ${x.max.toFixed(0)})`;
    console.log(`  ${label.padEnd(9)} muster ${f(m)}   docker build ${f(d)}   ratio ${(m.median / d.median).toFixed(2)}x`);
  }
} finally {
  Bun.spawnSync(["docker", "rmi", "-f", `${tag}:muster`, `${tag}:docker`], { stdout: "ignore", stderr: "ignore" });
  Bun.spawnSync(["docker", "image", "prune", "-f", "--filter", "label=dev.muster.bench=build"], { stdout: "ignore", stderr: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
