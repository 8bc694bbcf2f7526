/**
 * End-to-end: what a process-mode run of `muster serve` can reach, with the
 * runner as root and as `nobody` (issue 26 item 2, findings S1, S2, S4,
 * S12). Each run hunts for the runner's store, clone credentials, other
 * runs' dirs and the runner's `/proc` entries, and prints a count of what
 * it could read; the test asserts 0, while the same runners still clone
 * (HTTPS with a token, SSH with a key), run and call back. All on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, musterBin, tempDir } from "./helpers.ts";
import { buildRunImage, makeRepository, startCallbackReceiver, startGitHttps, startRunner, startSshd } from "./serve-fixtures.ts";

const TOKEN = "runner-token-sandbox-5b7e1f0c2a";
const GIT_USER = "deployer";
const GIT_TOKEN = "ghp_FAKEPAT0123456789abcdefSANDBOX";
const NOBODY = 65534;
const tmp = tempDir("muster-sbx-test-");
chmodSync(tmp.path, 0o755);

/**
 * `hunt` prints `readable: N` and what it read. Its vars: `state` and
 * `tmp`, the runner's state dir and TMPDIR as host paths; `na`/`nb`, two
 * halves of the runner token (assembled only in a file, so that the hunt's
 * own argv and environ hold no whole needle); `secret`, a value that must
 * be in no process's cmdline.
 */
const WORKFLOWS = `workflows:
  hunt:
    steps:
      - name: hunt
        type: shell
        command: |
          n=0; seen=""
          hit() { n=$((n+1)); seen="$seen $1"; }
          needles="$TMPDIR/needles"; printf '%s%s\\n' "$MUSTER_VAR_na" "$MUSTER_VAR_nb" > "$needles"
          secret="$TMPDIR/secret"; printf '%s\\n' "$MUSTER_VAR_secret" > "$secret"
          state="$MUSTER_VAR_state"; runs="$MUSTER_VAR_tmp"
          # The store: runs.db and its journal, in the state dir or anywhere else on the file system.
          for f in "$state"/* "$state"/.[!.]*; do [ -e "$f" ] && [ -r "$f" ] && hit "$f"; done
          for f in $(find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o \\( -name 'runs.db*' -o -name 'muster-secrets-*' \\) -print 2>/dev/null); do
            case "$f" in *muster-sbx-test-*) [ -r "$f" ] && hit "$f";; esac
          done
          # Other runs' dirs and clone credentials, beside the runner's run dirs and above this run's TMPDIR.
          for d in "$runs"/muster-run-* "$runs"/muster-secrets-* "$(dirname "$(dirname "$TMPDIR")")"/muster-run-* "$(dirname "$(dirname "$TMPDIR")")"/muster-secrets-*; do
            [ -e "$d" ] && { [ -r "$d" ] || [ -x "$d" ]; } && hit "$d"
          done
          # The runner's /proc: its environ (the token), its command line (visible at all).
          for e in /proc/[0-9]*/environ; do grep -qaF -f "$needles" "$e" 2>/dev/null && hit "$e"; done
          for c in /proc/[0-9]*/cmdline; do [ "$(tr '\\0' '\\n' < "$c" 2>/dev/null | sed -n 2p)" = serve ] && hit "$c"; done
          # A var's value in a command line.
          for c in /proc/[0-9]*/cmdline; do grep -qaF -f "$secret" "$c" 2>/dev/null && hit "cmdline-secret:$c"; done
          # Unmounting what hides the runner's files, directly and from a new user namespace.
          umount "$state" 2>/dev/null && hit umount-state
          umount /tmp 2>/dev/null && hit umount-tmp
          unshare -Urm sh -c 'umount /tmp || umount -l /tmp' 2>/dev/null && hit umount-nested
          # The Docker socket (not allowed by this runner).
          [ -S /var/run/docker.sock ] && [ -w /var/run/docker.sock ] && hit docker-socket
          echo "uid: $(id -u) checkout: $PWD"
          echo "readable: $n$seen"
  race:
    steps:
      - name: race
        type: shell
        command: |
          # S2: wait for other runs' clones and copy their credentials while git runs; stopped by a cancel.
          runs="$MUSTER_VAR_tmp"; up="$(dirname "$(dirname "$TMPDIR")")"; n=0; loops=0
          trap 'echo "loops: $loops"; echo "credentials read: $n"; exit 0' TERM
          echo "racing as $(id -u)"
          while :; do
            loops=$((loops+1))
            for d in "$runs"/muster-secrets-* "$up"/muster-secrets-* /tmp/muster-secrets-*; do
              for f in "$d"/token "$d"/id_key "$d"/askpass; do [ -r "$f" ] && [ -s "$f" ] && { n=$((n+1)); echo "read $f"; }; done
            done
          done
  engine:
    steps:
      - { name: ctr, type: container, with: { image: muster-test/busybox:1, command: ["true"] } }
  hold:
    steps:
      - { name: hold, type: shell, command: 'echo "holding $MUSTER_VAR_secret" | wc -c; sleep 120' }
  hello:
    steps:
      - { name: greet, type: shell, command: "echo hello from $(id -u)" }
  refuse:
    steps:
      - { name: quota, type: exit, code: 4, content: "quota for {{ .vars.who }} is used up" }
  forge:
    steps:
      - name: forge
        type: shell
        command: |
          # The run's events file (beside its HOME, where its muster writes it), replaced by what would hurt a runner that trusted it.
          ev="$(dirname "$HOME")/events.ndjson"
          if rm -f "$ev" 2>/dev/null; then
            case "$MUSTER_VAR_as" in link) ln -s "$MUSTER_VAR_state/runs.db" "$ev" ;; fifo) mkfifo "$ev" ;; esac
            echo "replaced: $MUSTER_VAR_as"
          else echo "replaced: no"; fi
          exit 3
  tamper:
    steps:
      - name: tamper
        type: shell
        command: |
          # The runner's own executable: visible (the run started from it), never writable.
          if [ -x "$MUSTER_VAR_exe" ]; then echo "exe: visible"; fi
          ( : >> "$MUSTER_VAR_exe" ) 2>/dev/null && echo "exe: writable" || echo "exe: not writable"
          d=$(dirname "$MUSTER_VAR_exe")
          ( echo evil > "$d/.evil" && mv -f "$d/.evil" "$MUSTER_VAR_exe" ) 2>/dev/null && echo "exe: replaced" || echo "exe: not replaced"
          ls /tmp | grep -c . | sed 's/^/tmp entries: /'
`;

