/**
 * End-to-end: `muster serve` with a real git server (SSH and HTTPS), a real
 * callback receiver and the compiled binary, all on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, muster, processesMatching, tempDir, tagged, RUN_TAG } from "./helpers.ts";
import { buildRunImage, makeRepository, startCallbackReceiver, startGitHttps, startRunner, startSshd } from "./serve-fixtures.ts";

const TOKEN = "runner-token-4f1c2b9e7d5a3c1e";
const CALLBACK_TOKEN = "callback-token-9a8b7c6d5e4f";
const tmp = tempDir("muster-serve-test-");
const WORKFLOWS = `workflows:
  hello:
    steps:
      - { name: greet, type: shell, command: "echo hello {{ .vars.who | quote }}; echo \\"quoted env: $MUSTER_VAR_who\\"" }
  fail:
    steps:
      - { name: broken, type: shell, command: "echo about to fail; exit 3" }
  refused:
    steps:
      - { name: setup, type: shell, command: "true" }
      - { name: quota, type: exit, code: 4, content: "quota for {{ .vars.who }} is used up" }
  env:
    steps:
      - { name: dump, type: shell, command: "env | sort; ls -a $HOME" }
  slow:
    steps:
      - { name: wait, type: shell, command: "sleep {{ .vars.seconds | default \\"30\\" }}" }
  hostmount:
    steps:
      - { name: rootfs, type: container, with: { image: muster-test/busybox:1, command: ["cat", "/host/etc/hostname"], volumes: [{ source: /, target: /host, read_only: true }] } }
  socket:
    steps:
      - { name: sock, type: container, with: { image: muster-test/busybox:1, command: ["test", "-S", "/var/run/docker.sock"], volumes: [{ source: /var/run/docker.sock, target: /var/run/docker.sock }] } }
  victim:
    steps:
      - { name: hold, type: shell, command: "sleep 6" }
      - { name: read, type: shell, command: "grep -c 'name: hold' workflows.yaml || echo TAMPERED" }
  tamper:
    steps:
      - name: write
        type: shell
        command: |
          n=0
          # Where runs live when they share the runner's user: beside this one, under the runner's TMPDIR.
          for f in "$(dirname "$(dirname "$TMPDIR")")"/muster-run-*/repo/workflows.yaml; do
            [ -f "$f" ] || continue
            case "$f" in "$PWD"/*) continue;; esac
            echo "workflows: {}" > "$f" 2>/dev/null && n=$((n+1))
          done
          echo "tampered with $n"
  scan:
    steps:
      - name: look
        type: shell
        command: |
          # The needles are assembled here, never whole in an argv or environment that the scan would find.
          needles="$TMPDIR/needles"; printf '%s%s\\n%s%s\\n' "$MUSTER_VAR_a" "$MUSTER_VAR_b" "$MUSTER_VAR_c" "$MUSTER_VAR_d" > "$needles"
          found=""
          for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline /proc/[0-9]*/mem; do
            if [ "$f" != "/proc/$$/environ" ] && grep -qaF -f "$needles" "$f" 2>/dev/null; then found="$found $f"; fi
          done
          own=$(basename "$(dirname "$TMPDIR")")
          # In a run's container TMPDIR is /tmp and there is no runner directory to scan.
          if [ "$TMPDIR" != /tmp ] && grep -rqaF -f "$needles" --exclude-dir="$own" "$(dirname "$(dirname "$TMPDIR")")" 2>/dev/null; then found="$found the-runner-tmpdir"; fi
          echo "found:\${found:- nothing}"
  svc:
    steps:
      - name: db
        type: container
        background: true
        with: { image: muster-test/busybox:1, command: ["sh", "-c", "trap '' TERM; echo up > /tmp/up; while true; do sleep 1; done"], healthcheck: { test: "cat /tmp/up", interval: 100ms }, stop_timeout: 30s }
      - { name: hold, type: shell, command: "sleep {{ .vars.seconds | default \\"1042\\" }}" }
