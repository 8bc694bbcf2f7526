/**
 * Concurrency and output, each side by side with what users would otherwise use:
 *  1. 1,000 `true` children at max_concurrency 8 vs `xargs -P8` and GNU `parallel -j8`;
 *  2. prefixed throughput: one child printing 200 MB of 100-byte lines vs `sed 's/^/[x] /'`;
 *  3. grouped mode, 50 children printing 20 MB each: muster's peak RSS.
 *
 *   bun scripts/bench/parallel.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median, musterBin, peakRss, timeCommand } from "./lib.ts";

const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
const has = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).success;
try {
  // 1. fan-out of trivial children
  const children = Array.from({ length: 1000 }, (_, i) => `          - { name: c${i}, type: shell, command: "true" }`).join("\n");
  writeFileSync(join(dir, "fanout.yaml"), `workflows:\n  fanout:\n    steps:\n      - name: fan\n        type: parallel\n        max_concurrency: 8\n        output: none\n        steps:\n${children}\n`);
  const runs = 5;
  const fanout = [musterBin, "workflow", "fanout", "-f", join(dir, "fanout.yaml"), "-q"];
  // Cold: the 1,000-entry file is parsed every time; warm: from the parse cache (the usual case).
  const cold = await median(runs, () => timeCommand(["env", "MUSTER_NO_CACHE=1", ...fanout]));
  const muster = await median(runs, () => timeCommand(fanout));
  const xargs = await median(runs, () => timeCommand("seq 1000 | xargs -P8 -I{} sh -c true"));
  const parallel = has("parallel") ? await median(runs, () => timeCommand("seq 1000 | parallel -j8 sh -c true")) : NaN;
  console.log(`1,000 'true' children, 8 at a time (median of ${runs})`);
  console.log(`  muster            ${fmt(muster)}   (parse cache off: ${fmt(cold)}, ${(cold / xargs).toFixed(2)}x xargs)`);
  console.log(`  xargs -P8         ${fmt(xargs)}   muster/xargs    = ${(muster / xargs).toFixed(2)}x`);
  console.log(`  GNU parallel -j8  ${fmt(parallel)}   muster/parallel = ${(muster / parallel).toFixed(2)}x`);

  // 1b. what the live status display costs: the same run without -q, on a pseudo-terminal (script(1)) and piped.
  const plain = fanout.filter((a) => a !== "-q").join(" ");
  const onTty = await median(runs, () => timeCommand(["script", "-qfec", `${plain} > /dev/null`, "/dev/null"]));
  const piped = await median(runs, () => timeCommand(`${plain} 2>&1 | cat > /dev/null`));
  console.log(`1,000 children without -q: on a terminal (status display) ${fmt(onTty)}, piped (no display) ${fmt(piped)}: ${(onTty / piped).toFixed(2)}x`);
  const json = await median(runs, () => timeCommand(`${musterBin} workflow fanout -f ${join(dir, "fanout.yaml")} --format json > /dev/null`));
  console.log(`1,000 children with --format json: ${fmt(json)}, ${(json / muster).toFixed(2)}x the text run with -q`);

  // 2. prefixed throughput
  const bytes = 200_000_000;
  const producer = `yes "$(printf '%099d' 0 | cut -c1-99)" | head -c ${bytes}`;
  writeFileSync(join(dir, "prefixed.yaml"), `workflows:\n  flood:\n    steps:\n      - name: p\n        type: parallel\n        output: { mode: prefixed, prefix: x, show_summary: false }\n        steps:\n          - { name: x, type: shell, command: ${JSON.stringify(producer)} }\n`);
  // Not -q: -q holds back the output of children that succeed, which is not what this measures.
  const musterMs = await timeCommand(`${musterBin} workflow flood -f ${join(dir, "prefixed.yaml")} > /dev/null 2>&1`);
  const sedMs = await timeCommand(`${producer} | sed 's/^/[x] /' > /dev/null`);
  const jsonMs = await timeCommand(`${musterBin} workflow flood -f ${join(dir, "prefixed.yaml")} --format json > /dev/null`);
  const mbps = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  console.log("prefixed output, 200 MB of 100-byte lines");
  console.log(`  muster            ${mbps(musterMs)} MB/s (${fmt(musterMs)})`);
  console.log(`  sed 's/^/[x] /'   ${mbps(sedMs)} MB/s (${fmt(sedMs)})`);
  console.log(`  muster --format json (events carry the output) ${mbps(jsonMs)} MB/s (${fmt(jsonMs)})`);

  // 3. grouped memory
  const big = Array.from({ length: 50 }, (_, i) => `          - { name: g${i}, type: shell, command: "head -c 20000000 /dev/zero | tr '\\\\0' 'y'" }`).join("\n");
  writeFileSync(join(dir, "grouped.yaml"), `workflows:\n  grouped:\n    steps:\n      - name: g\n        type: parallel\n        output: grouped\n        steps:\n${big}\n`);
  const rss = await peakRss(["sh", "-c", `exec ${musterBin} workflow grouped -f ${join(dir, "grouped.yaml")} > /dev/null 2>&1`]);
  console.log("grouped output, 50 children x 20 MB");
  console.log(`  muster peak RSS   ${rss.mib.toFixed(0)} MiB (${fmt(rss.ms)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
