/**
 * Start-up: median cold start of `dist/muster --version` over 20 runs, and
 * `muster validate` on a generated 500-step file, next to `node -e 0`.
 *
 *   bun scripts/bench/startup.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median, musterBin, root, timeCommand } from "./lib.ts";

const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
try {
  const steps = Array.from({ length: 500 }, (_, i) => `      - name: s${i}\n        type: shell\n        command: echo {{ .step.name }} ${i}\n        timeout: 5s`).join("\n");
  writeFileSync(join(dir, "big.yaml"), `workflows:\n  big:\n    steps:\n${steps}\n`);
  const version = await median(20, () => timeCommand([musterBin, "--version"]));
  const validate = await median(20, () => timeCommand([musterBin, "validate", "-f", join(dir, "big.yaml")]));
  const validateCold = await median(20, () => timeCommand(["env", "MUSTER_NO_CACHE=1", musterBin, "validate", "-f", join(dir, "big.yaml")]));
  const node = await median(20, () => timeCommand(["node", "-e", "0"]));
  const deno = await median(5, () => timeCommand([`${root}/node_modules/.bin/deno`, "run", "-A", `${root}/src/main.ts`, "--version"]));
  console.log("start-up (median of 20 runs)");
  console.log(`  muster --version                   ${fmt(version)}`);
  console.log(`  muster validate (500 steps)        ${fmt(validate)} (parse cache off: ${fmt(validateCold)})`);
  console.log(`  node -e 0 (for scale)              ${fmt(node)}`);
  console.log(`  deno run src/main.ts --version (5) ${fmt(deno)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
