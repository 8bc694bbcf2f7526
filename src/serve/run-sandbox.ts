/**
 * The sandbox of a process-mode run (`MUSTER_RUN_ISOLATION=process`): what
 * keeps a run's processes away from the runner's store, its clone
 * credentials, other runs' directories and the runner's `/proc` entries.
 *
 * - **Root runner**: each run gets a uid of its own (`MUSTER_RUN_UIDS`, a
 *   range, default 2100000000-2100000999; or one `MUSTER_RUN_USER` for
 *   every run), its run dir is chowned to it, supplementary groups are
 *   cleared, no new privileges; and it runs in its own mount, PID and IPC
 *   namespace with a fresh `/proc`.
 * - **Non-root runner**: an unprivileged user namespace that owns the mount,
 *   PID and IPC namespaces, then a nested user namespace that maps the
 *   runner's uid back, so the run holds no capability over its mounts (it
 *   cannot unmount what hides the runner's files).
 * - Either way, inside the mount namespace: tmpfs over the state dir, the
 *   directory that holds the run dirs (and the clone credentials), `/tmp`,
 *   `/var/tmp`, `/dev/shm` and the runner's HOME; `/dev/null` over secret
 *   files (`*_FILE`) and, unless `MUSTER_ALLOW_DOCKER_SOCKET=1`, the Docker
 *   socket. The run's own dir is bound at {@linkcode RUN_VIEW}.
 * - The mechanism is util-linux `unshare` and `setpriv` (Debian-essential)
 *   as the prefix of the run's argv, and a constant `sh` script for the
 *   mounts; nothing of the run's (no var) is on that argv.
 * - Where the kernel refuses a user namespace (non-root runner) the run is
 *   not sandboxed, and `muster serve` says so at start in one warning line.
 * @module
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { homedir, tmpdir, userInfo } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { Cancellation } from "../engine/cancellation.ts";
import { runProcess } from "../engine/run-process.ts";
import { platform } from "../platform/index.ts";
import { ConfigError } from "./config.ts";
import type { RunDirs } from "./git-clone.ts";

/** Where a sandboxed run sees its own dir (its checkout, HOME and TMPDIR are below it). */
export const RUN_VIEW = "/tmp/muster-run";

/** The default uid range of a root runner's runs: unused by useradd, systemd's dynamic users and nspawn ranges. */
export const DEFAULT_RUN_UIDS = "2100000000-2100000999";

/** A run's user and group (root runner). */
export interface RunIdentity {
  uid: number;
  gid: number;
}

/**
 * How runs are confined: `uid+namespaces` (root runner), `user-namespaces`
 * (non-root runner), `uid` (root runner, the kernel refused namespaces),
 * `none` (non-root runner, the kernel refused a user namespace).
 */
export type SandboxKind = "uid+namespaces" | "user-namespaces" | "uid" | "none";

/** Who runs run as (root runner): one identity for all, or a range that gives each run its own uid. */
export type RunUsers = { shared: RunIdentity } | { first: number; last: number };

/** What the sandbox needs from the serve configuration. */
export interface SandboxSettings {
  /** The SQLite state dir (hidden from runs), if any. */
  stateDir?: string;
  allowDockerSocket: boolean;
  concurrency: number;
  /** A local repository (MUSTER_ALLOW_LOCAL_REPOS=1): its work tree and git dirs, hidden from runs (they get their clone). */
  localRepo?: { path: string; gitDirs: string[] };
}

/**
 * The mounts inside a run's namespaces, then the drop: `$1` the run's dir
 * (host path), `$2` where the run sees it, `$3` the muster executable (a
 * compiled binary; empty otherwise), then paths to hide up to `--`,
 * then the command. `cd` first: the run's dir stays reachable through the
 * working directory while tmpfs covers its parent, and is bound at `$2`.
 * The executable, opened before the hiding, is bound back read-only at its
 * path (alone: not the directory it was built in).
 */