let sshd: Awaited<ReturnType<typeof startSshd>>;
let https: Awaited<ReturnType<typeof startGitHttps>>;
let bare: string;
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];

beforeAll(async () => {
  bare = makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS });
  // Readable by nobody's git too: the SSH server serves the bare repository as root, the HTTPS one as the test.
  sshd = await startSshd(join(tmp.path, "ssh"));
  https = await startGitHttps(join(tmp.path, "https"), tmp.path, { user: GIT_USER, password: GIT_TOKEN });
});
afterAll(async () => {
  try {
    for (const r of runners) r.proc.kill("SIGTERM");
    await Promise.all(runners.map((r) => Promise.race([r.proc.exited, Bun.sleep(10_000).then(() => r.proc.kill("SIGKILL"))])));
  } finally {
    await sshd?.stop();
    https?.stop();
    callbacks.stop();
    tmp.cleanup();
  }
}, 30_000);

let seq = 0;
const newRunId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;
function dispatch(base: string, body: Record<string, unknown>) {
  return fetch(`${base}/dispatch`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ callbackUrl: callbacks.url(), ...body }),
  });
}

/**
 * `nest.sh N CMD...` runs CMD N user namespaces deep (uids and gids 0-65535
 * mapped through, SIGTERM passed on). The kernel allows 32 levels: at 33,
 * CMD cannot create a user namespace, as on a kernel that refuses them.
 */
const NEST = `if [ "$1" -eq 0 ]; then shift; exec "$@"; fi
n=$(( $1 - 1 )); shift
unshare --user sh -c 'while ! grep -q . /proc/self/gid_map; do sleep 0.01; done; exec sh "$0" "$@"' "$0" "$n" "$@" &
p=$!
while [ "$(readlink /proc/$p/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done
echo "0 0 65536" > /proc/$p/uid_map && echo "0 0 65536" > /proc/$p/gid_map
trap 'kill -TERM $p' TERM INT
wait $p; wait $p
`;

