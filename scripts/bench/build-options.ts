/**
 * Which `bun build --compile` options start fastest: builds this machine's
 * binary with each option set and measures `--version` (median of 20 cold
 * starts) and size; prints `deno run src/main.ts --version` for comparison.
 *
 *   bun scripts/bench/build-options.ts
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median, root, timeCommand } from "./lib.ts";

const VARIANTS: Array<[string, string[]]> = [
  ["--compile (plain)", ["--compile"]],
  ["--compile --minify", ["--compile", "--minify"]],
  ["--compile --splitting", ["--compile", "--splitting"]],
  ["--compile --minify --splitting", ["--compile", "--minify", "--splitting"]],
  ["... --splitting --bytecode", ["--compile", "--minify", "--splitting", "--bytecode"]],
];

const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
try {
  console.log("build option                       size      --version (median of 20)   validate parallel.yaml");
  for (const [name, extra] of VARIANTS) {
    const out = join(dir, name.replace(/[^a-z]+/g, "-"));
    const proc = Bun.spawn([process.execPath, "build", "src/main.ts", ...extra, "--outfile", out], { cwd: root, stdout: "ignore", stderr: "pipe" });
    const failed = (await proc.exited) !== 0 || (await new Response(proc.stderr).text()).includes("error:");
    if (failed) {
      console.log(`${name.padEnd(32)} build failed (bun: "Failed to generate bytecode")`);
      continue;
    }
    const version = await median(20, () => timeCommand([out, "--version"]));
    const help = await median(20, () => timeCommand([out, "validate", "-f", join(root, "examples/parallel-steps/parallel.yaml")]));
    console.log(`${name.padEnd(32)} ${(statSync(out).size / 1e6).toFixed(1).padStart(6)} MB  ${fmt(version).padStart(10)}                 ${fmt(help)}`);
  }
  const deno = await median(10, () => timeCommand([join(root, "node_modules/.bin/deno"), "run", "-A", join(root, "src/main.ts"), "--version"]));
  console.log(`${"deno run -A src/main.ts".padEnd(32)} ${"".padStart(9)}  ${fmt(deno).padStart(10)}  (median of 10)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