const MOUNT_SCRIPT = `set -e
root=$1; view=$2; keep=$3; shift 3
cd -- "$root"
if [ -n "$keep" ]; then exec 3<"$keep"; fi
while [ "$1" != -- ]; do
  case "$1" in /tmp|/var/tmp|/dev/shm) o=mode=1777;; *) o=mode=0755,size=1m;; esac
  if [ -d "$1" ]; then mount -t tmpfs -o "$o,nosuid,nodev" muster-hidden "$1"
  elif [ -e "$1" ]; then mount --bind /dev/null "$1"; fi
  shift
done
shift
if [ -n "$keep" ]; then
  if [ ! -e "$keep" ]; then mkdir -p -- "\${keep%/*}"; : > "$keep"; fi
  mount --no-canonicalize --bind /proc/self/fd/3 "$keep"; mount --no-canonicalize -o remount,bind,ro "$keep"
  exec 3<&-
fi
mkdir -p -- "$view"
mount --no-canonicalize --bind . "$view"
cd -- "$view/repo" 2>/dev/null || cd -- "$view"
exec "$@"`;

/**
 * Reads MUSTER_RUN_USER / MUSTER_RUN_UIDS: one identity for all runs, or a
 * range to give each run its own (the default).
 *
 * @example
 * ```ts
 * parseRunUsers({ MUSTER_RUN_UIDS: "3000-3009" }, 2); // { first: 3000, last: 3009 }
 * parseRunUsers({ MUSTER_RUN_USER: "4000:4001" }, 2); // { shared: { uid: 4000, gid: 4001 } }
 * ```
 */
export function parseRunUsers(env: Record<string, string | undefined>, concurrency: number): RunUsers {
  if (env.MUSTER_RUN_USER && env.MUSTER_RUN_UIDS) throw new ConfigError("MUSTER_RUN_USER", "set MUSTER_RUN_USER or MUSTER_RUN_UIDS, not both");
  const user = env.MUSTER_RUN_USER;
  if (user) {
    let identity: RunIdentity | undefined;
    const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
    if (numeric) identity = { uid: Number(numeric[1]), gid: Number(numeric[2] ?? numeric[1]) };
    else {
      const line = readPasswd().find((l) => l.split(":")[0] === user);
      if (!line) throw new ConfigError("MUSTER_RUN_USER", `no user ${JSON.stringify(user)} in /etc/passwd (give a name, a uid or uid:gid)`);
      const fields = line.split(":");
      identity = { uid: Number(fields[2]), gid: Number(fields[3]) };
    }
    if (identity.uid === 0 || identity.gid === 0) throw new ConfigError("MUSTER_RUN_USER", `must not be root (uid or gid 0): current value is ${JSON.stringify(user)}`);
    return { shared: identity };
  }
  const text = env.MUSTER_RUN_UIDS || DEFAULT_RUN_UIDS;
  const range = /^(\d+)-(\d+)$/.exec(text);
  const [first, last] = range ? [Number(range[1]), Number(range[2])] : [NaN, NaN];
  if (!range || first < 1 || last < first || last > 4294967294) {
    throw new ConfigError("MUSTER_RUN_UIDS", `expected FIRST-LAST, uids from 1 to 4294967294: current value is ${JSON.stringify(text)}`);
  }
  if (last - first + 1 < concurrency) throw new ConfigError("MUSTER_RUN_UIDS", `holds ${last - first + 1} uids, fewer than MUSTER_CONCURRENCY (${concurrency}): each running run needs its own`);
  return { first, last };
}

function readPasswd(): string[] {
  try {
    return readFileSync("/etc/passwd", "utf8").split("\n");
  } catch {
    return [];
  }
}

/** The real path of `path`, or undefined when it does not exist. */
function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The real path of muster when it is one executable (a compiled binary), else undefined. */
function compiledSelf(): string | undefined {
  const self = platform.selfCommand();
  return self.length === 1 && isAbsolute(self[0]!) ? real(self[0]!) ?? self[0] : undefined;
}

/** The directories above `path`, nearest first. */
function* ancestors(path: string): Generator<string> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    yield dir;
    if (dir === dirname(dir)) return;
  }
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

/**
 * The sandbox runs are started in, chosen once at start.
 *
 * @example
 * ```ts
 * const sandbox = await RunSandbox.start(platform.env(), { stateDir, allowDockerSocket: false, concurrency: 2 });
 * const identity = sandbox.acquire();
 * await sandbox.hand(dirs, identity);
 * const argv = sandbox.wrap([...platform.selfCommand(), "workflow", "deploy", "-C", sandbox.view(dirs).checkout], dirs.root, identity);
 * sandbox.release(identity);
 * ```
 */