type Clone = "https" | "ssh";
/** A runner (as root, or as nobody with its TMPDIR and state dir nobody's) cloning over `clone`. */
async function runner(tag: string, clone: Clone, uid?: number, extra: Record<string, string> = {}, prefix: string[] = [], bin?: string) {
  const runnerTmp = join(tmp.path, `runner-${tag}`);
  const state = join(tmp.path, `state-${tag}`);
  mkdirSync(runnerTmp, { mode: 0o700 });
  mkdirSync(state, { mode: 0o700 });
  if (uid !== undefined) for (const dir of [runnerTmp, state]) chownSync(dir, uid, uid);
  const repo: Record<string, string> = clone === "https"
    ? { ATMOS_REPO_URL: `https://127.0.0.1:${https.port}/repo.git`, MUSTER_GIT_CA_FILE: https.caFile, MUSTER_GIT_USERNAME: GIT_USER, MUSTER_GIT_TOKEN: GIT_TOKEN }
    : { ATMOS_REPO_URL: `ssh://root@127.0.0.1:${sshd.port}${bare}`, GIT_SSH_KEY: sshd.clientKey, ATMOS_REPO_KNOWN_HOSTS: sshd.knownHosts };
  const r = await startRunner({
    RUNNER_AUTH_TOKEN: TOKEN, ...repo, MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1", MUSTER_CALLBACK_BASE_DELAY_MS: "20",
    TMPDIR: runnerTmp, MUSTER_STATE_DIR: state, MUSTER_CONCURRENCY: "4", ...extra,
  }, { uid, prefix, bin });
  runners.push(r);
  expect(r.port).toBeGreaterThan(0);
  return { ...r, tmp: runnerTmp, state };
}

