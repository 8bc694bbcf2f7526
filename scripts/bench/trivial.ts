/**
 * A one-step workflow as a whole process, next to what users would
 * otherwise type: `mise run` and `make` running the same `true`, plus
 * `muster --version` for the floor of a start-up. Interleaved (one of each
 * per round) so that the machine's drift hits all alike; prints min /
 * median / max of each and the ratios of the medians.
 *
 * Also the first `validate` of a 1,000-step file with no parse cache
 * anywhere, next to `--version` in the same rounds.
 *
 * mise comes from npm (`@jdxcode/mise`, a binary shipped in the package),
 * installed once into ~/.cache/muster-bench when it is not on PATH. Every
 * row runs with the parse cache off except one: the one step with the cache
 * (the default). The one step also runs without the process budget
 * (`MUSTER_MAX_PROCS=0`), and
 * under Deno (`deno run -A src/main.ts`) when node_modules has deno.
 *
 *   bun scripts/bench/trivial.ts            # 25 rounds
 *   ROUNDS=50 BASELINE_BIN=/tmp/old bun scripts/bench/trivial.ts
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { interleavedRounds, musterBin, root } from "./lib.ts";

/** mise on PATH, or installed from npm into a cache directory. */
function findMise(): string {
  const onPath = Bun.which("mise");
  if (onPath) return onPath;
  const prefix = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "muster-bench");
  const bin = join(prefix, "node_modules/.bin/mise");
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    const install = Bun.spawnSync(["npm", "install", "--prefix", prefix, "--no-save", "@jdxcode/mise"], { stdout: "ignore", stderr: "inherit" });
    if (!install.success) throw new Error("could not install mise from npm (@jdxcode/mise)");
  }
  return bin;
}

const rounds = Number(process.env.ROUNDS ?? 25);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-trivial-"));
try {
  writeFileSync(join(dir, "one.yaml"), `workflows:\n  one:\n    steps:\n      - { name: one, type: shell, command: "true" }\n`);
  writeFileSync(join(dir, "mise.toml"), `[tasks.one]\nrun = "true"\n`);
  writeFileSync(join(dir, "Makefile"), `one:\n\t@true\n`);
  const steps = Array.from({ length: 1000 }, (_, i) => `      - name: s${i}\n        type: shell\n        command: echo {{ .step.name }} ${i}\n        timeout: 5s`).join("\n");
  writeFileSync(join(dir, "big.yaml"), `workflows:\n  big:\n    steps:\n${steps}\n`);
  const mise = findMise();
  // No cache anywhere: a fresh cache directory per run would still be a cache; MUSTER_NO_CACHE turns it off.
  const env = { ...process.env, MISE_TRUSTED_CONFIG_PATHS: dir, MISE_YES: "1", NO_COLOR: "1", MUSTER_NO_CACHE: "1" };
  const bins: Array<[string, string]> = [["muster", musterBin]];
  if (process.env.BASELINE_BIN) bins.push(["baseline", process.env.BASELINE_BIN]);
  const commands: Array<[string, string[]]> = [
    ...bins.flatMap(([name, bin]): Array<[string, string[]]> => [
      [`${name} workflow one (one step)`, [bin, "workflow", "one", "-f", "one.yaml"]],
      [`${name} one step, MUSTER_MAX_PROCS=0`, ["env", "MUSTER_MAX_PROCS=0", bin, "workflow", "one", "-f", "one.yaml"]],
      [`${name} one step, parse cache on (default)`, ["env", "-u", "MUSTER_NO_CACHE", bin, "workflow", "one", "-f", "one.yaml"]],
      [`${name} --version`, [bin, "--version"]],
      [`${name} validate (1,000 steps, no cache)`, [bin, "validate", "-f", "big.yaml"]],
    ]),
    ["mise run one", [mise, "run", "one"]],
    ["make one", ["make", "-s", "one"]],
  ];
  const deno = `${root}/node_modules/.bin/deno`;
  if (existsSync(deno)) {
    commands.push(["deno: workflow one (one step)", [deno, "run", "-A", `${root}/src/main.ts`, "workflow", "one", "-f", "one.yaml"]]);
    commands.push(["deno: --version", [deno, "run", "-A", `${root}/src/main.ts`, "--version"]]);
  }
  const rows = interleavedRounds(commands.map(([name, cmd]) => ({ name, cmd, cwd: dir, env })), rounds, { title: "one-step workflow and start-up", nameWidth: 42, digits: 1 });
  const m = rows.median;
  console.log("ratios of medians");
  for (const [name] of bins) {
    const one = m(`${name} workflow one (one step)`);
    console.log(`  ${name}: one step / mise run   ${(one / m("mise run one")).toFixed(2)}x   (goal: at most 1.0x; stretch 0.5x)`);
    console.log(`  ${name}: one step / make       ${(one / m("make one")).toFixed(2)}x   (goal: at most 5x)`);
    console.log(`  ${name}: one step without the process budget / with   ${(m(`${name} one step, MUSTER_MAX_PROCS=0`) / one).toFixed(2)}x`);
    const cached = m(`${name} one step, parse cache on (default)`);
    console.log(`  ${name}: one step, parse cache on (default) / mise run   ${(cached / m("mise run one")).toFixed(2)}x; / make ${(cached / m("make one")).toFixed(2)}x`);
    console.log(`  ${name}: validate 1,000 steps / --version   ${(m(`${name} validate (1,000 steps, no cache)`) / m(`${name} --version`)).toFixed(2)}x   (goal: at most 4x)`);
  }
  // On a loaded machine medians carry the load; the fastest of each row is closest to the cost of the program alone.
  const least = rows.min;
  console.log("ratios of minimums");
  for (const [name] of bins) {
    const one = least(`${name} workflow one (one step)`);
    console.log(`  ${name}: one step / mise run ${(one / least("mise run one")).toFixed(2)}x; / make ${(one / least("make one")).toFixed(2)}x; validate / --version ${(least(`${name} validate (1,000 steps, no cache)`) / least(`${name} --version`)).toFixed(2)}x`);
  }
  if (rows.has("deno: workflow one (one step)")) console.log(`  deno: one step / mise run   ${(m("deno: workflow one (one step)") / m("mise run one")).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
