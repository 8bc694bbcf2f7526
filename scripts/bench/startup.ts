/**
 * Start-up: median cold start of `muster --version`, a one-step workflow
 * (`true` through the shell; the same with a CEL `when`, which loads the CEL
 * library; the same skipped as fresh by its `inputs`, which loads the
 * freshness module) and `muster validate` on a generated 500-step file, next to
 * `node -e 0`. With BASELINE_BIN=path, the same figures for
 * that binary too, in the same run (for before/after comparisons).
 *
 *   bun scripts/bench/startup.ts
 *   BASELINE_BIN=/tmp/muster-old bun scripts/bench/startup.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median, musterBin, root, timeCommand } from "./lib.ts";

const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
try {
  const steps = Array.from({ length: 500 }, (_, i) => `      - name: s${i}\n        type: shell\n        command: echo {{ .step.name }} ${i}\n        timeout: 5s`).join("\n");
  writeFileSync(join(dir, "big.yaml"), `workflows:\n  big:\n    steps:\n${steps}\n`);
  writeFileSync(join(dir, "one.yaml"), `workflows:\n  one:\n    steps:\n      - { type: shell, command: "true" }\n`);
  // Fresh after its first run: a step skipped by its inputs (hashing one file, reading its state).
  writeFileSync(join(dir, "src.txt"), "x");
  writeFileSync(join(dir, "one-fresh.yaml"), `workflows:\n  one:\n    steps:\n      - { type: shell, command: "true", inputs: { sources: ["src.txt"] } }\n`);
  writeFileSync(join(dir, "one-cel.yaml"), `workflows:\n  one:\n    steps:\n      - { type: shell, command: "true", when: 'os != "plan9"' }\n`);
  const measure = async (bin: string) => ({
    version: await median(20, () => timeCommand([bin, "--version"])),
    oneStep: await median(20, () => timeCommand([bin, "workflow", "one", "-f", join(dir, "one.yaml")])),
    // A build before CEL refuses the file.
    oneStepCel: await median(20, () => timeCommand([bin, "workflow", "one", "-f", join(dir, "one-cel.yaml")])).catch(() => undefined),
    // A build before freshness refuses the file.
    oneStepFresh: await median(20, () => timeCommand([bin, "workflow", "one", "-f", join(dir, "one-fresh.yaml"), "-C", dir])).catch(() => undefined),
    validate: await median(20, () => timeCommand([bin, "validate", "-f", join(dir, "big.yaml")])),
    validateCold: await median(20, () => timeCommand(["env", "MUSTER_NO_CACHE=1", bin, "validate", "-f", join(dir, "big.yaml")])),
  });
  const bins: Array<[string, string]> = [["muster", musterBin]];
  if (process.env.BASELINE_BIN) bins.unshift(["baseline", process.env.BASELINE_BIN]);
  const results = [];
  for (const [name, bin] of bins) results.push([name, await measure(bin)] as const);
  const node = await median(20, () => timeCommand(["node", "-e", "0"]));
  const deno = await median(5, () => timeCommand([`${root}/node_modules/.bin/deno`, "run", "-A", `${root}/src/main.ts`, "--version"]));
  console.log("start-up (median of 20 runs)");
  for (const [name, r] of results) {
    console.log(`  ${name}:`);
    console.log(`    --version                        ${fmt(r.version)}`);
    console.log(`    one-step workflow (shell true)   ${fmt(r.oneStep)}`);
    console.log(`    the same with a CEL when         ${r.oneStepCel === undefined ? "refused (a build without CEL)" : fmt(r.oneStepCel)}`);
    console.log(`    the same, fresh (inputs.sources) ${r.oneStepFresh === undefined ? "refused (a build without freshness)" : fmt(r.oneStepFresh)}`);
    console.log(`    validate (500 steps)             ${fmt(r.validate)} (parse cache off: ${fmt(r.validateCold)})`);
  }
  console.log(`  node -e 0 (for scale)              ${fmt(node)}`);
  console.log(`  deno run src/main.ts --version (5) ${fmt(deno)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