/** Every process's command line on the host, joined. */
function hostCmdlines(): string {
  let all = "";
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      all += readFileSync(`/proc/${pid}/cmdline`, "latin1") + "\n";
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** Dispatches `hunt` and returns its callback, watching every host command line for the secret var while it runs. */
async function hunt(r: Awaited<ReturnType<typeof runner>>, tag: string) {
  const id = newRunId(`hunt-${tag}`);
  const secret = `var-secret-${crypto.randomUUID()}`;
  const half = TOKEN.length >> 1;
  const vars = { state: r.state, tmp: r.tmp, na: TOKEN.slice(0, half), nb: TOKEN.slice(half), secret };
  expect((await dispatch(r.base, { runId: id, workflow: "hunt", vars })).status).toBe(202);
  let onArgv = 0;
  let body: Record<string, unknown> | undefined;
  while (!body) {
    if (hostCmdlines().includes(secret)) onArgv++;
    body = callbacks.received.findLast((c) => c.body.runId === id)?.body;
    if (!body) await Bun.sleep(20);
  }
  return { body, onArgv, log: String(body.logTail) };
}

/** Runs `race`, clones `n` hello runs while it races, cancels it; returns its log and the hello callbacks. */
async function race(r: Awaited<ReturnType<typeof runner>>, tag: string, n = 4) {
  const id = newRunId(`race-${tag}`);
  expect((await dispatch(r.base, { runId: id, workflow: "race", vars: { tmp: r.tmp } })).status).toBe(202);
  // The race is on once its run dir holds its checkout (the clone is done) and its shell runs.
  expect(await eventually(() => readdirSync(r.tmp).some((d) => existsSync(join(r.tmp, d, "repo", "workflows.yaml"))), 30_000)).toBe(true);
  const hellos = Array.from({ length: n }, (_, i) => newRunId(`hello-${tag}-${i}`));
  for (const hello of hellos) expect((await dispatch(r.base, { runId: hello, workflow: "hello" })).status).toBe(202);
  const done = await Promise.all(hellos.map((hello) => callbacks.waitFor(hello, 60_000)));
  await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  const raced = await callbacks.waitFor(id, 60_000);
  return { raced, log: String(raced.logTail), done };
}

test("a root runner's process-mode run reaches the Docker engine only with MUSTER_ALLOW_DOCKER_SOCKET=1 (then it is root on the host)", async () => {
  const closed = await runner("engine-closed", "https");
  const open = await runner("engine-open", "https", undefined, { MUSTER_ALLOW_DOCKER_SOCKET: "1" });
  const [a, b] = [newRunId("engine-closed"), newRunId("engine-open")];
  expect((await dispatch(closed.base, { runId: a, workflow: "engine" })).status).toBe(202);
  expect((await dispatch(open.base, { runId: b, workflow: "engine" })).status).toBe(202);
  const refused = await callbacks.waitFor(a, 60_000);
  expect(refused.status).toBe("failed");
  expect(String(refused.logTail)).toContain("cannot reach the Docker engine");
  expect((await callbacks.waitFor(b, 60_000)).status).toBe("succeeded");
}, 90_000);

describe.each([
  ["root", undefined, "uid+namespaces"],
  ["nobody", NOBODY, "user-namespaces"],
] as const)("a process-mode run of a runner as %s", (who, uid, kind) => {
  test.each(["https", "ssh"] as const)(`clones over %s, runs and calls back; finds nothing of the runner's it can read (${kind})`, async (clone) => {
    const r = await runner(`${who}-${clone}`, clone, uid);
    const listening = r.lines.find((l) => l.msg === "listening");
    expect(listening).toMatchObject({ memoryClosed: true, sandbox: kind });
    expect(r.lines.filter((l) => l.level === "warn")).toEqual([]);
    const { body, onArgv, log } = await hunt(r, `${who}-${clone}`);
    expect({ status: body.status, error: body.error }).toEqual({ status: "succeeded", error: null });
    expect(log).toContain("readable: 0\n");
    expect(log).toContain("checkout: /tmp/muster-run/repo");
    // A root runner's run has a uid of its own; a non-root runner's keeps the runner's.
    const runUid = Number(/uid: (\d+)/.exec(log)?.[1]);
    if (uid === undefined) expect(runUid).toBeGreaterThanOrEqual(2100000000);
    else expect(runUid).toBe(uid);
    expect(onArgv).toBe(0);
  }, 90_000);

  test("a failed run's error carries its failing step's own reason (from the run's events); a run that replaces its events file gets the exit code, and the runner neither follows a link nor waits on a FIFO", async () => {
    const r = await runner(`${who}-events`, "https", uid);
    const id = newRunId(`refuse-${who}`);
    expect((await dispatch(r.base, { runId: id, workflow: "refuse", vars: { who: "team-blue" } })).status).toBe(202);
    const refused = await callbacks.waitFor(id, 60_000);
    expect(refused).toMatchObject({ status: "failed", exitCode: 4 });
    expect(String(refused.error)).toMatch(/^workflow refuse failed at step "quota" \(exit 4\) after .+: exit 4: quota for team-blue is used up$/);
    for (const as of ["link", "fifo"]) {
      const forged = newRunId(`forge-${who}-${as}`);
      expect((await dispatch(r.base, { runId: forged, workflow: "forge", vars: { as, state: r.state } })).status).toBe(202);
      const body = await callbacks.waitFor(forged, 60_000);
      // A root runner's run cannot touch the file (its dir is the runner's); a non-root runner's can, and is reported by its exit code alone.
      expect(String(body.logTail)).toContain(uid === undefined ? "replaced: no" : `replaced: ${as}`);
      expect(body).toMatchObject({ status: "failed", exitCode: 3 });
      expect(String(body.error)).toMatch(uid === undefined ? /^workflow forge failed at step "forge" \(exit 3\)/ : /^workflow "forge" exited with code 3$/);
    }
    expect(await eventually(() => readdirSync(r.tmp).filter((d) => d.startsWith("muster-run-")).length === 0, 10_000)).toBe(true);
  }, 120_000);

  test("a run racing concurrent clones (HTTPS token, then SSH key) reads none of their credentials", async () => {
    for (const clone of ["https", "ssh"] as const) {
      const r = await runner(`${who}-race-${clone}`, clone, uid);
      const { raced, log, done } = await race(r, `${who}-${clone}`);
      expect(raced.status).toBe("canceled");
      expect(Number(/loops: (\d+)/.exec(log)?.[1])).toBeGreaterThan(0);
      expect(log).toContain("credentials read: 0");
      for (const hello of done) expect(hello).toMatchObject({ status: "succeeded" });
      // A root runner gives concurrent runs distinct uids: no hello ran as the racing run's.
      const racer = /racing as (\d+)/.exec(log)?.[1];
      const uids = done.map((h) => /hello from (\d+)/.exec(String(h.logTail))?.[1]);
      if (uid === undefined) expect(uids).not.toContain(racer);
      else expect(new Set([...uids, racer])).toEqual(new Set([String(uid)]));
    }
  }, 180_000);
});

test("a runner started from a binary it owns under /tmp: its runs start from it, and none can rewrite it", async () => {
  // /tmp is hidden from runs; the executable is bound back, read-only, at its own path.
  const binDir = join(tmp.path, "nobody-bin");
  mkdirSync(binDir, { mode: 0o755 });
  const exe = join(binDir, "muster");
  copyFileSync(musterBin, exe);
  chmodSync(exe, 0o755);
  chownSync(binDir, NOBODY, NOBODY);
  chownSync(exe, NOBODY, NOBODY);
  const r = await runner("nobody-own-bin", "https", NOBODY, {}, [], exe);
  expect(r.lines.find((l) => l.msg === "listening")).toMatchObject({ sandbox: "user-namespaces" });
  const id = newRunId("tamper");
  expect((await dispatch(r.base, { runId: id, workflow: "tamper", vars: { exe } })).status).toBe(202);
  const body = await callbacks.waitFor(id, 60_000);
  expect({ status: body.status, error: body.error, log: body.status === "succeeded" ? "" : body.logTail }).toEqual({ status: "succeeded", error: null, log: "" });
  expect(String(body.logTail)).toContain("exe: visible\nexe: not writable\nexe: not replaced\n");
  expect(readFileSync(exe).equals(readFileSync(musterBin))).toBe(true);
  // What the run sees of /tmp: its own view (muster-run) and the path down to the executable, nothing else.
  expect(String(body.logTail)).toContain("tmp entries: 2\n");
}, 90_000);

test("a runner as nobody where the kernel refuses user namespaces says so in one warning line; its runs are not sandboxed (the threat model's 'open' row)", async () => {
  const nest = join(tmp.path, "nest.sh");
  await Bun.write(nest, NEST);
  const r = await runner("nobody-no-userns", "https", NOBODY, {}, ["sh", nest, "33"]);
  const listening = r.lines.find((l) => l.msg === "listening");
  expect(listening).toMatchObject({ memoryClosed: true, sandbox: "none" });
  const warnings = r.lines.filter((l) => l.level === "warn");
  expect(warnings).toHaveLength(1);
  expect(String(warnings[0]!.msg)).toContain("runs are NOT sandboxed");
  expect(String(warnings[0]!.msg)).toContain("unprivileged user namespace");
  const { body, log } = await hunt(r, "no-userns");
  expect(body.status).toBe("succeeded");
  // Open, as the table says: the store and the run dirs; closed still: the runner's environ (non-dumpable).
  expect(log).toContain(`${r.state}/runs.db `);
  expect(log).not.toMatch(/\/proc\/\d+\/environ/);
}, 90_000);

test("S12: with MUSTER_RUN_ISOLATION=container a var is in no part of the run container's command (docker inspect), only its environment", async () => {
  const image = "muster-test/sandbox-run:1";
  buildRunImage(join(tmp.path, "run-image"), image);
  try {
    const r = await runner("container", "https", undefined, { MUSTER_RUN_ISOLATION: "container", MUSTER_RUN_IMAGE: image, MUSTER_RUN_BIN: "/usr/local/bin/muster" });
    const id = newRunId("container-var");
    const secret = `var-secret-${crypto.randomUUID()}`;
    expect((await dispatch(r.base, { runId: id, workflow: "hold", vars: { secret } })).status).toBe(202);
    const container = () => Bun.spawnSync(["docker", "ps", "-q", "--filter", `label=dev.muster.dispatch=${id}`]).stdout.toString().trim();
    expect(await eventually(() => container() !== "", 60_000, 100)).toBe(true);
    const [inspected] = JSON.parse(Bun.spawnSync(["docker", "inspect", container()]).stdout.toString()) as Array<{ Config: { Cmd: string[]; Entrypoint: string[] | null; Env: string[] }; Args: string[]; Path: string }>;
    expect(JSON.stringify([inspected!.Path, inspected!.Args, inspected!.Config.Cmd, inspected!.Config.Entrypoint])).not.toContain(secret);
    expect(inspected!.Config.Cmd).not.toContain("--var");
    expect(inspected!.Config.Env).toContain(`MUSTER_VAR_secret=${secret}`);
    // The events file alone is bound into the run's container (never the run dir that holds it).
    const binds = (inspected as unknown as { HostConfig: { Binds: string[] } }).HostConfig.Binds;
    expect(binds.filter((b) => b.endsWith(":/muster/events.ndjson"))).toHaveLength(1);
    expect(hostCmdlines()).not.toContain(secret);
    // The run itself started (its workflow file parses: the container above is not an early failure); the cancel stops it.
    expect(await eventually(() => r.lines.some((l) => l.msg === "run started" && l.runId === id), 10_000)).toBe(true);
    await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await callbacks.waitFor(id, 60_000)).status).toBe("canceled");
    // A failed container-mode run's error carries its step's own reason, read from the events file the run wrote through that bind.
    const refused = newRunId("container-refuse");
    expect((await dispatch(r.base, { runId: refused, workflow: "refuse", vars: { who: "team-red" } })).status).toBe(202);
    expect(String((await callbacks.waitFor(refused, 60_000)).error)).toMatch(/^workflow refuse failed at step "quota" \(exit 4\) after .+: exit 4: quota for team-red is used up$/);
  } finally {
    Bun.spawnSync(["docker", "rmi", "-f", image]);
  }
}, 120_000);