export class RunSandbox {
  readonly kind: SandboxKind;
  /** Why runs are less confined than they should be (one line for the start-up log), if they are. */
  readonly warning?: string;
  #users?: RunUsers;
  #inUse = new Set<number>();
  #hidden: string[];
  #socketGid?: number;
  #me: RunIdentity;
  /** The compiled muster every run starts, by real path (bound back read-only in each run), if muster is one. */
  #executable = compiledSelf();

  private constructor(kind: SandboxKind, warning: string | undefined, users: RunUsers | undefined, hidden: string[], socketGid: number | undefined, me: RunIdentity) {
    this.kind = kind;
    this.warning = warning;
    this.#users = users;
    this.#hidden = hidden;
    this.#socketGid = socketGid;
    this.#me = me;
  }

  /**
   * Reads the settings (ConfigError on a wrong one) and asks the kernel
   * whether the namespaces work, by starting one.
   */
  static async start(env: Record<string, string>, settings: SandboxSettings): Promise<RunSandbox> {
    const info = userInfo();
    const me = { uid: info.uid, gid: info.gid };
    const root = me.uid === 0;
    if (!root && (env.MUSTER_RUN_USER || env.MUSTER_RUN_UIDS)) {
      throw new ConfigError(env.MUSTER_RUN_USER ? "MUSTER_RUN_USER" : "MUSTER_RUN_UIDS", `needs a runner running as root (this one is uid ${me.uid}): a non-root runner confines runs with user namespaces`);
    }
    const users = root ? parseRunUsers(env, settings.concurrency) : undefined;
    const socket = dockerSocket(env);
    let socketGid: number | undefined;
    if (socket && settings.allowDockerSocket) {
      try {
        socketGid = statSync(socket).gid;
      } catch {
        // no socket: nothing to grant
      }
    }
    const hidden = hiddenPaths(env, settings, socket);
    const probe = new RunSandbox(root ? "uid+namespaces" : "user-namespaces", undefined, users, hidden, socketGid, me);
    const failure = await probe.#probe();
    if (!failure) {
      probe.#checkReachable(root);
      return probe;
    }
    if (root) return new RunSandbox("uid", `runs run as their own uid but share the runner's file system view and PID namespace: the kernel refused a mount or PID namespace (${failure})`, users, hidden, socketGid, me);
    return new RunSandbox("none", `runs are NOT sandboxed: they run as the runner's user and can read its state dir, clone credentials and other runs' dirs, because the kernel refused an unprivileged user namespace (${failure}); run the runner as root, or use MUSTER_RUN_ISOLATION=container`, users, hidden, socketGid, me);
  }

  /** Whether runs see their dir at {@linkcode RUN_VIEW} (a mount namespace) rather than at its host path. */
  get namespaced(): boolean {
    return this.kind === "uid+namespaces" || this.kind === "user-namespaces";
  }

  /** Whether runs run as another uid than the runner's (a root runner's always do). */
  get dropsUid(): boolean {
    return this.#users !== undefined;
  }

