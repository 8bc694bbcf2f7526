/**
 * End-to-end: approval gates on real runners (the compiled binary) with a
 * real HTTPS git server and callback receiver. A dispatched workflow with a
 * `confirm` nothing answers suspends: `GET /runs/:id` shows it waiting and
 * what it asks, the notifyUrl gets the waiting notice, answers are checked
 * (401 without the token, 400 for a bad value or digest), the run outlives
 * a SIGTERM'd runner, and the answer resumes it where it stopped (the plan
 * step does not run again) with one final callback. Cancel, the wait
 * timeout and pre-answered dispatches too; then two PostgreSQL replicas:
 * the answer sent to the replica that did not run it resumes it, after the
 * other was killed and its leases reaped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { eventually, muster, tempDir } from "./helpers.ts";
import { startPostgres, type Postgres } from "./postgres.ts";
import { buildRunImage, httpsRunnerEnv, makeRepository, startCallbackReceiver, startGitHttps, startRunner, stopServeSuite } from "./serve-fixtures.ts";

const TOKEN = "runner-token-approval-5b1d93e0c7a2";
const tmp = tempDir("muster-serve-approval-test-");
const WORKFLOWS = `workflows:
  gate:
    steps:
      - { name: plan, type: shell, command: "echo planned-{{ .vars.n }}" }
      - { name: approve, type: confirm, prompt: "Apply the plan?", default: "no" }
      - { name: apply, type: shell, command: "echo applying {{ .steps.plan.value }} approve={{ .steps.approve.value }}" }
  slow:
    steps:
      - { name: wait, type: shell, command: "sleep 30" }
  secret:
    steps:
      - { name: pw, type: input, prompt: "Password", password: true }
      - { name: approve, type: confirm, prompt: "Deploy with {{ .steps.pw.value }}?" }
      - { name: token, type: input, prompt: "Token", password: true }
      - { name: show, type: shell, command: "echo answers=\${MUSTER_ANSWERS:-none} suspend=\${MUSTER_SUSPEND_AT_PROMPTS:-none} token={{ .steps.token.value }}" }
  nosince:
    steps:
      - { name: forge, type: shell, command: "SINCE= sh forge.sh" }
  future:
    steps:
      - { name: forge, type: shell, command: "SINCE=',\\"since\\":\\"9999-01-01T00:00:00.000Z\\"' sh forge.sh" }
  objsince:
    steps:
      - { name: forge, type: shell, command: "SINCE=',\\"since\\":{}' sh forge.sh" }
`;
/** A step that replaces its run's journal record with one waiting at a prompt, with a `since` of its own ($SINCE), and exits 75. */
const FORGE = `set -e
d="$(cd .. && pwd)/journal"
f=$(ls "$d"/*.jsonl)
start=$(head -n1 "$f")
rm -f "$f"
printf '%s\\n{"t":"waiting","waitingFor":{"step":"approve","type":"confirm","prompt":"x","digest":"%s"%s},"at":"x"}\\n' "$start" "$(printf %064d 0)" "$SINCE" > "$f"
exit 75
`;
let https: Awaited<ReturnType<typeof startGitHttps>>;
let postgres: Postgres | undefined;
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];

beforeAll(async () => {
  makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS, "forge.sh": FORGE });
  https = await startGitHttps(join(tmp.path, "https"), tmp.path);
  mkdirSync(join(tmp.path, "runner-tmp"), { recursive: true });
}, 60_000);
afterAll(() => stopServeSuite({ runners, postgres, https, callbacks, tmp }), 60_000);

async function runner(env: Record<string, string>) {
  const r = await startRunner({ ...httpsRunnerEnv(TOKEN, https, join(tmp.path, "runner-tmp")), ...env });
  runners.push(r);
  if (r.port === 0) throw new Error(`runner did not start: ${r.log}`);
  return r;
}

