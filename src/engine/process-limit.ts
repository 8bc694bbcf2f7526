/**
 * A process-count limit for each step, below muster's own, so that a fork
 * bomb in a step exhausts its own budget and not muster's (which then could
 * not even create the threads it needs to stop it). `MUSTER_MAX_PROCS`
 * (default 4096; 0 turns it off) is the most processes one step may have.
 *
 * How, measured on Linux:
 * - a cgroup of the `pids` controller for the run (cgroup v1 at
 *   /sys/fs/cgroup/pids, or v2 where this process may create children),
 *   which binds root too: each step's shell moves itself into the group and
 *   then execs the command, so nothing forks before the limit holds; the
 *   budget bounds the steps' processes together, never muster's own;
 * - otherwise (not root, no cgroup to write to) RLIMIT_NPROC through
 *   `prlimit`, set to the user's current process count plus the budget;
 *   the kernel does not apply it to root, which is why cgroups come first;
 * - otherwise nothing, and `muster workflow` says so once when the limit
 *   was asked for explicitly.
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { platform } from "../platform/index.ts";
import { findExecutable } from "./find-executable.ts";
import { whileChildRuns } from "./while-child-runs.ts";

/** A step's limit: how to start it, and what to remove afterwards. */
export interface StepLimit {
  argv: string[];
  release(): void;
}

/**
 * `join` is the shell line a step's shell runs first to enter the group. Under cgroup v1 it writes
 * `0` to `tasks`: the kernel moves the writing thread (the shell is single-threaded, so all of it)
 * without the global lock that moving a process by pid takes, whose RCU grace period cost every
 * step that started on its own 10-20 ms (measured on this 2-core VM; `0` to `tasks` costs nothing
 * measurable). cgroup v2 moves only whole processes, through `cgroup.procs`.
 */
type Mechanism = { kind: "cgroup"; base: string; join: string } | { kind: "rlimit"; nproc: number } | { kind: "none" };

let mechanism: Mechanism | undefined;

/** The budget from `MUSTER_MAX_PROCS` (default 4096; 0: no limit): the most processes the run's steps may have at once. */
export function maxProcs(env: Record<string, string> = platform.env()): number {
  const raw = env.MUSTER_MAX_PROCS;
  const n = raw === undefined ? 4096 : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 4096;
}

function userProcessCount(): number {
  let uid = -1;
  try {
    uid = statSync("/proc/self").uid;
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid === uid) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** Removes the (empty) groups of musters that are gone: one killed with -9 could not. */
function sweepStale(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^muster-\d+$/.test(n));
  } catch {
    return;
  }
  for (const name of names) {
    if (platform.isProcessAlive(Number(name.slice("muster-".length)))) continue;
    const base = join(root, name);
    try {
      for (const step of readdirSync(base).filter((n) => n.startsWith("step-"))) rmdirSync(join(base, step)); // older layouts
      rmdirSync(base);
    } catch {
      // still in use (a process of it lives on): left for a later sweep
    }
  }
}

/** The shell line that moves the shell running it into `base` (see {@linkcode Mechanism}); `echo` is a builtin of every sh, so the shell itself writes. */
function joinLine(base: string, v1: boolean): string {
  return v1 ? `echo 0 > '${base}/tasks' || exit 126` : `echo $$ > '${base}/cgroup.procs' || exit 126`;
}

/** cgroup v2: our own group, when its pids controller is available to children. */
function ownV2Group(): string | undefined {
  try {
    const own = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"))?.slice(3);
    if (own !== undefined && readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8").includes("pids")) return join("/sys/fs/cgroup", own);
  } catch {
    // not v2
  }
  return undefined;
}

/** Makes this run's group under `root` with the budget; undefined when muster may not. */
function makeGroup(root: string, v1: boolean): { base: string; join: string } | undefined {
  // Groups of musters that are gone: removed while the first step runs, not before it.
  whileChildRuns(() => sweepStale(root));
  const base = join(root, `muster-${platform.pid}`);
  try {
    mkdirSync(base);
    writeFileSync(join(base, "pids.max"), String(maxProcs()));
    return { base, join: joinLine(base, v1) };
  } catch {
    try {
      rmdirSync(base);
    } catch {
      // not created
    }
    return undefined;
  }
}

function pidsCgroup(): { base: string; join: string } | undefined {
  // v1 first (its join is the cheap one); v2 is looked for only when v1 is not there to use.
  const made = makeGroup("/sys/fs/cgroup/pids", true);
  if (made) return made;
  const v2 = ownV2Group();
  return v2 === undefined ? undefined : makeGroup(v2, false);
}

/** Commands already found (a miss is looked up again: the command may appear during the run). */
const found = new Set<string>();

/** Whether `command` can be executed: a path that is executable, or a name found on PATH. */
function executable(command: string): boolean {
  // `sh` runs the join itself: if it could not start, no wrapping would help (and the spawn says so).
  if (command === "sh" || found.has(command)) return true;
  const ok = findExecutable(command, platform.env().PATH ?? "") !== undefined;
  if (ok) found.add(command);
  return ok;
}

function choose(budget: number): Mechanism {
  if (budget === 0 || platform.os !== "linux") return { kind: "none" };
  const cgroup = pidsCgroup();
  if (cgroup) return { kind: "cgroup", ...cgroup };
  const isRoot = (() => {
    try {
      return statSync("/proc/self").uid === 0;
    } catch {
      return false;
    }
  })();
  if (!isRoot && executable("prlimit")) return { kind: "rlimit", nproc: userProcessCount() + budget };
  return { kind: "none" };
}

/**
 * Wraps a step's argv so that it starts under the process limit.
 *
 * @example
 * ```ts
 * const limit = limitStep(["sh", "-c", "make -j"]);
 * spawn(limit.argv, ...); // ... when the step is over:
 * limit.release();
 * ```
 */
export function limitStep(argv: string[]): StepLimit {
  mechanism ??= choose(maxProcs());
  // A command that cannot start is left to the spawn, which says so plainly ("x: command not found", 127).
  if (mechanism.kind !== "none" && !executable(argv[0] ?? "")) return { argv, release: () => {} };
  if (mechanism.kind === "cgroup") {
    // One group for the run, made once: its budget bounds the steps' processes together.
    const enter = mechanism.join;
    // A `sh -c` step's own shell joins the group on its first line (one shell, not two);
    // anything else gets a shell that joins, then becomes the command. Nothing forks outside the limit.
    const wrapped = argv.length === 3 && argv[0] === "sh" && argv[1] === "-c"
      ? ["sh", "-c", `${enter}\n${argv[2]}`]
      : ["sh", "-c", `${enter}\nexec "$@"`, "sh", ...argv];
    return { argv: wrapped, release: () => {} };
  }
  if (mechanism.kind === "rlimit") {
    return { argv: ["prlimit", `--nproc=${mechanism.nproc}:${mechanism.nproc}`, "--", ...argv], release: () => {} };
  }
  return { argv, release: () => {} };
}

/** Removes this muster's (empty) cgroup at exit. */
export function releaseLimits(): void {
  if (mechanism?.kind !== "cgroup") return;
  try {
    rmdirSync(mechanism.base);
  } catch {
    // still busy: the next run's sweep removes it
  }
}
