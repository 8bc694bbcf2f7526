/**
 * `type: http` / `webhook` on the binary against a local server this test
 * starts: expectations, retries (only on what Atmos retries), forms, the
 * per-attempt timeout, the body cap, and what the step stores.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { muster, projectDirs } from "./helpers.ts";

const hits = new Map<string, number>();
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    const count = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, count);
    switch (url.pathname) {
      case "/deploy":
        return Response.json({ ok: true, method: request.method, q: url.searchParams.get("env"), auth: request.headers.get("authorization") }, { headers: { "x-run": "7" } });
      case "/flaky":
        return count < 3 ? new Response("busy", { status: 503 }) : new Response("finally");
      case "/teapot":
        return new Response("short and stout", { status: 418 });
      case "/form":
        return new Response(`${request.headers.get("content-type")}|${await request.text()}`);
      case "/pending":
        return new Response(count < 2 ? "state=pending" : "state=done", { status: 200 });
      case "/big":
        return new Response("x".repeat(5 * 1024 * 1024));
      case "/loop":
        return new Response(null, { status: 302, headers: { location: "/loop" } });
      case "/hop":
        return new Response(null, { status: 307, headers: { location: `http://localhost:${url.port}/echo` } });
      case "/echo":
        return Response.json({ method: request.method, key: request.headers.get("x-api-key"), auth: request.headers.get("authorization"), type: request.headers.get("content-type") });
      case "/slow":
        await Bun.sleep(5_000);
        return new Response("late");
      default:
        return new Response("not found", { status: 404 });
    }
  },
});
afterAll(() => server.stop(true));
const base = `http://127.0.0.1:${server.port}`;
const projects = projectDirs("muster-http-");
const project = (yaml: string) => projects.make({ "workflows.yaml": yaml });

describe("http", () => {
  test("a request with query and headers succeeds; the body, status and headers are stored; one line on stderr", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - name: call
        type: http
        method: post
        url: ${base}/deploy
        query: { env: "{{ .workflow.name }}" }
        headers: { Authorization: "Bearer t0k3n" }
        expect: { status: 200, response: "/\\"ok\\":true/" }
      - { type: format, content: "{{ (fromJson .steps.call.value).q }} {{ .steps.call.status_code }} {{ index .steps.call.response_headers \\"x-run\\" }} {{ .steps.call.attempts }}" }
`) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("w 200 7 1\n");
    expect(run.stderr).toContain(`Webhook "call" sent POST request to ${base} and received HTTP 200`);
    expect(run.stderr).not.toContain("t0k3n");
  });

  test("with retry: 5xx is retried until it succeeds; a 4xx is final; conditions retry a matching response", async () => {
    hits.clear();
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: flaky, type: webhook, url: ${base}/flaky, retry: { max_attempts: 5, initial_delay: 1ms } }
      - { name: pending, type: http, url: ${base}/pending, expect: { response: done }, retry: { max_attempts: 3, initial_delay: 1ms, conditions: ["state=pending"] } }
      - { type: format, content: "{{ .steps.flaky.value }} after {{ .steps.flaky.attempts }}; {{ .steps.pending.value }} after {{ .steps.pending.attempts }}" }
      - { name: teapot, type: http, url: ${base}/teapot, retry: { max_attempts: 5, initial_delay: 1ms } }
`) });
    expect(run.stdout).toBe("finally after 3; state=done after 2\n");
    expect(run.code).toBe(1);
    expect(hits.get("/teapot")).toBe(1);
    // A 4xx is final: the message says it was not retried rather than that the attempts ran out.
    expect(run.stderr).toContain(`teapot failed (GET ${base}: HTTP 418 (expected 2xx) (not retried: only transport errors, 5xx, 429, a body that does not match yet, and retry.conditions are))`);
  });

  test("form is URL-encoded, or JSON when the Content-Type says so", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: a, type: http, method: POST, url: ${base}/form, form: { who: "a b", n: "1" } }
      - { name: b, type: http, method: POST, url: ${base}/form, headers: { Content-Type: application/json }, form: { who: x } }
      - { type: format, content: "{{ .steps.a.value }} {{ .steps.b.value }}" }
`) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`application/x-www-form-urlencoded|who=a+b&n=1 application/json|{"who":"x"}\n`);
  });

  test("the per-attempt timeout and the 4 MiB body cap", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: big, type: http, url: ${base}/big }
      - { type: format, content: "{{ len .steps.big.value }}" }
      - { name: slow, type: http, url: ${base}/slow, timeout: 200ms }
`) });
    expect(run.stdout).toBe(`${4 * 1024 * 1024}\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`slow failed (GET ${base}: no response within 200ms)`);
  });

  test("redirects: followed by hand, at most 10; a hop to another origin carries no credentials or API keys", async () => {
    const loop = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: call, type: http, url: ${base}/loop }
`) });
    expect(loop.code).toBe(1);
    expect(loop.stderr).toContain(`GET ${base}: more than 10 redirects`);
    expect(hits.get("/loop")).toBe(11);
    const hop = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - name: call
        type: http
        method: post
        url: ${base}/hop
        headers: { X-Api-Key: key-0123456789, Authorization: "Bearer t0k3n", Content-Type: application/json }
        body: "{}"
      - { type: format, content: "{{ .steps.call.value }}" }
`) });
    expect(hop.code).toBe(0);
    expect(JSON.parse(hop.stdout)).toEqual({ method: "POST", key: null, auth: null, type: "application/json" });
  });

  test("validate refuses a relative URL, body with form, a bad pattern, an unknown method", async () => {
    const run = await muster(["validate"], { cwd: project(`workflows:
  w:
    steps:
      - { type: http, url: /hooks/deploy }
      - { type: http, url: "http://x", body: a, form: { b: c } }
      - { type: http, url: "http://x", expect: { response: "(" } }
      - { type: http, url: "http://x", method: FETCH }
`) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`field "url": "/hooks/deploy" is not an absolute http(s) URL`);
    expect(run.stderr).toContain(`"body" and "form" are both set`);
    expect(run.stderr).toContain(`field "expect.response":`);
    expect(run.stderr).toContain(`field "method": got "FETCH"`);
  });
});
