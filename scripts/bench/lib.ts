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