let seq = 0;
const newRunId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (url: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
const dispatch = (base: string, body: Record<string, unknown>) => post(`${base}/dispatch`, { callbackUrl: callbacks.url(), ...body });
const status = async (base: string, runId: string) => (await (await fetch(`${base}/runs/${runId}`, { headers: auth })).json()) as Record<string, unknown>;
const finalCallbacks = (runId: string) => callbacks.received.filter((c) => c.path === "/callback" && c.body.runId === runId);
const notices = (runId: string) => callbacks.received.filter((c) => c.path === "/notify" && c.body.runId === runId);
/** The run's final callback (not its waiting notice), once it came. */
async function finalFor(runId: string): Promise<Record<string, unknown>> {
  if (!(await eventually(() => finalCallbacks(runId).length > 0, 30_000))) throw new Error(`no final callback for ${runId}`);
  return finalCallbacks(runId)[0]!.body;
}
/** Resolves with the run's state once it is waiting (or throws with the state it is in). */
async function waiting(base: string, runId: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  const ok = await eventually(async () => (last = await status(base, runId)).status === "waiting" || Boolean(last.finishedAt), 30_000);
  if (!ok || last.status !== "waiting") throw new Error(`run ${runId} is not waiting: ${JSON.stringify(last)}`);
  return last;
}

describe("suspend mode of muster workflow (what serve sets for its runs)", () => {
  test("a prompt nothing answers suspends the run (exit 75, a waiting record); --resume needs the answer, checks it, and continues at the prompt", async () => {
    const project = join(tmp.path, "cli-project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "workflows.yaml"), WORKFLOWS);
    const journal = join(tmp.path, "cli-journal");
    const env = { MUSTER_JOURNAL_DIR: journal, MUSTER_SUSPEND_AT_PROMPTS: "1", MUSTER_VARS_FROM_ENV: "1", MUSTER_VAR_n: "8" };
    const first = await muster(["workflow", "gate"], { cwd: project, env });
    expect(first.code).toBe(75);
    expect(first.stdout).toContain("planned-8");
    expect(first.stdout).not.toContain("applying");
    const id = /run (\d{8}-\d{6}-[0-9a-f]{4}) waits for an answer at step "approve" \(confirm\)/.exec(first.stderr)?.[1];
    expect(id).toBeDefined();
    const listed = await muster(["runs", "show", id!, "--json"], { cwd: project, env });
    expect(JSON.parse(listed.stdout)).toMatchObject({ status: "waiting", waitingFor: { step: "approve", type: "confirm", prompt: "Apply the plan?", default: "no" } });
    const unanswered = await muster(["workflow", "gate", `--resume=${id}`], { cwd: project, env });
    expect(unanswered.code).toBe(2);
    expect(unanswered.stderr).toContain(`run ${id} is waiting for an answer at step "approve"; resume it with --answer approve=VALUE`);
    const bad = await muster(["workflow", "gate", `--resume=${id}`], { cwd: project, env: { ...env, MUSTER_ANSWERS: '{"approve":"perhaps"}' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--answer approve=perhaps: expected yes or no");
    const resumed = await muster(["workflow", "gate", `--resume=${id}`], { cwd: project, env: { ...env, MUSTER_ANSWERS: '{"approve":"yes"}' } });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("applying planned-8 approve=true");
    expect(resumed.stdout).not.toContain("planned-8\n");
    // Suspend mode without a journal to suspend into: the gate is not passed on its default, the run fails there.
    const noJournal = await muster(["workflow", "gate"], { cwd: project, env: { ...env, MUSTER_NO_JOURNAL: "1" } });
    expect(noJournal.code).toBe(2);
    expect(noJournal.stderr).toContain('step "approve" (confirm) needs an answer and the run cannot suspend to wait for one');
    expect(noJournal.stdout).not.toContain("applying");
    // Without suspend mode, the prompt without a terminal takes its default, as before.
    const plain = await muster(["workflow", "gate", "--var", "n=8"], { cwd: project, env: { MUSTER_JOURNAL_DIR: journal } });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain("approve not asked (no terminal): took its default");
    expect(plain.stdout).toContain("applying planned-8 approve=false");
  });
});

describe("approval gates on a SQLite runner", () => {
  const state = join(tmp.path, "sqlite-state");

  test("a confirm nothing answers waits; answers are checked; the run outlives a SIGTERM'd runner and the answer resumes it; one final callback; the notifyUrl got the notice", async () => {
    let r = await runner({ MUSTER_STATE_DIR: state });
    const id = newRunId("gate");
    expect((await dispatch(r.base, { runId: id, workflow: "gate", vars: { n: "42" }, notifyUrl: callbacks.url("/notify") })).status).toBe(202);
    const shown = await waiting(r.base, id);
    // Read before any matcher sees the object (Bun's toMatchObject may leave its asymmetric matchers in it).
    const digest = String((shown.waitingFor as { digest: string }).digest);
    expect(shown).toMatchObject({ status: "waiting", finishedAt: null, waitingFor: { step: "approve", type: "confirm", prompt: "Apply the plan?", default: "no", since: expect.any(String), digest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(shown.waitingFor).not.toHaveProperty("check");
    expect(await eventually(() => notices(id).length === 1, 10_000)).toBe(true);
    expect(notices(id)[0]!.body).toMatchObject({ runId: id, status: "waiting", workflow: "gate", waitingFor: { step: "approve", digest } });
    expect(finalCallbacks(id)).toEqual([]);
    expect(r.lines.some((l) => l.msg === "run waiting for an answer" && l.runId === id && l.step === "approve")).toBe(true);
    expect(await (await fetch(`${r.base}/metrics`, { headers: auth })).text()).toMatch(/muster_runs_waiting 1\n[\s\S]*muster_runs_suspended_total 1\n/);

    const answers = `${r.base}/runs/${id}/answers`;
    expect((await post(answers, { answers: { approve: "yes" } }, {})).status).toBe(401);
    const bad = await post(answers, { answers: { approve: "maybe" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe("--answer approve=maybe: expected yes or no (also y/n, true/false)");
    const wrongDigest = await post(answers, { answers: { approve: "yes" }, digest: "0".repeat(64) });
    expect(wrongDigest.status).toBe(400);
    expect(((await wrongDigest.json()) as { error: string }).error).toContain("is not that of the question");
    expect((await post(answers, { answers: { apply: "yes" } })).status).toBe(400);

    // The runner stops (SIGTERM: a graceful stop) and another starts on the same state: the run still waits.
    r.proc.kill("SIGTERM");
    expect(await r.proc.exited).toBe(0);
    r = await runner({ MUSTER_STATE_DIR: state });
    expect(await status(r.base, id)).toMatchObject({ status: "waiting", waitingFor: { step: "approve", digest } });
    expect(r.lines.find((l) => l.msg === "took up the runs of the previous runner")).toMatchObject({ lost: 0, waiting: 1 });

    const resumed = await post(`${r.base}/runs/${id}/answers`, { answers: { approve: "yes" }, digest });
    expect({ code: resumed.status, body: await resumed.json() }).toMatchObject({ code: 202, body: { runId: id, status: expect.stringMatching(/^(queued|running)$/) } });
    const final = await finalFor(id);
    expect(final).toMatchObject({ status: "succeeded", exitCode: 0, error: null });
    // The resumed run starts at the prompt: the plan's stored value, not a second plan.
    expect(String(final.logTail)).toContain("applying planned-42 approve=true");
    expect(String(final.logTail)).not.toContain("$ echo planned-42");
    expect(r.lines.some((l) => l.msg === "run resumed" && l.runId === id)).toBe(true);
    expect(await status(r.base, id)).toMatchObject({ status: "succeeded" });
    expect((await post(`${r.base}/runs/${id}/answers`, { answers: { approve: "yes" } })).status).toBe(409);
    expect(finalCallbacks(id).length).toBe(1);
    expect(notices(id).length).toBe(1);
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }, 90_000);

  test("cancel ends a waiting run; a pre-answered dispatch runs without waiting; answers and notifyUrl are checked at dispatch", async () => {
    const r = await runner({ MUSTER_STATE_DIR: join(tmp.path, "sqlite-cancel") });
    const id = newRunId("cancel");
    expect((await dispatch(r.base, { runId: id, workflow: "gate", vars: { n: "1" } })).status).toBe(202);
    await waiting(r.base, id);
    expect((await fetch(`${r.base}/runs/${id}/cancel`, { method: "POST", headers: auth })).status).toBe(202);
    expect(await finalFor(id)).toMatchObject({ status: "canceled", error: "canceled by request" });
    expect(finalCallbacks(id).length).toBe(1);

    const pre = newRunId("pre");
    expect((await dispatch(r.base, { runId: pre, workflow: "gate", vars: { n: "7" }, answers: { approve: "no" } })).status).toBe(202);
    const done = await finalFor(pre);
    expect(done).toMatchObject({ status: "succeeded" });
    expect(String(done.logTail)).toContain("applying planned-7 approve=false");
    expect(r.lines.some((l) => l.msg === "run waiting for an answer" && l.runId === pre)).toBe(false);

    const badAnswers = await dispatch(r.base, { runId: newRunId("bad"), workflow: "gate", answers: { approve: 5 } });
    expect(badAnswers.status).toBe(400);
    expect(await badAnswers.json()).toMatchObject({ errors: [{ field: "answers.approve", message: "answers must be strings" }] });
    const badNotify = await dispatch(r.base, { runId: newRunId("bad"), workflow: "gate", notifyUrl: "http://10.1.2.3/notify" });
    expect(badNotify.status).toBe(400);
    expect(await badNotify.json()).toMatchObject({ errors: [{ field: "notifyUrl" }] });
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }, 60_000);

  test("a run that waits past MUSTER_WAIT_TIMEOUT fails with that reason", async () => {
    const r = await runner({ MUSTER_STATE_DIR: join(tmp.path, "sqlite-timeout"), MUSTER_WAIT_TIMEOUT: "1s" });
    const id = newRunId("late");
    expect((await dispatch(r.base, { runId: id, workflow: "gate", vars: { n: "3" } })).status).toBe(202);
    expect(await finalFor(id)).toMatchObject({ status: "failed", exitCode: null, error: "no answer within 1s (MUSTER_WAIT_TIMEOUT) at the prompt the run waited at" });
    expect(r.lines.some((l) => l.msg === "run waiting for an answer" && l.runId === id)).toBe(true);
    expect(finalCallbacks(id).length).toBe(1);
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }, 60_000);
});

describe("what a run cannot do to its gate", () => {
  test("a run that writes its own waitingFor.since (none, far future) still times out by the runner's clock; a malformed one fails the run with the reason; cancel of a waiting run starts the run queued behind it", async () => {
    const r = await runner({ MUSTER_STATE_DIR: join(tmp.path, "sqlite-forged"), MUSTER_WAIT_TIMEOUT: "1s" });
    const none = newRunId("nosince"), future = newRunId("future"), bad = newRunId("objsince");
    expect((await dispatch(r.base, { runId: none, workflow: "nosince", stack: "prod" })).status).toBe(202);
    expect((await dispatch(r.base, { runId: future, workflow: "future", stack: "stage" })).status).toBe(202);
    expect((await dispatch(r.base, { runId: bad, workflow: "objsince", stack: "qa" })).status).toBe(202);
    expect(await finalFor(none)).toMatchObject({ status: "failed", error: "no answer within 1s (MUSTER_WAIT_TIMEOUT) at the prompt the run waited at" });
    expect(await finalFor(future)).toMatchObject({ status: "failed", error: "no answer within 1s (MUSTER_WAIT_TIMEOUT) at the prompt the run waited at" });
    expect(await finalFor(bad)).toMatchObject({ status: "failed", error: expect.stringContaining("waitingFor.since: expected a string") });
    expect(await status(r.base, bad)).toMatchObject({ status: "failed" });
    r.proc.kill("SIGTERM");
    await r.proc.exited;

    const s = await runner({ MUSTER_STATE_DIR: join(tmp.path, "sqlite-cancel-pump") });
    const held = newRunId("held"), behind = newRunId("behind");
    expect((await dispatch(s.base, { runId: held, workflow: "gate", vars: { n: "1" }, stack: "prod" })).status).toBe(202);
    await waiting(s.base, held);
    expect((await dispatch(s.base, { runId: behind, workflow: "gate", vars: { n: "2" }, stack: "prod", answers: { approve: "yes" } })).status).toBe(202);
    expect((await status(s.base, behind)).status).toBe("queued");
    expect((await fetch(`${s.base}/runs/${held}/cancel`, { method: "POST", headers: auth })).status).toBe(202);
    // Nothing else is dispatched: the cancel itself starts the run its stack held up.
    expect(await finalFor(behind)).toMatchObject({ status: "succeeded" });
    s.proc.kill("SIGTERM");
    await s.proc.exited;
  }, 90_000);

  test("password answers stay hidden: a gate's prompt built from one is masked (API, notice), steps never see MUSTER_ANSWERS, a password gate's answer is redacted in the callback", async () => {
    const r = await runner({ MUSTER_STATE_DIR: join(tmp.path, "sqlite-secret") });
    const id = newRunId("secret");
    const password = "pw-s3cret-from-dispatch";
    expect((await dispatch(r.base, { runId: id, workflow: "secret", answers: { pw: password }, notifyUrl: callbacks.url("/notify") })).status).toBe(202);
    const shown = await waiting(r.base, id);
    expect(JSON.stringify(shown)).not.toContain(password);
    expect(shown.waitingFor).toMatchObject({ step: "approve", prompt: "Deploy with [masked]?" });
    expect(await eventually(() => notices(id).length === 1, 10_000)).toBe(true);
    expect(JSON.stringify(notices(id)[0]!.body)).not.toContain(password);
    expect((await post(`${r.base}/runs/${id}/answers`, { answers: { approve: "yes" } })).status).toBe(202);
    await eventually(async () => (await status(r.base, id)).waitingFor !== undefined && ((await status(r.base, id)).waitingFor as { step: string }).step === "token", 30_000);
    const token = "tok-s3cret-at-the-gate";
    expect((await post(`${r.base}/runs/${id}/answers`, { answers: { token } })).status).toBe(202);
    const final = await finalFor(id);
    expect(final).toMatchObject({ status: "succeeded" });
    const tail = String(final.logTail);
    expect(tail).toContain("answers=none suspend=none token=[redacted]");
    expect(tail).not.toContain(token);
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }, 90_000);
});

describe("who may answer", () => {
  test("under MUSTER_ANSWER_TOKENS only an answer token answers (a dispatch token is a 403) and it cannot dispatch; MUSTER_DISPATCH_ANSWERS=0 refuses a dispatch's answers", async () => {
    const ANSWER = "approver-token-7c1e0b9d4a55";
    const r = await runner({ MUSTER_STATE_DIR: join(tmp.path, "sqlite-answerers"), MUSTER_ANSWER_TOKENS: ANSWER, MUSTER_DISPATCH_ANSWERS: "0" });
    const approver = { authorization: `Bearer ${ANSWER}` };
    const pre = await dispatch(r.base, { runId: newRunId("pre"), workflow: "gate", answers: { approve: "yes" } });
    expect(pre.status).toBe(400);
    expect(await pre.json()).toMatchObject({ errors: [{ field: "answers" }] });
    expect((await post(`${r.base}/dispatch`, { runId: newRunId("x"), workflow: "gate", callbackUrl: callbacks.url() }, approver)).status).toBe(401);
    const id = newRunId("approvers");
    expect((await dispatch(r.base, { runId: id, workflow: "gate", vars: { n: "4" } })).status).toBe(202);
    await waiting(r.base, id);
    expect((await post(`${r.base}/runs/${id}/answers`, { answers: { approve: "yes" } })).status).toBe(403);
    expect((await post(`${r.base}/runs/${id}/cancel`, {})).status).toBe(403);
    expect((await fetch(`${r.base}/runs/${id}`, { headers: approver })).status).toBe(200);
    expect((await post(`${r.base}/runs/${id}/answers`, { answers: { approve: "yes" } }, approver)).status).toBe(202);
    expect(await finalFor(id)).toMatchObject({ status: "succeeded" });
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }, 60_000);
});

describe("approval gates on PostgreSQL replicas", () => {
  test("a run waiting on a replica that is killed is neither lost nor failed; the answer sent to the other replica resumes it; one final callback", async () => {
    postgres = await startPostgres();
    const url = await postgres.database("approval");
    const env = { MUSTER_STATE_URL: url, MUSTER_LEASE_TTL: "3s", MUSTER_POLL_INTERVAL: "200ms" };
    const a = await runner({ ...env, MUSTER_RUNNER_ID: "approval-a" });
    const id = newRunId("pg-gate");
    expect((await dispatch(a.base, { runId: id, workflow: "gate", vars: { n: "9" }, stack: "prod" })).status).toBe(202);
    const shown = await waiting(a.base, id);
    const digest = (shown.waitingFor as { digest: string }).digest;
    // A running run on a, so that b's reaping of a's leases can be seen.
    const slow = newRunId("pg-slow");
    expect((await dispatch(a.base, { runId: slow, workflow: "slow" })).status).toBe(202);
    expect(await eventually(async () => (await status(a.base, slow)).status === "running", 15_000)).toBe(true);
    const b = await runner({ ...env, MUSTER_RUNNER_ID: "approval-b" });
    expect(await status(b.base, id)).toMatchObject({ status: "waiting", waitingFor: { digest } });
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    // b takes over what a left once a's leases run out: the running run is lost, the waiting one still waits.
    expect(await finalFor(slow)).toMatchObject({ status: "failed", error: "runner lost while running" });
    expect(await status(b.base, id)).toMatchObject({ status: "waiting", finishedAt: null });
    // Its stack is held: a run of prod waits behind it.
    const next = newRunId("pg-next");
    expect((await dispatch(b.base, { runId: next, workflow: "gate", vars: { n: "10" }, stack: "prod", answers: { approve: "yes" } })).status).toBe(202);
    expect((await status(b.base, next)).status).toBe("queued");

    expect((await post(`${b.base}/runs/${id}/answers`, { answers: { approve: "y" }, digest })).status).toBe(202);
    const final = await finalFor(id);
    expect(final).toMatchObject({ status: "succeeded" });
    expect(String(final.logTail)).toContain("applying planned-9 approve=true");
    expect(await status(b.base, id)).toMatchObject({ status: "succeeded", runner: "approval-b" });
    expect(await finalFor(next)).toMatchObject({ status: "succeeded" });
    expect(finalCallbacks(id).length).toBe(1);
    b.proc.kill("SIGTERM");
    await b.proc.exited;
  }, 120_000);
});

describe("approval gates in container isolation", () => {
  const image = `muster-test/run-approval:${process.pid}-${Date.now().toString(36)}`;
  beforeAll(() => buildRunImage(join(tmp.path, "run-image"), image), 120_000);
  afterAll(() => void Bun.spawnSync(["docker", "rmi", "-f", image]));

  test("a run in its own container waits at the prompt (its journal bound into the container) and the answer resumes it in a new one", async () => {
    const r = await runner({ MUSTER_STATE_DIR: join(tmp.path, "container-state"), MUSTER_RUN_ISOLATION: "container", MUSTER_RUN_IMAGE: image, MUSTER_RUN_BIN: "/usr/local/bin/muster" });
    const id = newRunId("box");
    expect((await dispatch(r.base, { runId: id, workflow: "gate", vars: { n: "5" } })).status).toBe(202);
    const shown = await waiting(r.base, id);
    const digest = String((shown.waitingFor as { digest: string }).digest);
    expect((await post(`${r.base}/runs/${id}/answers`, { answers: { approve: "no" }, digest })).status).toBe(202);
    const final = await finalFor(id);
    expect(final).toMatchObject({ status: "succeeded" });
    expect(String(final.logTail)).toContain("applying planned-5 approve=false");
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }, 120_000);
});
