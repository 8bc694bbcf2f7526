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
  const dir = join(scratch.path, `${name}-${++copies}`);
  cpSync(join(repoRoot, "fixtures/atmos/examples", name), dir, { recursive: true });
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
