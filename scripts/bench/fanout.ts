/**
 * Per-child cost at scale: 1,000 `true` children, 8 at a time, with no parse
 * cache, next to `xargs -P8`, `make -j8`, GNU `parallel -j8` (when installed)
 * and a compiled Bun program that does only the spawns (the floor for a Bun
 * binary). Interleaved rounds (one of each per round) so that the machine's
 * drift hits all alike; prints min / median / max and the ratios of the
 * medians. Every contestant runs `sh -c true` per child, as a shell step does.
 *
 *   bun scripts/bench/fanout.ts              # 7 rounds
 *   ROUNDS=11 BASELINE_BIN=/tmp/old bun scripts/bench/fanout.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchCommand, interleavedRounds, musterBin } from "./lib.ts";

const CHILDREN = 1000;
const rounds = Number(process.env.ROUNDS ?? 7);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-fanout-"));

try {
  const children = Array.from({ length: CHILDREN }, (_, i) => `          - { name: c${i}, type: shell, command: "true" }`).join("\n");
  writeFileSync(join(dir, "fanout.yaml"), `workflows:\n  fanout:\n    steps:\n      - name: fan\n        type: parallel\n        max_concurrency: 8\n        output: none\n        steps:\n${children}\n`);
  writeFileSync(join(dir, "Makefile"), `all: ${Array.from({ length: CHILDREN }, (_, i) => `c${i}`).join(" ")}\nc%:\n\t@sh -c true\n`);
  // The floor: a compiled Bun program that spawns the same children 8 at a time and nothing else.
  writeFileSync(join(dir, "spawn-only.ts"), `let next = 0;\nasync function lane() { while (next < ${CHILDREN}) { next++; await Bun.spawn(["sh", "-c", "true"], { stdout: "ignore", stderr: "ignore" }).exited; } }\nawait Promise.all(Array.from({ length: 8 }, lane));\n`);
  const build = Bun.spawnSync([process.execPath, "build", join(dir, "spawn-only.ts"), "--compile", "--bytecode", "--format=esm", "--minify", "--outfile", join(dir, "spawn-only")], { stdout: "ignore", stderr: "pipe" });
  if (!build.success) throw new Error(`building the spawn-only program failed: ${build.stderr.toString()}`);

  const env = { ...process.env, NO_COLOR: "1", MUSTER_NO_CACHE: "1" };
  const bins: Array<[string, string]> = [["muster", musterBin]];
  if (process.env.BASELINE_BIN) bins.push(["baseline", process.env.BASELINE_BIN]);
  const commands: BenchCommand[] = [
    ...bins.flatMap(([name, bin]): BenchCommand[] => [
      { name: `${name} (defaults, -q)`, cmd: [bin, "workflow", "fanout", "-f", "fanout.yaml", "-q"], cwd: dir, env },
      { name: `${name} MUSTER_MAX_PROCS=0`, cmd: [bin, "workflow", "fanout", "-f", "fanout.yaml", "-q"], cwd: dir, env: { ...env, MUSTER_MAX_PROCS: "0" } },
    ]),
    { name: "bun spawn-only (floor)", cmd: [join(dir, "spawn-only")], cwd: dir, env },
    { name: "xargs -P8", cmd: ["sh", "-c", `seq ${CHILDREN} | xargs -P8 -I{} sh -c true`], cwd: dir, env },
    { name: "make -j8", cmd: ["make", "-s", "-j8", "all"], cwd: dir, env },
  ];
  if (Bun.which("parallel")) commands.push({ name: "GNU parallel -j8", cmd: ["sh", "-c", `seq ${CHILDREN} | parallel -j8 sh -c true`], cwd: dir, env });
  const rows = interleavedRounds(commands, rounds, { title: `${CHILDREN} 'true' children, 8 at a time, no parse cache`, nameWidth: 30, digits: 0 });
  const m = rows.median;
  console.log("ratios of medians");
  for (const [name] of bins) {
    console.log(`  ${name} / xargs -P8            ${(m(`${name} (defaults, -q)`) / m("xargs -P8")).toFixed(2)}x   (goal: at most 1.15x)`);
    console.log(`  ${name} / bun spawn-only       ${(m(`${name} (defaults, -q)`) / m("bun spawn-only (floor)")).toFixed(2)}x`);
    console.log(`  ${name} / make -j8             ${(m(`${name} (defaults, -q)`) / m("make -j8")).toFixed(2)}x`);
  }
  console.log(`  bun spawn-only / xargs -P8   ${(m("bun spawn-only (floor)") / m("xargs -P8")).toFixed(2)}x`);
  // On a loaded machine medians carry the load; the fastest of each row is closest to the cost of the program alone.
  const least = rows.min;
  console.log("ratios of minimums");
  for (const [name] of bins) console.log(`  ${name} / xargs -P8 ${(least(`${name} (defaults, -q)`) / least("xargs -P8")).toFixed(2)}x; / bun spawn-only ${(least(`${name} (defaults, -q)`) / least("bun spawn-only (floor)")).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
