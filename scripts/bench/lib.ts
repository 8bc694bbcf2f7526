/**
 * Shared helpers for the benchmarks: timing commands and reading peak memory.
 * Benchmarks print figures; they never assert on them.
 */
import { resolve } from "node:path";

export const root = resolve(import.meta.dir, "../..");
export const musterBin = process.env.MUSTER_BIN ?? `${root}/dist/muster`;

/** Runs a command (through sh -c when given a string) and returns wall time in ms. */
export async function timeCommand(command: string | string[], options: { cwd?: string; stdout?: "ignore" | "inherit" } = {}): Promise<number> {
  const cmd = typeof command === "string" ? ["sh", "-c", command] : command;
  const started = performance.now();
  const proc = Bun.spawn(cmd, { cwd: options.cwd, stdout: options.stdout ?? "ignore", stderr: "ignore" });
  const code = await proc.exited;
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}`);
  return elapsed;
}

/** The median of `runs` timings. */
export async function median(runs: number, fn: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await fn());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Runs `cmd` and samples its peak resident memory (VmHWM) in MiB until it exits. */
export async function peakRss(cmd: string[], cwd?: string): Promise<{ mib: number; ms: number }> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, { cwd, stdout: "ignore", stderr: "ignore" });
  let peakKb = 0;
  const sample = async () => {
    const status = await Bun.file(`/proc/${proc.pid}/status`).text().catch(() => "");
    const match = status.match(/VmHWM:\s+(\d+) kB/);
    if (match) peakKb = Math.max(peakKb, Number(match[1]));
  };
  const timer = setInterval(sample, 20);
  const code = await proc.exited;
  clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}`);
  return { mib: peakKb / 1024, ms: performance.now() - started };
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/**
 * A dispatch runner for benchmarks: a repository holding `workflows` served
 * over HTTPS by a local git http-backend, a callback receiver, and the
 * runner with `env` on top of what that needs; `stop` ends all three.
 */
export async function startBenchRunner(dir: string, token: string, workflows: string, env: Record<string, string> = {}) {
  const { makeRepository, startCallbackReceiver, startGitHttps, startRunner } = await import("../../test/serve-fixtures.ts");
  const { join } = await import("node:path");
  const bare = makeRepository(dir, { "workflows.yaml": workflows });
  const https = await startGitHttps(join(dir, "https"), dir);
  const callbacks = startCallbackReceiver();
  const runner = await startRunner({
    RUNNER_AUTH_TOKEN: token,
    ATMOS_REPO_URL: `https://127.0.0.1:${https.port}/${bare.split("/").pop()}`,
    MUSTER_GIT_CA_FILE: https.caFile,
    MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1",
    ...env,
  });
  const stop = async () => {
    runner.proc.kill("SIGTERM");
    await runner.proc.exited;
    https.stop();
    callbacks.stop();
  };
  return { runner, callbacks, stop };
}

/**
 * One run of `cmd` (synchronously, so nothing else of the benchmark runs meanwhile): its wall time
 * and its CPU time (user + system, with the children it waited for: steadier than wall time on a
 * loaded machine), in ms. Throws when it fails.
 */
export function timeRun(cmd: string[], cwd: string, env: Record<string, string | undefined>): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const proc = Bun.spawnSync(cmd, { cwd, env, stdout: "ignore", stderr: "pipe" });
  const wallMs = performance.now() - started;
  if (!proc.success) throw new Error(`${cmd.join(" ")} failed: ${proc.stderr.toString()}`);
  const usage = proc.resourceUsage;
  return { wallMs, cpuMs: usage ? (Number(usage.cpuTime.user) + Number(usage.cpuTime.system)) / 1000 : NaN };
}

/** The minimum, median and maximum of some timings. */
export function spread(times: number[]): { min: number; median: number; max: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
}

/** A command of an interleaved benchmark: its row name and how to run it. */
export interface BenchCommand {
  name: string;
  cmd: string[];
  cwd: string;
  env: Record<string, string | undefined>;
}

/**
 * Runs every command once to warm the page cache, then `rounds` rounds of one run each, in
 * turn (so the machine's drift hits all alike), and prints a row per command: wall min /
 * median / max and the CPU median. Returns each row's wall median and minimum by name.
 */
export function interleavedRounds(
  commands: BenchCommand[],
  rounds: number,
  table: { title: string; nameWidth: number; digits: number },
): { median: (name: string) => number; min: (name: string) => number; has: (name: string) => boolean } {
  const wall = new Map(commands.map((c) => [c.name, [] as number[]]));
  const cpu = new Map(commands.map((c) => [c.name, [] as number[]]));
  for (const c of commands) timeRun(c.cmd, c.cwd, c.env);
  for (let round = 0; round < rounds; round++) {
    for (const c of commands) {
      const { wallMs, cpuMs } = timeRun(c.cmd, c.cwd, c.env);
      wall.get(c.name)!.push(wallMs);
      cpu.get(c.name)!.push(cpuMs);
    }
  }
  const show = (ms: number) => `${ms.toFixed(table.digits).padStart(6)} ms`;
  console.log(`${table.title}; ${rounds} interleaved rounds (wall min / median / max; CPU median)`);
  const rows = new Map<string, { min: number; median: number }>();
  for (const c of commands) {
    const s = spread(wall.get(c.name)!);
    rows.set(c.name, s);
    console.log(`  ${c.name.padEnd(table.nameWidth)} ${show(s.min)} ${show(s.median)} ${show(s.max)}   cpu ${show(spread(cpu.get(c.name)!).median)}`);
  }
  return { median: (name) => rows.get(name)!.median, min: (name) => rows.get(name)!.min, has: (name) => rows.has(name) };
}
