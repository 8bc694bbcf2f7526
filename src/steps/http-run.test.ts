/**
 * The `http` kind as a workflow runs it (parsed, planned and run by the
 * real engine, test/kit.ts) against a server on 127.0.0.1 that answers from
 * a script: what is retried (transport errors, 5xx, 429, a body that does
 * not match yet, `retry.conditions`) and what is not, `expect.status` and
 * `expect.response`, the messages, and a redirect refused without a retry.
 */
import { afterAll, beforeEach, expect, test } from "bun:test";
import type { RunEvent } from "../engine/events.ts";
import { runYaml } from "../../test/kit.ts";

/** What the server answers, in order (the last one repeats); a `location` makes it a redirect. */
let script: Array<{ status: number; body?: string; location?: string }> = [];
let requests: Array<{ method: string; path: string; body: string }> = [];
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    requests.push({ method: request.method, path: `${url.pathname}${url.search}`, body: await request.text() });
    const answer = script[Math.min(requests.length, script.length) - 1]!;
    return new Response(answer.body ?? "", { status: answer.status, headers: answer.location ? { location: answer.location } : {} });
  },
});
afterAll(() => server.stop(true));
beforeEach(() => {
  script = [];
  requests = [];
});
const base = `http://127.0.0.1:${server.port}`;

/** A workflow of one http step `call` with `fields` (YAML flow-map entries) and a quick retry. */
const workflow = (fields: string, retry = "max_attempts: 3, backoff_strategy: constant, initial_delay: 1ms") =>
  `workflows:\n  wf:\n    steps:\n      - { ${[`name: call, type: http, url: "${base}/hook"`, fields, retry && `retry: { ${retry} }`].filter(Boolean).join(", ")} }\n`;

const ends = (events: RunEvent[]) => events.flatMap((e) => (e.type === "step.end" ? [e.result] : []));
const retries = (events: RunEvent[]) => events.flatMap((e) => (e.type === "step.retry" ? [e.reason] : []));

test("5xx and 429 are retried until a 2xx; each retry is announced with its reason; the step reports the host only", async () => {
  script = [{ status: 503 }, { status: 429 }, { status: 200, body: "ok" }];
  const { result, observer } = await runYaml(workflow(`method: post, body: "deploy", query: { token: secret-in-query }`));
  expect(result.exitCode).toBe(0);
  expect(ends(observer.events)).toMatchObject([{ status: "succeeded" }]);
  expect(retries(observer.events)).toEqual(["HTTP 503 (expected 2xx)", "HTTP 429 (expected 2xx)"]);
  expect(requests.map((r) => [r.method, r.path, r.body])).toEqual(Array(3).fill(["POST", "/hook?token=secret-in-query", "deploy"]));
  expect(observer.output(2)).toBe(`Webhook "call" sent POST request to ${base} and received HTTP 200\n`);
  expect(observer.output(2)).not.toContain("secret-in-query");
});

test("a 4xx is not retried, and the error says what is", async () => {
  script = [{ status: 404 }];
  const { result, observer } = await runYaml(workflow(""));
  expect(result).toMatchObject({ exitCode: 1, failedStep: "call" });
  expect(requests).toHaveLength(1);
  expect(ends(observer.events)[0]?.error).toBe(`GET ${base}: HTTP 404 (expected 2xx) (not retried: only transport errors, 5xx, 429, a body that does not match yet, and retry.conditions are)`);
});

test("retry.conditions retry a response whose \"<code> <body>\" matches one of them", async () => {
  script = [{ status: 409, body: "lock held by another deploy" }, { status: 200 }];
  const matched = await runYaml(workflow("", `max_attempts: 3, initial_delay: 1ms, conditions: ["^409 lock held"]`));
  expect(matched.result.exitCode).toBe(0);
  expect(requests).toHaveLength(2);
  requests = [];
  const unmatched = await runYaml(workflow("", `max_attempts: 3, initial_delay: 1ms, conditions: ["^503"]`));
  expect(unmatched.result.exitCode).toBe(1);
  expect(requests).toHaveLength(1);
});

test("expect.status and expect.response: a body that does not match yet is retried under the expected status; the last error when attempts run out", async () => {
  script = [{ status: 201, body: "pending" }, { status: 201, body: "state: ready" }];
  const ready = await runYaml(workflow(`expect: { status: 201, response: "/ready$/" }`));
  expect(ready.result.exitCode).toBe(0);
  expect(retries(ready.observer.events)).toEqual(["HTTP 201, but the body matches none of: /ready$/"]);
  script = [{ status: 200, body: "fine" }];
  requests = [];
  const wrong = await runYaml(workflow(`expect: { status: [201, 202] }`));
  expect(ends(wrong.observer.events)[0]?.error).toStartWith(`GET ${base}: HTTP 200 (expected 201 or 202) (not retried`);
  script = [{ status: 500 }];
  requests = [];
  const down = await runYaml(workflow(""));
  expect(requests).toHaveLength(3);
  expect(ends(down.observer.events)[0]).toMatchObject({ status: "failed", exitCode: 1, error: `GET ${base}: max attempts (3) exceeded, last error: HTTP 500 (expected 2xx)` });
});

test("a transport error is retried; without retry: one attempt, the error as is", async () => {
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = closed.port;
  await closed.stop(true);
  const yaml = (retry: string) => `workflows:\n  wf:\n    steps:\n      - { name: call, type: http, url: "http://127.0.0.1:${port}/", ${retry} timeout: 5s }\n`;
  const retried = await runYaml(yaml("retry: { max_attempts: 2, initial_delay: 1ms },"));
  expect(ends(retried.observer.events)[0]?.error).toStartWith(`GET http://127.0.0.1:${port}: max attempts (2) exceeded, last error: transport error: `);
  expect(retries(retried.observer.events)).toHaveLength(1);
  const once = await runYaml(yaml(""));
  expect(ends(once.observer.events)[0]).toMatchObject({ status: "failed", error: expect.stringMatching(new RegExp(`^GET http://127\\.0\\.0\\.1:${port}: transport error: `)) });
});

test("a redirect that breaks the first request's policy is refused, and never retried", async () => {
  script = [{ status: 302, location: `http://user:pass@127.0.0.1:${server.port}/elsewhere` }];
  const { result, observer } = await runYaml(workflow(""));
  expect(result.exitCode).toBe(1);
  expect(requests).toHaveLength(1);
  expect(ends(observer.events)[0]?.error).toContain("with credentials");
  expect(retries(observer.events)).toEqual([]);
  // A redirect within the policy is followed.
  script = [{ status: 307, location: "/moved" }, { status: 200 }];
  requests = [];
  expect((await runYaml(workflow(""))).result.exitCode).toBe(0);
  expect(requests.map((r) => r.path)).toEqual(["/hook", "/moved"]);
});