`;

let sshd: Awaited<ReturnType<typeof startSshd>>;
let https: Awaited<ReturnType<typeof startGitHttps>>;
let bare: string;
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];

beforeAll(async () => {
  // leak.yaml points out of the checkout: a dispatch naming it must be refused, not read.
  bare = makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS }, { "leak.yaml": "/etc/passwd" });
  sshd = await startSshd(join(tmp.path, "ssh"));
  https = await startGitHttps(join(tmp.path, "https"), tmp.path);
});
afterAll(async () => {
  try {
    // A graceful stop lets runners cancel their runs and remove their temp dirs.
    for (const r of runners) r.proc.kill("SIGTERM");
    await Promise.all(runners.map((r) => Promise.race([r.proc.exited, Bun.sleep(10_000).then(() => r.proc.kill("SIGKILL"))])));
  } finally {
    await sshd?.stop();
    https?.stop();
    callbacks.stop();
    tmp.cleanup();
  }
}, 30_000);

const sshEnv = () => ({
  RUNNER_AUTH_TOKEN: TOKEN,
  ATMOS_REPO_URL: `ssh://root@127.0.0.1:${sshd.port}${bare}`,
  GIT_SSH_KEY: sshd.clientKey,
  ATMOS_REPO_KNOWN_HOSTS: sshd.knownHosts,
  MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1",
  MUSTER_CALLBACK_BASE_DELAY_MS: "20",
});
/** The runners' own TMPDIR: run dirs are looked for there, not in a /tmp that other processes share. */
const runnerTmp = join(tmp.path, "runner-tmp");
mkdirSync(runnerTmp, { recursive: true });
async function runner(env: Record<string, string>, options: { uid?: number; prefix?: string[] } = {}) {
  const r = await startRunner({ TMPDIR: runnerTmp, ...env }, options);
  runners.push(r);
  expect(r.port).toBeGreaterThan(0);
  return r;
}
let seq = 0;
const newRunId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;
function dispatch(base: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/dispatch`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
const runDirs = () => readdirSync(runnerTmp).filter((d) => d.startsWith("muster-run-"));

describe("running dispatches", () => {
  test("success and failure over SSH: callbacks with the right body, temp dirs removed", async () => {
    const r = await runner(sshEnv());
    const ok = newRunId("ok");
    const bad = newRunId("bad");
    // A command substitution whose output, were it run, would show in the log outside the payload's own text.
    const marker = `muster-pwned-${RUN_TAG}`;
    const payload = `$(echo ${marker})`;
    const first = await dispatch(r.base, { runId: ok, workflow: "hello", vars: { who: payload }, callbackUrl: callbacks.url("/cb/ok"), callbackToken: CALLBACK_TOKEN });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ runId: ok, status: "queued" });
    expect((await dispatch(r.base, { runId: bad, workflow: "fail", callbackUrl: callbacks.url(), callbackToken: CALLBACK_TOKEN })).status).toBe(202);
    const refused = newRunId("refused");
    expect((await dispatch(r.base, { runId: refused, workflow: "refused", vars: { who: "team-blue" }, callbackUrl: callbacks.url(), callbackToken: CALLBACK_TOKEN })).status).toBe(202);

    const success = await callbacks.waitFor(ok);
    expect(success).toMatchObject({ runId: ok, status: "succeeded", exitCode: 0, error: null });
    expect(new Date(success.startedAt as string).getTime()).toBeLessThanOrEqual(new Date(success.finishedAt as string).getTime());
    expect(success.durationMs).toBeGreaterThan(0);
    expect(success.logTail).toContain(`hello ${payload}`);
    expect(success.logTail).toContain(`quoted env: ${payload}`);
    // The marker appears only inside the payload's text: the substitution never ran.
    expect(String(success.logTail).replaceAll(payload, "")).not.toContain(marker);
    expect(callbacks.received.find((c) => c.body.runId === ok)!.authorization).toBe(`Bearer ${CALLBACK_TOKEN}`);

    const failure = await callbacks.waitFor(bad);
    expect(failure).toMatchObject({ runId: bad, status: "failed", exitCode: 3 });
    // The run's own words, not only its exit code.
    expect(failure.error).toMatch(/^workflow fail failed at step "broken" \(exit 3\) after \d/);
    expect(failure.logTail).toContain("about to fail");
    // The failing step's own reason, read from the child's run events (its step.end), after the run.end's summary.
    const denied = await callbacks.waitFor(refused);
    expect(denied).toMatchObject({ runId: refused, status: "failed", exitCode: 4 });
    expect(denied.error).toMatch(/^workflow refused failed at step "quota" \(exit 4\) after \d[^:]*: exit 4: quota for team-blue is used up$/);
    // The runner's own log keeps the summary: the step's words (which may quote the dispatch's vars) go only to the run's state and callback.
    const finished = r.lines.find((l) => l.msg === "run finished" && l.runId === refused);
    expect(String(finished?.error)).toStartWith('workflow refused failed at step "quota" (exit 4)');
    expect(r.log).not.toContain("team-blue");

    // The receiver can see the callback a moment before the runner records that it was delivered.
    const stateOf = async () => (await fetch(`${r.base}/runs/${ok}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(await eventually(async () => (await stateOf()).callback !== null, 3000)).toBe(true);
    expect(await stateOf()).toMatchObject({ runId: ok, status: "succeeded", callback: { delivered: true, attempts: 1 } });
    expect(await eventually(() => runDirs().length === 0, 3000)).toBe(true);
  });

  test("a clone over HTTPS (git http-backend behind TLS, trusted through MUSTER_GIT_CA_FILE)", async () => {
    const r = await runner({ ...sshEnv(), ATMOS_REPO_URL: `https://127.0.0.1:${https.port}/repo.git`, MUSTER_GIT_CA_FILE: https.caFile, GIT_SSH_KEY: "", ATMOS_REPO_KNOWN_HOSTS: "" });
    const id = newRunId("https");
    expect((await dispatch(r.base, { runId: id, workflow: "hello", vars: { who: "tls" }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await callbacks.waitFor(id)).toMatchObject({ status: "succeeded", exitCode: 0 });
  });

  test("the wrong known_hosts refuses the clone: host-key checking is never disabled", async () => {
    const r = await runner({ ...sshEnv(), ATMOS_REPO_KNOWN_HOSTS: sshd.wrongKnownHosts });
    const id = newRunId("hostkey");
    await dispatch(r.base, { runId: id, workflow: "hello", callbackUrl: callbacks.url() });
    const body = await callbacks.waitFor(id);
    expect(body.status).toBe("failed");
    expect(body.error).toContain("git clone failed");
    expect(body.error).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  test("a duplicate runId returns the existing run and never starts a second one", async () => {
    const r = await runner(sshEnv());
    const id = newRunId("dup");
    const payload = { runId: id, workflow: "slow", vars: { seconds: "1" }, callbackUrl: callbacks.url() };
    expect((await dispatch(r.base, payload)).status).toBe(202);
    const again = await dispatch(r.base, payload);
    expect(again.status).toBe(200);
    expect((await again.json()).runId).toBe(id);
    await callbacks.waitFor(id);
    const third = await dispatch(r.base, payload);
    expect((await third.json()).status).toBe("succeeded");
    expect(r.lines.filter((l) => l.msg === "run started" && l.runId === id).length).toBe(1);
    expect(callbacks.received.filter((c) => c.body.runId === id).length).toBe(1);
  });

  test("cancel: the run stops, its callback says canceled, nothing is left", async () => {
    const r = await runner(sshEnv());
    const id = newRunId("cancel");
    await dispatch(r.base, { runId: id, workflow: "slow", vars: { seconds: tagged(1041) }, callbackUrl: callbacks.url() });
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1041)}`)).length > 0, 10_000)).toBe(true);
    const canceled = await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(canceled.status).toBe(202);
    expect(await callbacks.waitFor(id)).toMatchObject({ status: "canceled", error: "canceled by request" });
    expect(await processesMatching(`sleep ${tagged(1041)}`)).toEqual([]);
    expect(await eventually(() => runDirs().length === 0, 3000)).toBe(true);
    const late = await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(late.status).toBe(409);
  });

  test("runs for the same stack never overlap; other stacks run alongside", async () => {
    const r = await runner({ ...sshEnv(), MUSTER_CONCURRENCY: "3" });
    const ids = [newRunId("stackA"), newRunId("stackA"), newRunId("stackB")];
    const stacks = ["prod", "prod", "dev"];
    for (const [i, id] of ids.entries()) {
      expect((await dispatch(r.base, { runId: id, workflow: "slow", stack: stacks[i], vars: { seconds: "0.7" }, callbackUrl: callbacks.url() })).status).toBe(202);
    }
    const bodies = await Promise.all(ids.map((id) => callbacks.waitFor(id)));
    const span = (b: Record<string, unknown>) => [Date.parse(b.startedAt as string), Date.parse(b.finishedAt as string)] as const;
    const [a, b, c] = bodies.map(span);
    // The two prod runs one after the other; the dev run alongside the first.
    expect(a![1] <= b![0] || b![1] <= a![0]).toBe(true);
    expect(c![0] < Math.max(a![1], b![1])).toBe(true);
  });

  test("tokens and keys never appear in logs, callbacks or the run's environment", async () => {
    const r = await runner(sshEnv());
    const id = newRunId("secrets");
    await dispatch(r.base, { runId: id, workflow: "env", callbackUrl: callbacks.url(), callbackToken: CALLBACK_TOKEN });
    const body = await callbacks.waitFor(id);
    expect(body.status).toBe("succeeded");
    expect(body.logTail).toContain("MUSTER_RUN_ID=");
    const keyLine = sshd.clientKey.split("\n")[1]!;
    for (const secret of [TOKEN, CALLBACK_TOKEN, keyLine]) {
      expect(JSON.stringify(callbacks.received.map((c) => c.body))).not.toContain(secret);
      expect(r.log).not.toContain(secret);
    }
    expect(body.logTail).not.toContain("RUNNER_AUTH_TOKEN");
    expect(body.logTail).not.toContain("GIT_SSH_KEY");
  });
});

describe("the HTTP API", () => {
  test("401, 413, 415, 400 with field errors, 404 and 405", async () => {
    const r = await runner(sshEnv());
    const valid = { runId: newRunId("api"), workflow: "hello", callbackUrl: callbacks.url() };
    for (const auth of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`]) {
      const res = await fetch(`${r.base}/dispatch`, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(valid) });
      expect(res.status).toBe(401);
    }
    expect((await dispatch(r.base, "x".repeat(70_000))).status).toBe(413);
    expect((await dispatch(r.base, JSON.stringify(valid), { "content-type": "text/plain" })).status).toBe(415);
    expect((await dispatch(r.base, "{not json")).status).toBe(400);
    const invalid = await dispatch(r.base, { runId: "-rm", workflow: "a b", vars: { "bad-key": "x", ok: 5 }, callbackUrl: "not a url", extra: 1 });
    expect(invalid.status).toBe(400);
    const { errors } = await invalid.json();
    const fields = errors.map((e: { field: string }) => e.field);
    for (const f of ["runId", "workflow", "vars.bad-key", "vars.ok", "callbackUrl", "extra"]) expect(fields).toContain(f);
    // A NUL (or another control character) in a var cannot reach a process: refused at dispatch.
    const nul = await dispatch(r.base, { ...valid, runId: newRunId("nul"), vars: { name: "a\u0000b" } });
    expect(nul.status).toBe(400);
    expect((await nul.json()).errors[0]).toMatchObject({ field: "vars.name" });
    // The same runId again: the same request gets the run (200); a different one is a conflict (409), never the other run's state as its own.
    expect((await dispatch(r.base, valid)).status).toBe(202);
    expect((await dispatch(r.base, valid)).status).toBe(200);
    const other = await dispatch(r.base, { ...valid, workflow: "slow" });
    expect(other.status).toBe(409);
    expect((await other.json()).error).toBe(`run "${valid.runId}" exists with a different workflow`);
    expect((await dispatch(r.base, { ...valid, vars: { x: "1" } })).status).toBe(409);
    // That run is real: it ends (and its dir goes) before the next test looks for run dirs.
    expect(await eventually(async () => (await (await fetch(`${r.base}/runs/${valid.runId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()).callback !== null, 30_000)).toBe(true);
    expect((await fetch(`${r.base}/nope`)).status).toBe(404);
    expect((await fetch(`${r.base}/dispatch`)).status).toBe(405);
    expect((await fetch(`${r.base}/runs/unknown`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${r.base}/runs/unknown`)).status).toBe(401);
    expect((await fetch(`${r.base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${r.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toContain('muster_requests_rejected_total{code="401"} 6');
    expect(metrics).toContain('muster_requests_rejected_total{code="409"} 2');
    expect(metrics).toContain("muster_queue_depth 0");
  });

  test("a request without Host is a 400 with no error line; /metrics needs the token; a var named __proto__ is a 400 naming it", async () => {
    const r = await runner(sshEnv());
    // HTTP/1.0 allows no Host: a raw socket, since fetch always sends one.
    const { connect } = await import("node:net");
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = connect(r.port, "127.0.0.1", () => socket.write("GET /metrics HTTP/1.0\r\n\r\n"));
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(answer).toContain("a Host header is required");
    expect(r.log).not.toContain("request failed");
    const anonymous = await fetch(`${r.base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toContain("MUSTER_METRICS_PUBLIC");
    const proto = await dispatch(r.base, `{"runId":"${newRunId("proto")}","workflow":"hello","callbackUrl":"${callbacks.url()}","vars":{"__proto__":"x"}}`);
    expect(proto.status).toBe(400);
    expect((await proto.json()).errors).toEqual([{ field: "vars.__proto__", message: expect.stringContaining("reserved") }]);
    const open = await runner({ ...sshEnv(), MUSTER_METRICS_PUBLIC: "1" });
    expect((await fetch(`${open.base}/metrics`)).status).toBe(200);
  });

  test("429 with Retry-After when the queue is full", async () => {
    const r = await runner({ ...sshEnv(), MUSTER_CONCURRENCY: "1", MUSTER_QUEUE_SIZE: "1" });
    const ids = [newRunId("q"), newRunId("q"), newRunId("q")];
    const statuses = [];
    for (const id of ids) statuses.push((await dispatch(r.base, { runId: id, workflow: "slow", vars: { seconds: "1042" }, callbackUrl: callbacks.url() })));
    expect(statuses.map((s) => s.status)).toEqual([202, 202, 429]);
    expect(statuses[2]!.headers.get("retry-after")).toBe("5");
    for (const id of ids.slice(0, 2)) await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    for (const id of ids.slice(0, 2)) expect((await callbacks.waitFor(id)).status).toBe("canceled");
  });

  test("a same-stack burst gets 429 past the queue size, though a slot is free; MUSTER_QUEUE_PER_STACK caps one stack", async () => {
    const r = await runner({ ...sshEnv(), MUSTER_CONCURRENCY: "2", MUSTER_QUEUE_SIZE: "2" });
    const ids = Array.from({ length: 6 }, () => newRunId("burst"));
    const statuses = [];
    for (const id of ids) statuses.push((await dispatch(r.base, { runId: id, workflow: "slow", stack: "prod", vars: { seconds: "1042" }, callbackUrl: callbacks.url() })).status);
    // One runs, two wait for the busy stack, the rest are refused: the bound holds although one of two slots is free.
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
    expect(await (await fetch(`${r.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()).toContain("muster_queue_depth 2");
    const capped = await runner({ ...sshEnv(), MUSTER_CONCURRENCY: "1", MUSTER_QUEUE_SIZE: "10", MUSTER_QUEUE_PER_STACK: "1" });
    const more = [newRunId("cap"), newRunId("cap"), newRunId("cap"), newRunId("cap")];
    const got = [];
    for (const [i, id] of more.entries()) got.push(await dispatch(capped.base, { runId: id, workflow: "slow", stack: i < 3 ? "prod" : "dev", vars: { seconds: "1042" }, callbackUrl: callbacks.url() }));
    expect(got.map((g) => g.status)).toEqual([202, 202, 429, 202]);
    expect((await got[2]!.json()).error).toContain("MUSTER_QUEUE_PER_STACK");
    for (const [base, list] of [[r.base, ids.slice(0, 3)], [capped.base, [more[0], more[1], more[3]]]] as const) {
      for (const id of list) await fetch(`${base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      for (const id of list) expect((await callbacks.waitFor(id!)).status).toBe("canceled");
    }
  });

  test("a run past MUSTER_RUN_TIMEOUT (or its dispatch's shorter timeout) is stopped and reported as timed out", async () => {
    const r = await runner({ ...sshEnv(), MUSTER_RUN_TIMEOUT: "2s", MUSTER_RUN_TIMEOUT_MAX: "1h", MUSTER_CANCEL_GRACE: "1s" });
    const id = newRunId("timeout");
    expect((await dispatch(r.base, { runId: id, workflow: "slow", vars: { seconds: "1042" }, callbackUrl: callbacks.url() })).status).toBe(202);
    const body = await callbacks.waitFor(id);
    expect(body).toMatchObject({ status: "failed", exitCode: 124, error: "run timed out after 2.0s (MUSTER_RUN_TIMEOUT)" });
    const own = newRunId("timeout");
    expect((await dispatch(r.base, { runId: own, workflow: "slow", timeout: "1s", vars: { seconds: "1042" }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await callbacks.waitFor(own)).toMatchObject({ status: "failed", error: "run timed out after 1.0s (the dispatch's timeout)" });
    const tooLong = await dispatch(r.base, { runId: newRunId("timeout"), workflow: "slow", timeout: "2h", callbackUrl: callbacks.url() });
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).errors[0]).toEqual({ field: "timeout", message: "must be at most 60m00s (MUSTER_RUN_TIMEOUT_MAX)" });
  });

  test("a canceled run whose service ignores SIGTERM leaves no container: the runner removes what the killed child left", async () => {
    // A process-mode run reaches the engine only when the administrator allows the socket (run-sandbox.ts).
    const r = await runner({ ...sshEnv(), MUSTER_CANCEL_GRACE: "1s", MUSTER_ALLOW_DOCKER_SOCKET: "1" });
    const id = newRunId("svc");
    const mine = () => Bun.spawnSync(["docker", "ps", "-aq", "--filter", `label=dev.muster.dispatch=${id}`]).stdout.toString().trim();
    expect((await dispatch(r.base, { runId: id, workflow: "svc", vars: { seconds: tagged(1044) }, callbackUrl: callbacks.url() })).status).toBe(202);
    expect(await eventually(() => mine() !== "", 60_000, 100)).toBe(true);
    // Canceled once the service is ready and the next step runs: its teardown then outlasts the grace (a service still
    // starting may be removed by the run itself, and the runner would have nothing left to remove).
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1044)}`)).length > 0, 60_000)).toBe(true);
    await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await callbacks.waitFor(id, 60_000)).status).toBe("canceled");
    expect(mine()).toBe("");
    expect(r.lines.some((l) => l.msg === "removed a container the run left" && l.runId === id)).toBe(true);
  }, 90_000);

  test("a run of a non-root runner finds neither the runner token nor the SSH key in /proc or the runner's TMPDIR", async () => {
    // The runner as nobody, with its secrets in its environment: closing its memory is what keeps them from its runs.
    const nobodyDir = tempDir("muster-serve-nobody-");
    try {
      const nobodyTmp = nobodyDir.path;
      chmodSync(nobodyTmp, 0o777);
      // Not in `runners`: this test stops it itself.
      const r = await startRunner({ ...sshEnv(), TMPDIR: nobodyTmp }, { uid: 65534 });
      expect(r.lines.find((l) => l.msg === "listening")?.memoryClosed).toBe(true);
      const keyLine = sshd.clientKey.split("\n")[1]!;
      const id = newRunId("scan");
      const halves = (s: string) => [s.slice(0, s.length >> 1), s.slice(s.length >> 1)];
      const [a, b] = halves(TOKEN);
      const [c, d] = halves(keyLine);
      expect((await dispatch(r.base, { runId: id, workflow: "scan", vars: { a: a!, b: b!, c: c!, d: d! }, callbackUrl: callbacks.url() })).status).toBe(202);
      const body = await callbacks.waitFor(id);
      expect({ status: body.status, error: body.error }).toEqual({ status: "succeeded", error: null });
      expect(body.logTail).toContain("found: nothing");
      r.proc.kill("SIGTERM");
      await r.proc.exited;
    } finally {
      nobodyDir.cleanup();
    }
  });

  test("a workflow file that is a symlink out of the checkout is refused; an atmos.yaml planted above the runner's TMPDIR is ignored", async () => {
    // The planted config would point workflows at a directory of the attacker's.
    const planted = tempDir("muster-serve-planted-");
    try {
      chmodSync(planted.path, 0o1777);
      const runnerDir = join(planted.path, "runner");
      mkdirSync(join(planted.path, "evil"), { recursive: true });
      mkdirSync(runnerDir);
      await Bun.write(join(planted.path, "atmos.yaml"), `base_path: ${join(planted.path, "evil")}\nworkflows:\n  base_path: .\n`);
      await Bun.write(join(planted.path, "evil", "evil.yaml"), "workflows:\n  hello:\n    steps:\n      - { type: shell, command: echo HIJACKED }\n");
      const r = await runner({ ...sshEnv(), TMPDIR: runnerDir });
      const leak = newRunId("leak");
      expect((await dispatch(r.base, { runId: leak, workflow: "x", file: "leak.yaml", callbackUrl: callbacks.url() })).status).toBe(202);
      const refused = await callbacks.waitFor(leak);
      expect(refused.status).toBe("failed");
      expect(String(refused.logTail)).toContain("resolves to /etc/passwd, outside the checkout");
      expect(String(refused.logTail)).not.toContain("root:x:0:0");
      const hello = newRunId("planted");
      expect((await dispatch(r.base, { runId: hello, workflow: "hello", vars: { who: "you" }, callbackUrl: callbacks.url() })).status).toBe(202);
      const ran = await callbacks.waitFor(hello);
      expect(ran.status).toBe("succeeded");
      expect(String(ran.logTail)).toContain("hello");
      expect(String(ran.logTail)).not.toContain("HIJACKED");
      r.proc.kill("SIGTERM");
      await r.proc.exited;
    } finally {
      planted.cleanup();
    }
  });

  test("container steps may not mount host paths or the Docker socket unless the administrator allows it", async () => {
    const r = await runner(sshEnv());
    const [mount, socket] = [newRunId("hostmount"), newRunId("socket")];
    await dispatch(r.base, { runId: mount, workflow: "hostmount", callbackUrl: callbacks.url() });
    await dispatch(r.base, { runId: socket, workflow: "socket", callbackUrl: callbacks.url() });
    const refusedMount = await callbacks.waitFor(mount);
    expect(refusedMount.status).toBe("failed");
    expect(String(refusedMount.logTail)).toContain("mounting / is not allowed");
    expect(String(refusedMount.logTail)).toContain("MUSTER_ALLOW_HOST_MOUNTS");
    const refusedSocket = await callbacks.waitFor(socket);
    expect(refusedSocket.status).toBe("failed");
    expect(String(refusedSocket.logTail)).toContain("MUSTER_ALLOW_DOCKER_SOCKET=1");
    const allowing = await runner({ ...sshEnv(), MUSTER_ALLOW_HOST_MOUNTS: "/", MUSTER_ALLOW_DOCKER_SOCKET: "1" });
    const [mount2, socket2] = [newRunId("hostmount"), newRunId("socket")];
    await dispatch(allowing.base, { runId: mount2, workflow: "hostmount", callbackUrl: callbacks.url() });
    await dispatch(allowing.base, { runId: socket2, workflow: "socket", callbackUrl: callbacks.url() });
    expect((await callbacks.waitFor(mount2)).status).toBe("succeeded");
    expect((await callbacks.waitFor(socket2)).status).toBe("succeeded");
  });

  test("a concurrent run cannot write another run's checkout: in process mode (the run sandbox) nor with MUSTER_RUN_ISOLATION=container", async () => {
    const image = "muster-test/run:1";
    buildRunImage(join(tmp.path, "run-image"), image);
    try {
      /** Starts the victim, waits until its checkout exists, runs the attacker; returns both callbacks. */
      const attack = async (r: Awaited<ReturnType<typeof runner>>) => {
        const [victim, attacker] = [newRunId("victim"), newRunId("tamper")];
        expect((await dispatch(r.base, { runId: victim, workflow: "victim", callbackUrl: callbacks.url() })).status).toBe(202);
        expect(await eventually(() => runDirs().some((d) => existsSync(join(runnerTmp, d, "repo", "workflows.yaml"))), 30_000)).toBe(true);
        expect((await dispatch(r.base, { runId: attacker, workflow: "tamper", callbackUrl: callbacks.url() })).status).toBe(202);
        return { victim: await callbacks.waitFor(victim, 60_000), attacker: await callbacks.waitFor(attacker, 60_000) };
      };
      // Process mode: the attacker's mount namespace hides the directory holding the run dirs (see test/serve-sandbox.e2e.test.ts).
      const sandboxed = await attack(await runner(sshEnv()));
      expect(String(sandboxed.attacker.logTail)).toContain("tampered with 0");
      expect(String(sandboxed.victim.logTail)).not.toContain("\nTAMPERED\n");
      const isolated = await attack(await runner({ ...sshEnv(), MUSTER_RUN_ISOLATION: "container", MUSTER_RUN_IMAGE: image }));
      expect(isolated.attacker.status).toBe("succeeded");
      expect(String(isolated.attacker.logTail)).toContain("tampered with 0");
      expect(isolated.victim.status).toBe("succeeded");
      expect(String(isolated.victim.logTail)).not.toContain("\nTAMPERED\n");
      // A root runner's runs are root in process mode; in their containers they see no runner process to read.
      const rootRunner = await runner({ ...sshEnv(), MUSTER_RUN_ISOLATION: "container", MUSTER_RUN_IMAGE: image });
      const keyLine = sshd.clientKey.split("\n")[1]!;
      const halves = (s: string) => [s.slice(0, s.length >> 1), s.slice(s.length >> 1)];
      const [a, b] = halves(TOKEN);
      const [c, d] = halves(keyLine);
      const scan = newRunId("scan-root");
      await dispatch(rootRunner.base, { runId: scan, workflow: "scan", vars: { a: a!, b: b!, c: c!, d: d! }, callbackUrl: callbacks.url() });
      const scanned = await callbacks.waitFor(scan, 60_000);
      expect(scanned.status).toBe("succeeded");
      expect(String(scanned.logTail)).toContain("found: nothing");
      expect(Bun.spawnSync(["docker", "ps", "-aq", "--filter", "label=dev.muster.dispatch"]).stdout.toString().trim()).toBe("");
    } finally {
      Bun.spawnSync(["docker", "rmi", "-f", image]);
    }
  }, 120_000);

  test("shutdown is bounded: a callback receiver that never answers costs at most the callback budget; a second SIGTERM exits at once", async () => {
    const blackhole = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
    try {
      const r = await runner({ ...sshEnv(), MUSTER_SHUTDOWN_GRACE: "1s", MUSTER_CALLBACK_BUDGET: "1s", MUSTER_CALLBACK_ATTEMPTS: "20" });
      const id = newRunId("drain");
      await dispatch(r.base, { runId: id, workflow: "slow", vars: { seconds: "1042" }, callbackUrl: `http://127.0.0.1:${blackhole.port}/cb` });
      expect(await eventually(async () => (await (await fetch(`${r.base}/runs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()).status === "running", 30_000)).toBe(true);
      r.proc.kill("SIGTERM");
      // Each attempt would wait 10 s and 20 attempts were allowed: the budget ends them.
      expect(await r.proc.exited).toBe(0);
      // Not given up: it stays in the store's outbox for the next start (see serve-state.e2e.test.ts).
      expect(r.lines.some((l) => l.msg === "callback left for the next start: shutdown stopped its retries" && l.runId === id)).toBe(true);

      const twice = await runner({ ...sshEnv(), MUSTER_SHUTDOWN_GRACE: "1h" });
      const held = newRunId("twice");
      await dispatch(twice.base, { runId: held, workflow: "slow", vars: { seconds: tagged(1043) }, callbackUrl: callbacks.url() });
      expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1043)}`)).length > 0, 30_000)).toBe(true);
      twice.proc.kill("SIGTERM");
      expect(await eventually(() => twice.lines.some((l) => l.msg === "draining"), 10_000)).toBe(true);
      twice.proc.kill("SIGTERM");
      expect(await twice.proc.exited).toBe(143);
      expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1043)}`)).length === 0, 10_000)).toBe(true);
    } finally {
      blackhole.stop(true);
    }
  }, 90_000);

  test("1,000 random malformed bodies leave the server answering and start nothing", async () => {
    const r = await runner(sshEnv());
    const random = (n: number) => String.fromCharCode(...Array.from({ length: n }, () => Math.floor(Math.random() * 256)));
    const shapes = [
      () => random(1 + Math.floor(Math.random() * 300)),
      () => JSON.stringify({ runId: random(10), workflow: random(5), callbackUrl: random(20) }),
      () => JSON.stringify([1, 2, { runId: "x" }]),
      () => JSON.stringify({ runId: "ok-1", workflow: "hello", callbackUrl: "https://example.com", vars: { a: { nested: true } } }),
      () => `{"runId": "${"a".repeat(200)}"}`,
      () => "null",
      () => JSON.stringify({ runId: "x", workflow: "../../etc", file: "../../etc/passwd", callbackUrl: "https://example.com" }),
    ];
    const codes = new Map<number, number>();
    for (let batch = 0; batch < 20; batch++) {
      const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => dispatch(r.base, shapes[(batch * 50 + i) % shapes.length]!())));
      for (const res of responses) {
        codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
        await res.body?.cancel();
      }
    }
    expect([...codes.keys()].every((c) => c === 400)).toBe(true);
    expect((await fetch(`${r.base}/healthz`)).status).toBe(200);
    expect(r.proc.exitCode).toBeNull();
    expect(r.lines.filter((l) => l.msg === "run queued")).toEqual([]);
    expect(runDirs()).toEqual([]);
  });

  test("SSRF: loopback in every spelling, metadata, and redirects are refused", async () => {
    // A runner with no allow-list: loopback and plain http are refused.
    const r = await runner({ ...sshEnv(), MUSTER_CALLBACK_ALLOW_HOSTS: "" });
    const victim = startCallbackReceiver();
    const port = new URL(victim.url()).port;
    // What can be judged without DNS is refused at dispatch (400), so no run starts whose result could never be delivered.
    const literal = [
      `http://127.0.0.1:${port}/x`, `https://127.0.0.1:${port}/x`, `https://2130706433:${port}/x`, `https://0x7f.1:${port}/x`,
      `https://[::ffff:127.0.0.1]:${port}/x`, `https://[::1]:${port}/x`, "https://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "javascript:alert(1)",
      `https://[::ffff:0:7f00:1]:${port}/x`,
    ];
    for (const url of literal) {
      const response = await dispatch(r.base, { runId: newRunId("ssrf"), workflow: "hello", callbackUrl: url });
      expect([url, response.status]).toEqual([url, 400]);
      const body = await response.json();
      expect(body.errors[0].field).toBe("callbackUrl");
    }
    // A name is resolved at delivery: localhost passes dispatch, and its callback is refused then.
    const id = newRunId("ssrf");
    expect((await dispatch(r.base, { runId: id, workflow: "hello", callbackUrl: `https://localhost:${port}/x` })).status).toBe(202);
    expect(await eventually(async () => {
      const state = await (await fetch(`${r.base}/runs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
      return state.callback !== null;
    }, 30_000)).toBe(true);
    const refused = await (await fetch(`${r.base}/runs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(refused.callback.delivered).toBe(false);
    expect(refused.callback.error).toMatch(/not a public address/);
    expect(victim.received).toEqual([]);

    // A redirect from an allowed receiver to loopback is not followed.
    const target = startCallbackReceiver();
    const redirector = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status: 307, headers: { location: target.url() } }) });
    const r2 = await runner({ ...sshEnv(), MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1" });
    const rid = newRunId("redirect");
    await dispatch(r2.base, { runId: rid, workflow: "hello", callbackUrl: `http://127.0.0.1:${redirector.port}/cb` });
    expect(await eventually(async () => (await (await fetch(`${r2.base}/runs/${rid}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()).callback !== null, 30_000)).toBe(true);
    const state = await (await fetch(`${r2.base}/runs/${rid}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(state.callback).toMatchObject({ delivered: false, status: 307 });
    expect(state.callback.error).toContain("redirects are not followed");
    expect(target.received).toEqual([]);
    redirector.stop(true);
    target.stop();
    victim.stop();
  });

  test("callbacks are retried on 5xx and 429; other 4xx are final", async () => {
    const flaky = startCallbackReceiver((n) => (n === 1 ? 503 : n === 2 ? 429 : 200));
    const r = await runner(sshEnv());
    const id = newRunId("retry");
    await dispatch(r.base, { runId: id, workflow: "hello", callbackUrl: flaky.url() });
    await flaky.waitFor(id);
    expect(await eventually(() => flaky.received.length === 3, 10_000)).toBe(true);
    const stateOf = async () => (await fetch(`${r.base}/runs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(await eventually(async () => (await stateOf()).callback !== null, 3000)).toBe(true);
    const state = await stateOf();
    expect(state.callback).toMatchObject({ delivered: true, attempts: 3, status: 200 });
    flaky.stop();

    const gone = startCallbackReceiver(() => 404);
    const id2 = newRunId("final");
    await dispatch(r.base, { runId: id2, workflow: "hello", callbackUrl: gone.url() });
    await gone.waitFor(id2);
    // Handshake: the runner records the final outcome of its delivery; only then is "no retry" a fact.
    expect(await eventually(async () => (await fetch(`${r.base}/runs/${id2}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((x) => x.json())).callback !== null, 5000)).toBe(true);
    expect(gone.received.length).toBe(1);
    gone.stop();
  });
});

describe("lifecycle", () => {
  test("SIGTERM drains: 503 for new work, in-flight runs finish, the process exits 0", async () => {
    const r = await runner({ ...sshEnv(), MUSTER_SHUTDOWN_GRACE: "20s" });
    const id = newRunId("drain");
    await dispatch(r.base, { runId: id, workflow: "slow", vars: { seconds: "1" }, callbackUrl: callbacks.url() });
    expect(await eventually(() => r.lines.some((l) => l.msg === "run started" && l.runId === id), 10_000)).toBe(true);
    r.proc.kill("SIGTERM");
    await eventually(() => r.lines.some((l) => l.msg === "draining"), 3000);
    expect((await fetch(`${r.base}/readyz`)).status).toBe(503);
    expect((await dispatch(r.base, { runId: newRunId("late"), workflow: "hello", callbackUrl: callbacks.url() })).status).toBe(503);
    expect(await r.proc.exited).toBe(0);
    expect(await callbacks.waitFor(id)).toMatchObject({ status: "succeeded" });
  });

  test("runs still going after the grace period are canceled, called back and cleaned up", async () => {
    const r = await runner({ ...sshEnv(), MUSTER_SHUTDOWN_GRACE: "500ms" });
    const id = newRunId("overdue");
    await dispatch(r.base, { runId: id, workflow: "slow", vars: { seconds: tagged(1043) }, callbackUrl: callbacks.url() });
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1043)}`)).length > 0, 10_000)).toBe(true);
    r.proc.kill("SIGTERM");
    expect(await r.proc.exited).toBe(0);
    expect(await callbacks.waitFor(id)).toMatchObject({ status: "canceled", error: "runner shutting down" });
    expect(await processesMatching(`sleep ${tagged(1043)}`)).toEqual([]);
    expect(runDirs()).toEqual([]);
  });

  test("run dirs are judged by their runner's lock: a dead runner's are swept at startup, a live one's (or one that cannot be judged) are kept", async () => {
    const dead = "r0123456789abcdef";
    const alive = "rfedcba9876543210";
    Bun.spawnSync(["mkdir", "-p", `${runnerTmp}/muster-run-${dead}-stale1/repo/deep`, `${runnerTmp}/muster-secrets-${dead}-stale2`, `${runnerTmp}/muster-run-${alive}-live1`, `${runnerTmp}/muster-run-3999999-legacy`]);
    writeFileSync(`${runnerTmp}/muster-runner-${dead}.lock`, "3999999");
    // A live runner elsewhere: a process holding its lock (the pid in a file would prove nothing).
    // One process holds it (flock's own child would outlive a kill of flock, and hold the test's output open for 10 minutes).
    const holder = Bun.spawn(["sh", "-c", 'exec 9>"$1" && flock 9 && echo locked && exec sleep 600', "holder", `${runnerTmp}/muster-runner-${alive}.lock`], { stdout: "pipe" });
    const reader = holder.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("locked\n");
    try {
      const r = await runner(sshEnv());
      expect(await eventually(() => !runDirs().includes(`muster-run-${dead}-stale1`), 3000)).toBe(true);
      expect(r.lines.filter((l) => l.msg === "removed a run dir left by a runner that is gone").map((l) => l.dir).sort()).toEqual([`${runnerTmp}/muster-run-${dead}-stale1`, `${runnerTmp}/muster-secrets-${dead}-stale2`]);
      expect(existsSync(`${runnerTmp}/muster-runner-${dead}.lock`)).toBe(false);
      expect(runDirs()).toContain(`muster-run-${alive}-live1`);
      expect(runDirs()).toContain("muster-run-3999999-legacy");
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
      rmSync(`${runnerTmp}/muster-run-${alive}-live1`, { recursive: true, force: true });
      rmSync(`${runnerTmp}/muster-run-3999999-legacy`, { recursive: true, force: true });
      rmSync(`${runnerTmp}/muster-runner-${alive}.lock`, { force: true });
    }
  });

  test("a runner in another PID namespace sharing the TMPDIR never removes a live runner's run dir (S9)", async () => {
    const a = await runner(sshEnv());
    const id = newRunId("live-a");
    await dispatch(a.base, { runId: id, workflow: "victim", callbackUrl: callbacks.url() });
    expect(await eventually(() => a.lines.some((l) => l.msg === "run started" && l.runId === id), 10_000)).toBe(true);
    expect(await eventually(() => runDirs().length > 0, 10_000)).toBe(true);
    // B sees none of A's processes: a pid check would call A dead.
    const before = runDirs();
    const b = await runner(sshEnv(), { prefix: ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"] });
    expect(b.lines.filter((l) => l.msg === "removed a run dir left by a runner that is gone")).toEqual([]);
    expect(runDirs()).toEqual(expect.arrayContaining(before));
    // A's run reads its checkout after B started: it is still there.
    const body = await callbacks.waitFor(id);
    expect(body).toMatchObject({ status: "succeeded" });
    expect(body.logTail).not.toMatch(/^TAMPERED$/m); // (the transcript shows the command, which names it)
    expect(body.logTail).toMatch(/^[1-9]$/m);
    expect(b.lines.filter((l) => l.msg === "removed a run dir left by a runner that is gone")).toEqual([]);
  });

  test("an invalid configuration stops startup with a message naming the variable", async () => {
    const missing = await muster(["serve"], { env: { RUNNER_AUTH_TOKEN: undefined, ATMOS_REPO_URL: "https://example.com/r.git" } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("RUNNER_AUTH_TOKEN: is required");
    const ssh = await muster(["serve"], { env: { RUNNER_AUTH_TOKEN: TOKEN, ATMOS_REPO_URL: "git@example.com:org/repo.git", ATMOS_REPO_KNOWN_HOSTS: undefined } });
    expect(ssh.code).toBe(2);
    expect(ssh.stderr).toContain("ATMOS_REPO_KNOWN_HOSTS: is required for an SSH repository");
  });
});
