/**
 * Helpers for end-to-end tests: run the compiled binary, make temp projects.
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The repository root. */
export const repoRoot = resolve(import.meta.dir, "..");
/** The compiled binary under test (`npm run build`). */
export const musterBin = process.env.MUSTER_BIN ?? join(repoRoot, "dist/muster");

export interface RunResult {
  /** The pid muster ran as (container owner labels carry it). */
  pid: number;
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill after this many ms (a test safety net, not an assertion). */
  timeoutMs?: number;
  /** The command to run instead of the binary (e.g. deno). */
  command?: string[];
}

/** The run journal of this test process's runs (made on first use): never the journal in the user's home. */
let suiteJournal: string | undefined;
function testJournal(): string {
  suiteJournal ??= join(mkdtempSync(join(tmpdir(), "muster-test-journal-")), "journal");
  return suiteJournal;
}

/**
 * Removes the test process's journal. `test/preload.ts` calls it after the
 * last test file (bun test fires no process "exit" between files, and
 * this module is evaluated once for all of them).
 */
export function removeTestJournal(): void {
  if (suiteJournal) rmSync(dirname(suiteJournal), { recursive: true, force: true });
  suiteJournal = undefined;
}

/** The environment tests start from: ours, minus colour forcing, with a journal of the suite's own (unless the caller names one). */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const journal = process.env.MUSTER_JOURNAL_DIR ?? testJournal();
  const env: Record<string, string | undefined> = { MUSTER_JOURNAL_DIR: journal, ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...extra };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Starts the binary without waiting. */
export function spawnMuster(args: string[], options: RunOptions = {}) {
  return Bun.spawn([...(options.command ?? [musterBin]), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: baseEnv(options.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

/** Runs the binary to completion. */
export async function muster(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const proc = spawnMuster(args, options);
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { pid: proc.pid, code, stdout, stderr, durationMs: performance.now() - started };
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = "muster-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(path, { recursive: true, force: true, maxRetries: 3 });
  // A backstop: an afterAll hook that times out never reaches its cleanup.
  process.once("exit", cleanup);
  return { path, cleanup };
}

/**
 * A per-suite temp dir, removed after the suite, that hands out one fresh
 * project directory per call.
 */
export function projectDirs(prefix = "muster-test-"): { root: string; make(files: Record<string, string>): string } {
  const tmp = tempDir(prefix);
  afterAll(() => tmp.cleanup());
  let n = 0;
  return {
    root: tmp.path,
    make(files) {
      const dir = join(tmp.path, `p${++n}`);
      writeFiles(dir, files);
      return dir;
    },
  };
}

/** Writes files (path -> content) below `dir`; `mode` 0o755 for scripts ending in .sh or without extension under bin/. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    if (path.startsWith("bin/") || path.endsWith(".sh")) chmodSync(full, 0o755);
  }
}

/**
 * This copy of the suite's own tag: two suites on one host (two checkouts,
 * a developer's run next to CI) never see each other's processes.
 */
export const RUN_TAG = String(Math.floor(Math.random() * 1e6)).padStart(6, "0");

/**
 * Seconds for a test's `sleep` that only this suite run uses (`1083.042117`):
 * match its processes with `processesMatching(\`sleep ${tagged(1083)}\`)`.
 */
export const tagged = (seconds: number): string => `${seconds}.${RUN_TAG}`;

/** Whether a process with this exact command line substring is alive (ignoring zombies). Match a {@linkcode tagged} sleep, never a fixed one. */
export async function processesMatching(pattern: string): Promise<string[]> {
  const ps = Bun.spawnSync(["ps", "-eo", "pid=,stat=,args="]);
  return ps.stdout
    .toString()
    .split("\n")
    .filter((line) => line.includes(pattern) && !line.includes("ps -eo") && !/^\s*\d+\s+Z/.test(line));
}

/**
 * Collects a stream's text as it arrives, so a test can wait for a line
 * (a handshake) instead of sleeping.
 */
export function watch(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return {
    get text() {
      return text;
    },
    /** Resolves true once `needle` has appeared (false after `ms`, a safety net, never an assertion on time). */
    waitFor: (needle: string | RegExp, ms = 30_000) => eventually(() => (typeof needle === "string" ? text.includes(needle) : needle.test(text)), ms, 20),
    done,
  };
}

/** Waits until `check` is true or `ms` passed; returns the last value. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000, step = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await Bun.sleep(step);
  }
}

/** A free TCP port on 127.0.0.1 (for servers the tests start: PostgreSQL, a registry). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs the docker CLI (the tests' own view of the engine); throws with its stderr when it fails. */
export function docker(...args: string[]): string {
  const proc = Bun.spawnSync(["docker", ...args], { stderr: "pipe" });
  if (!proc.success) throw new Error(`docker ${args.join(" ")}: ${proc.stderr.toString()}`);
  return proc.stdout.toString().trim();
}

/** `ID OWNER` lines of the containers that the muster with this pid created and that still exist (other runs on the machine do not count). */
export const containersOwnedBy = (pid: number): string[] =>
  docker("ps", "-a", "--filter", "label=dev.muster.owner", "--format", '{{.ID}} {{.Label "dev.muster.owner"}}')
    .split("\n")
    .filter((line) => line.split(" ")[1]?.split(":").at(-2) === String(pid));
