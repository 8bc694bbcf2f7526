/**
 * Atmos' example workflows that use only the non-interactive step types
 * (fixtures/atmos/examples, copied unchanged; see fixtures/atmos/ORIGIN.md),
 * each run on the compiled binary in a copy of its directory, against a
 * local HTTP server and a stand-in atmos where they need one, with the
 * output Atmos documents for them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, repoRoot, tempDir } from "./helpers.ts";

const scratch = tempDir("muster-atmos-examples-");
afterAll(() => scratch.cleanup());
let copies = 0;
/** A fresh copy of an example directory. */
function example(name: string): string {
  const dir = join(scratch.path, `${name.replaceAll("/", "-")}-${++copies}`);
  cpSync(join(repoRoot, "fixtures/atmos", name.includes("/") ? name : `examples/${name}`), dir, { recursive: true });
  return dir;
}
/** A directory of stand-in programs, first on PATH. */
function bin(programs: Record<string, string>): string {
  const dir = join(scratch.path, `bin-${++copies}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(programs)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe("say-something", () => {
  // No speech program on PATH (a headless machine): `print: fallback` and `always` print, `never` stays silent.
  const path = bin({ sleep: "#!/bin/sh\nexec /bin/sleep \"$@\"\n" });
  test.each(["notify", "voices", "rates", "print-modes", "pipeline"])("%s runs and never fails", async (name) => {
    const run = await muster(["workflow", name], { cwd: example("say-something"), env: { PATH: `${path}:/usr/bin:/bin` } });
    expect(run.code).toBe(0);
    if (name === "notify") expect(run.stderr).toContain("Use say steps to announce when things happen in your workflows, like when something completes or fails.");
    if (name === "print-modes") {
      expect(run.stderr).toContain("This message is always printed and also spoken");
      expect(run.stderr).toContain("Spoken when possible, otherwise printed as a quote");
      expect(run.stderr).not.toContain("This is only spoken");
    }
  });
});

describe("http-webhooks", () => {
  test("notify posts the JSON payload with its query, retries a 503, and logs the status at info level", async () => {
    const seen: Array<{ method: string; url: string; body: string; type: string | null }> = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        seen.push({ method: request.method, url: request.url, body: await request.text(), type: request.headers.get("content-type") });
        return new Response("accepted", { status: seen.length === 1 ? 503 : 202 });
      },
    });
    try {
      const url = `http://127.0.0.1:${server.port}/hook`;
      const run = await muster(["workflow", "notify"], { cwd: example("http-webhooks"), env: { WEBHOOK_URL: url, ATMOS_LOGS_LEVEL: "Info" } });
      expect(run.code).toBe(0);
      expect(seen.length).toBe(2);
      expect(seen[1]).toEqual({ method: "POST", url: `${url}?source=atmos`, body: '{"event":"deploy","status":"started"}', type: "application/json" });
      expect(run.stderr).toContain("INFO Webhook returned HTTP 202");
    } finally {
      server.stop(true);
    }
  });

  test("poll-health retries until the body says the service is healthy", async () => {
    let calls = 0;
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ status: ++calls < 2 ? "starting" : "healthy" }) });
    try {
      const run = await muster(["workflow", "poll-health"], { cwd: example("http-webhooks"), env: { HEALTH_URL: `http://127.0.0.1:${server.port}/health` } });
      expect(run.code).toBe(0);
      expect(calls).toBe(2);
    } finally {
      server.stop(true);
    }
  });
});

describe("task-runner-dependencies", () => {
  test("release runs its compile command through atmos first, then its step", async () => {
    const dir = example("task-runner-dependencies");
    const path = bin({ atmos: `#!/bin/sh\nmkdir -p logs\necho "atmos $*" >> logs/order.log\n` });
    const run = await muster(["workflow", "release"], { cwd: dir, env: { PATH: `${path}:${process.env.PATH}` } });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "logs/order.log"), "utf8")).toBe("atmos compile\nrelease workflow ran after compile command\n");
  });
});

describe("toolchain", () => {
  test("pinned runs when its tool is on PATH and stops, naming it, when it is not", async () => {
    const path = bin({ jq: `#!/bin/sh\necho jq-1.7.1\n` });
    const ok = await muster(["workflow", "pinned"], { cwd: example("toolchain"), env: { PATH: `${path}:/usr/bin:/bin` } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("Using pinned jq 1.7.1:\njq-1.7.1\n");
    const missing = await muster(["workflow", "constrained"], { cwd: example("toolchain"), env: { PATH: path } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`workflow "constrained" needs tools that are not on PATH: yq ^4.40.0`);
    expect(missing.stdout).toBe("");
  });
});

describe("workflow-retries", () => {
  test("retry-demo tries three times, then fails with Atmos' max attempts message", async () => {
    const run = await muster(["workflow", "retry-demo"], { cwd: example("workflow-retries") });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("Attempting deployment...\n".repeat(3));
    expect(run.stderr).toContain("attempt 2/3 failed");
    expect(run.stderr).toContain("after 3 attempts");
  });
});

describe("exit-codes (tests/fixtures/scenarios)", () => {
  test.each([["test-exit-0", 0], ["test-exit-2", 2], ["test-exit-42", 42]])("%s exits %d", async (name, code) => {
    const run = await muster(["workflow", name], { cwd: example("tests/fixtures/scenarios/exit-codes") });
    expect(run.code).toBe(code);
  });
});

describe("native-ci-e2e (tests/fixtures/scenarios)", () => {
  test("ci-log-groups: each step's output inside its own GitHub group, with the nested-group flag set", async () => {
    const run = await muster(["workflow", "ci-log-groups"], { cwd: example("tests/fixtures/scenarios/native-ci-e2e"), env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: "" } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("::group::first workflow group\nworkflow step: first\nATMOS_CI_LOG_GROUP_ACTIVE=1\n");
    expect(run.stdout).toContain("::endgroup::\n::group::second workflow group\nworkflow step: second\n");
  });
});