  /** A uid (and gid) for a run that starts now; undefined for a non-root runner (runs keep its uid). */
  acquire(): RunIdentity | undefined {
    const users = this.#users;
    if (!users) return undefined;
    if ("shared" in users) return users.shared;
    for (let uid = users.first; uid <= users.last; uid++) {
      if (this.#inUse.has(uid)) continue;
      this.#inUse.add(uid);
      return { uid, gid: uid };
    }
    throw new Error(`no free uid in MUSTER_RUN_UIDS (${users.first}-${users.last}): every one is in use by a run`);
  }

  /** Gives a run's uid back once the run (its whole PID namespace) is gone. */
  release(identity: RunIdentity | undefined): void {
    if (identity && this.#users && !("shared" in this.#users)) this.#inUse.delete(identity.uid);
  }

  /**
   * Hands the run's dir to its uid (root runner): what is in it, with
   * `chown -R -h` (never following a symlink), each entry 0700; the dir
   * itself stays the runner's (0711), so that the runner's sweep still
   * judges it as its own.
   */
  async hand(dirs: RunDirs, identity: RunIdentity | undefined): Promise<void> {
    if (!identity) return;
    const { chmod, readdir } = await import("node:fs/promises");
    const entries = (await readdir(dirs.root)).map((name) => join(dirs.root, name));
    await chmod(dirs.root, 0o711);
    const output: string[] = [];
    const outcome = await runProcess(["sh", "-c", 'chown -R -h -P "$0" -- "$@" && chmod 0700 -- "$@"', `${identity.uid}:${identity.gid}`, ...entries], {
      env: { PATH: platform.env().PATH ?? "/usr/bin:/bin" }, stdin: "null", stdout: "null", stderr: (c) => void output.push(new TextDecoder().decode(c)), graceMs: 1000, cancellation: new Cancellation(),
    });
    if (outcome.code !== 0) throw new Error(`could not hand the run dir ${dirs.root} to uid ${identity.uid}: ${output.join("").trim() || `chown exited ${outcome.code}`}`);
  }

  /** The run's dirs as the run sees them. */
  view(dirs: RunDirs): RunDirs {
    if (!this.namespaced) return dirs;
    const at = (path: string) => join(RUN_VIEW, path.slice(dirs.root.length));
    return { root: RUN_VIEW, home: at(dirs.home), checkout: at(dirs.checkout), tmp: at(dirs.tmp) };
  }

  /**
   * The argv that runs `argv` in the sandbox, for the run whose dir is
   * `root` (a host path; the directory holding it is hidden from the run).
   */
  wrap(argv: string[], root: string, identity: RunIdentity | undefined): string[] {
    const drop = identity ? this.#setpriv(identity) : this.namespaced ? ["unshare", "--user", `--map-user=${this.#me.uid}`, `--map-group=${this.#me.gid}`, "--"] : [];
    if (!this.namespaced) return [...drop, ...argv];
    const hide = [...new Set([real(dirname(root)) ?? dirname(root), ...this.#hidden])];
    // Always, hidden or not: a bind mount cannot be written through (ro) nor renamed over, so no run replaces the executable the next runs start.
    const keep = this.#executable ?? "";
    return [
      "unshare", ...(this.kind === "user-namespaces" ? ["--user", "--map-root-user"] : []), "--mount", "--pid", "--ipc", "--fork", "--mount-proc", "--kill-child", "--",
      "sh", "-c", MOUNT_SCRIPT, "muster-sandbox", root, RUN_VIEW, keep, ...hide, "--", ...drop, ...argv,
    ];
  }

  /**
   * Refuses a start whose runs could not start muster itself: its executable
   * (or, under Deno, its script) in a directory the sandbox hides (a build
   * in /tmp), or, for a root runner, not readable by the runs' uids.
   */
  #checkReachable(root: boolean): void {
    for (const path of platform.selfCommand().filter((p) => isAbsolute(p))) {
      const file = real(path) ?? path;
      const hiding = this.#hidden.find((dir) => inside(file, dir));
      // A single executable is bound back into runs (see MOUNT_SCRIPT); a script and its modules (deno run) are not.
      if (hiding && file !== this.#executable) {
        throw new ConfigError("MUSTER_RUN_ISOLATION", `process mode hides ${hiding} from runs, and ${file} (which every run starts) lies in it: install muster outside it (for example in /usr/local/bin), or use MUSTER_RUN_ISOLATION=container`);
      }
      if (root) {
        // Bound back into the run's view, a hidden executable's directories there are the sandbox's (0755), not the host's.
        const closed = hiding && this.namespaced ? undefined : [...ancestors(file)].find((dir) => (statSync(dir).mode & 0o001) === 0);
        if (closed || (statSync(file).mode & 0o005) === 0) {
          throw new ConfigError("MUSTER_RUN_ISOLATION", `runs run as uids of their own, which cannot reach ${file} (which every run starts)${closed ? `: ${closed} is not searchable by others` : ": it is not readable by others"}; install muster where every user can read it (for example in /usr/local/bin)`);
        }
      }
    }
  }

  #setpriv(identity: RunIdentity): string[] {
    const groups = this.#socketGid !== undefined && this.#socketGid !== identity.gid ? [`--groups=${this.#socketGid}`] : ["--clear-groups"];
    return ["setpriv", `--reuid=${identity.uid}`, `--regid=${identity.gid}`, ...groups, "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"];
  }

  /** Starts `true` the way a run starts; the reason it failed, or undefined. */
  async #probe(): Promise<string | undefined> {
    const { mkdtemp, mkdir, rm } = await import("node:fs/promises");
    let dir: string | undefined;
    try {
      dir = await mkdtemp(join(tmpdir(), "muster-sandbox-probe-"));
      await mkdir(join(dir, "repo"));
      const identity = this.acquire();
      const output: string[] = [];
      try {
        if (identity) await this.hand({ root: dir, home: dir, checkout: dir, tmp: dir }, identity);
        const outcome = await runProcess(this.wrap(["sh", "-c", "test ! -e \"$1\"", "probe", dir], dir, identity), {
          env: { PATH: platform.env().PATH ?? "/usr/bin:/bin" }, cwd: dir, stdin: "null", stdout: "null", stderr: (c) => void output.push(new TextDecoder().decode(c)),
          graceMs: 1000, timeoutMs: 20_000, cancellation: new Cancellation(),
        });
        if (outcome.code !== 0) return output.join("").trim().split("\n").slice(-1)[0] || `exit ${outcome.code}`;
        return undefined;
      } finally {
        this.release(identity);
      }
    } catch (error) {
      return (error as Error).message;
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }
}

/** The Docker engine's unix socket on this host (real path), if there is one. */
function dockerSocket(env: Record<string, string>): string | undefined {
  const host = env.DOCKER_HOST;
  if (host && !host.startsWith("unix://")) return undefined;
  return real(host ? host.slice("unix://".length) : "/var/run/docker.sock");
}

/**
 * What a run must not see besides the run dirs' directory: the state dir,
 * shared temp dirs, secret files named by `*_FILE`, the runner's HOME
 * (unless the run needs something in it: the muster executable, a PATH
 * entry, the Docker config), the Docker socket unless allowed, and
 * `MUSTER_RUN_HIDE` (paths separated by `:`).
 */
function hiddenPaths(env: Record<string, string>, settings: SandboxSettings, socket: string | undefined): string[] {
  const paths: string[] = [];
  const add = (path: string | undefined) => {
    const resolved = path && isAbsolute(path) ? real(path) : undefined;
    if (resolved && resolved !== "/") paths.push(resolved);
  };
  add(settings.stateDir);
  // Where git-clone.ts keeps a clone's credentials while git runs (beside the run dirs, whose directory is hidden too).
  add(tmpdir());
  for (const [key, value] of Object.entries(env)) if (key.endsWith("_FILE")) add(value);
  for (const path of (env.MUSTER_RUN_HIDE ?? "").split(":")) add(path);
  const home = real(env.HOME || homedir());
  if (home && home !== "/") {
    const needed = [...platform.selfCommand(), ...(env.PATH ?? "").split(":"), env.DOCKER_CONFIG, env.DOCKER_CERT_PATH, env.ATMOS_BIN]
      .filter((p): p is string => !!p && isAbsolute(p))
      .map((p) => real(p) ?? p);
    if (!needed.some((p) => inside(p, home))) paths.push(home);
  }
  if (socket && !settings.allowDockerSocket) paths.push(socket);
  if (settings.localRepo) {
    // The run gets its clone, never the operator's repository: its work tree (uncommitted files) and its git dir (hooks
    // a run could plant there would run as the operator). The work tree stays when the run needs something in it (muster).
    const needed = [...platform.selfCommand(), ...(env.PATH ?? "").split(":")].filter((p) => isAbsolute(p)).map((p) => real(p) ?? p);
    const tree = settings.localRepo.path;
    if (!needed.some((p) => inside(p, tree))) paths.push(tree);
    for (const dir of settings.localRepo.gitDirs) if (!paths.some((p) => inside(dir, p))) paths.push(dir);
  }
  for (const shared of ["/tmp", "/var/tmp", "/dev/shm"]) if (existsSync(shared)) paths.push(real(shared) ?? shared);
  return paths;
}
