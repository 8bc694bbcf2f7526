/**
 * Children must not outlive a muster that is killed with SIGKILL (or by the
 * OOM killer), which runs no cleanup. A small watchdog shell, started in its
 * own session with the first step, keeps the process groups of running steps
 * (muster tells it through a pipe: `+PGID` when a step starts, `-PGID` once
 * its group has been swept). When the pipe closes, because muster exited
 * however it exited, the watchdog kills every group it still holds. The pipe's
 * end is the parent-death signal, for every descendant, on any POSIX system.
 * @module
 */
import { platform } from "../platform/index.ts";

const WATCHDOG = `trap '' INT TERM HUP QUIT
groups=" "
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups\${line#+} " ;;
    -*) g="\${line#-}"; case "$groups" in *" $g "*) groups="\${groups%%" $g "*} \${groups#*" $g "}" ;; esac ;;
  esac
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done`;

/** Tracks the process groups of running steps. */
export interface OrphanGuard {
  track(pgid: number): void;
  untrack(pgid: number): void;
}

let guard: OrphanGuard | null | undefined;

/**
 * The run's guard, started on first use (none on Windows, which has no
 * process groups; a watchdog that cannot start leaves muster as it was).
 *
 * @example
 * ```ts
 * orphanGuard()?.track(child.pid);
 * // ... the step ends, its group is swept:
 * orphanGuard()?.untrack(child.pid);
 * ```
 */
export function orphanGuard(): OrphanGuard | null {
  if (guard !== undefined) return guard;
  guard = null;
  if (platform.os === "windows") return guard;
  try {
    const watchdog = platform.spawn(["sh", "-c", WATCHDOG], { stdin: "pipe", stdout: "null", stderr: "null", env: { PATH: platform.env().PATH ?? "/usr/bin:/bin" } });
    const stdin = watchdog.stdin!;
    // One write per turn of the event loop, not one per line: a write and flush per child cost
    // ~70 ms over 1,000 children. A group is told on the next turn (well under a millisecond
    // later); a muster killed with -9 before then leaves it, as one killed between spawn and
    // write always could.
    let pending = "";
    const send = (line: string) => {
      if (pending === "") setTimeout(flush, 0);
      pending += line;
    };
    const flush = () => {
      const lines = pending;
      pending = "";
      stdin.write(lines);
    };
    guard = { track: (pgid) => send(`+${pgid}\n`), untrack: (pgid) => send(`-${pgid}\n`) };
  } catch {
    // no sh: nothing to guard with
  }
  return guard;
}
