import { afterAll, expect, test } from "bun:test";
import { sendCallback } from "./callback.ts";

let answers: number[] = [];
let seen = 0;
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("", { status: answers[seen++] ?? 200 }) });
afterAll(() => server.stop(true));

const payload = { runId: "r1", status: "succeeded", exitCode: 0 } as never;
const send = (status: number[], attempts = 5) => {
  answers = status;
  seen = 0;
  return sendCallback(`http://127.0.0.1:${server.port}/cb`, undefined, payload, { allowHosts: new Set(["127.0.0.1"]), attempts, baseDelayMs: 1, log: () => {} });
};

test("5xx and 429 are retried with the engine's backoff until delivered", async () => {
  expect(await send([503, 429, 200])).toMatchObject({ delivered: true, attempts: 3, status: 200 });
});

test("409 counts as delivered (the run is already final); other 4xx are final failures; 3xx is never followed", async () => {
  expect(await send([409])).toMatchObject({ delivered: true, attempts: 1 });
  expect(await send([404])).toMatchObject({ delivered: false, attempts: 1, error: "callback answered 404" });
  expect(await send([307])).toMatchObject({ delivered: false, attempts: 1, error: "callback answered 307: redirects are not followed" });
});

test("after the last attempt the outcome says why", async () => {
  expect(await send([500, 500], 2)).toMatchObject({ delivered: false, attempts: 2, error: "callback answered 500 2 times" });
});
