/**
 * What run-time rendering costs: a 1,000-child parallel group whose every
 * child's command is a template (`true {{ .step.name }} {{ .vars.x }}`),
 * 8 at a time, muster against BASELINE_BIN (a build from before templates
 * were rendered per step), runs interleaved so machine noise hits both
 * alike. Also a 1,000-child group where each child reads the result of a
 * step before the group (its output kept and teed).
 *
 *   BASELINE_BIN=/tmp/muster-old bun scripts/bench/render.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, musterBin, timeCommand } from "./lib.ts";

const runs = Number(process.env.RUNS ?? 9);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-render-"));
try {
  const children = (command: string) => Array.from({ length: 1000 }, (_, i) => `          - { name: c${i}, type: shell, command: "${command}" }`).join("\n");
  const group = (command: string) => `      - name: fan\n        type: parallel\n        max_concurrency: 8\n        output: none\n        steps:\n${children(command)}\n`;
  writeFileSync(join(dir, "templated.yaml"), `workflows:\n  fan:\n    steps:\n${group("true {{ .step.name }} {{ .vars.x }}")}`);
  writeFileSync(join(dir, "results.yaml"), `workflows:\n  fan:\n    steps:\n      - { name: v, type: shell, command: \"echo 1.2.3\" }\n${group("true {{ .steps.v.value }}")}`);
  const bins: Array<[string, string]> = [["muster", musterBin]];
  if (process.env.BASELINE_BIN) bins.unshift(["baseline", process.env.BASELINE_BIN]);
  const times = new Map<string, number[]>(bins.map(([name]) => [name, []]));
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [name, bin] of bins) times.get(name)!.push(await timeCommand([bin, "workflow", "fan", "-q", "-f", join(dir, "templated.yaml"), "--var", "x=1"]));
    results.push(await timeCommand([musterBin, "workflow", "fan", "-q", "-f", join(dir, "results.yaml"), "--var", "x=1"]));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`1,000 templated children, 8 at a time (median of ${runs}, interleaved)`);
  for (const [name] of bins) console.log(`  ${name.padEnd(9)} ${fmt(med(times.get(name)!))}`);
  if (process.env.BASELINE_BIN) console.log(`  ratio muster/baseline: ${(med(times.get("muster")!) / med(times.get("baseline")!)).toFixed(3)}`);
  console.log(`  muster, each child reading .steps.v.value: ${fmt(med(results))}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
