import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServeConfig } from "./config.ts";
import { createApiHandler, MAX_BODY_BYTES } from "./http-api.ts";
import { Metrics } from "./metrics.ts";
import { Redactor } from "./redact.ts";
import { RunManager } from "./run-manager.ts";
import { SqlRunStore } from "./run-store.ts";
import { TokenChecker } from "./token.ts";

const TOKEN = "unit-test-token-0123456789";
const stateRoot = mkdtempSync(join(tmpdir(), "muster-http-api-test-"));
const stores: SqlRunStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  rmSync(stateRoot, { recursive: true, force: true });
});
async function handler(extra: { metricsPublic?: boolean; requireHost?: boolean; answerTokens?: TokenChecker; dispatchAnswers?: boolean } = {}) {
  const config = loadServeConfig({ RUNNER_AUTH_TOKEN: TOKEN, ATMOS_REPO_URL: "https://git.example/repo.git" });
  const metrics = new Metrics();
  const store = await SqlRunStore.openSqlite(join(stateRoot, String(stores.length)));
  stores.push(store);
  const runs = new RunManager(config, () => {}, metrics, new Redactor(), store);
  return { handle: createApiHandler({ runs, tokens: new TokenChecker(config.tokens), metrics, log: () => {}, ...extra }), runs };
}
const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://runner/dispatch", { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers } });

test("the status codes of /dispatch, before any run starts", async () => {
  const { handle } = await handler();
  expect((await handle(new Request("http://runner/healthz"))).status).toBe(200);
  expect((await handle(new Request("http://runner/readyz"))).status).toBe(200);
  expect((await handle(post("{}", { authorization: "Bearer nope" }))).status).toBe(401);
  expect((await handle(post("{}", { "content-type": "text/plain" }))).status).toBe(415);
  expect((await handle(post("x".repeat(MAX_BODY_BYTES + 1)))).status).toBe(413);
  expect((await handle(post("{"))).status).toBe(400);
  const invalid = await handle(post(JSON.stringify({ runId: "r" })));
  expect(invalid.status).toBe(400);
  expect((await invalid.json()).errors.map((e: { field: string }) => e.field)).toEqual(["workflow", "callbackUrl"]);
  expect((await handle(new Request("http://runner/dispatch"))).status).toBe(405);
  expect((await handle(new Request("http://runner/runs/r1", { headers: { authorization: `Bearer ${TOKEN}` } }))).status).toBe(404);
  expect((await handle(new Request("http://runner/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }))).headers.get("content-type")).toContain("text/plain");
});

test("/metrics needs the bearer token unless MUSTER_METRICS_PUBLIC", async () => {
  const { handle } = await handler();
  const anonymous = await handle(new Request("http://runner/metrics"));
  expect(anonymous.status).toBe(401);
  expect((await anonymous.json()).error).toContain("MUSTER_METRICS_PUBLIC");
  expect((await handle(new Request("http://runner/metrics", { headers: { authorization: "Bearer wrong-token-0123456789" } }))).status).toBe(401);
  expect((await handle(new Request("http://runner/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }))).status).toBe(200);
  const open = await handler({ metricsPublic: true });
  expect((await open.handle(new Request("http://runner/metrics"))).status).toBe(200);
});

test("a request without a Host header is a 400", async () => {
  const { handle } = await handler({ requireHost: true });
  const response = await handle(new Request("http://runner/healthz"));
  expect(response.status).toBe(400);
  expect((await response.json()).error).toContain("Host header");
  expect((await handle(new Request("http://runner/healthz", { headers: { host: "runner" } }))).status).toBe(200);
});

test("a dispatch var named __proto__ is a 400 naming it", async () => {
  const { handle } = await handler();
  const response = await handle(post('{"runId":"p1","workflow":"w","callbackUrl":"https://hooks.example/cb","vars":{"__proto__":"x"}}'));
  expect(response.status).toBe(400);
  expect((await response.json()).errors).toEqual([{ field: "vars.__proto__", message: expect.stringContaining("reserved") }]);
});

test("MUSTER_ANSWER_TOKENS: only those answer (a dispatch token is a 403 there), they read runs but neither dispatch nor cancel a run that is not waiting; MUSTER_DISPATCH_ANSWERS=0 refuses a dispatch's answers", async () => {
  const ANSWER = "answer-token-0123456789abcdef";
  const { handle, runs } = await handler({ answerTokens: new TokenChecker([ANSWER]), dispatchAnswers: false });
  const as = (token: string, path: string, body?: unknown) =>
    handle(new Request(`http://runner${path}`, { method: body === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
  expect((await as(TOKEN, "/runs/r1/answers", { answers: { approve: "yes" } })).status).toBe(403);
  expect((await as("nope-nope-nope-nope", "/runs/r1/answers", { answers: { approve: "yes" } })).status).toBe(401);
  expect((await as(ANSWER, "/runs/r1/answers", { answers: { approve: "yes" } })).status).toBe(404);
  expect((await as(ANSWER, "/dispatch", { runId: "r2", workflow: "w", callbackUrl: "https://cb.example/x" })).status).toBe(401);
  const withAnswers = await as(TOKEN, "/dispatch", { runId: "r3", workflow: "w", callbackUrl: "https://cb.example/x", answers: { approve: "yes" } });
  expect(withAnswers.status).toBe(400);
  expect(await withAnswers.json()).toMatchObject({ errors: [{ field: "answers", message: expect.stringContaining("MUSTER_DISPATCH_ANSWERS=0") }] });
  // A queued run (a draining runner starts nothing): the answerer reads it, but may not cancel it.
  await runs.drain(0);
  await runs.submit({ runId: "r4", workflow: "w", callbackUrl: "https://cb.example/x" } as never);
  expect((await as(ANSWER, "/runs/r4")).status).toBe(200);
  expect((await as(ANSWER, "/runs/r4/cancel", {})).status).toBe(403);
  expect((await as(TOKEN, "/runs/r4/cancel", {})).status).toBe(202);
});
