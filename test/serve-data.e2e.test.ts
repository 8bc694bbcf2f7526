/**
 * Dispatch values are data (issues 26 and 33) through a real runner: a
 * dispatched var that holds shell syntax reaches shell, script, spin, exec,
 * atmos and container commands directly and laundered through step results
 * (join, format, an env step, outputs, a process's stdout), and every
 * command prints it as itself. Each payload prints a marker (RAN1...) only if
 * a shell ran it, so the test does not depend on where the sandboxed run
 * could write.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers.ts";
import { httpsRunnerEnv, makeRepository, startCallbackReceiver, startGitHttps, startRunner } from "./serve-fixtures.ts";

const TOKEN = "runner-token-7e6d5c4b3a291807";
const tmp = tempDir("muster-serve-data-");
// A shell that ran a payload prints RAN<n>; the text itself never holds it (the printf format splits it).
const HOSTILE = "$(printf R%sN1 A); `printf R%sN2 A`; printf R%sN3 A | printf R%sN4 A && printf R%sN5 A 'sq \"dq\" $IFS * ~ -n";

const SOURCES: Record<string, string> = {
  var: ".vars.v",
  join: ".steps.j.value",
  format: ".steps.f.value",
  env: ".env.FROMVAR",
  outputs: ".steps.o.outputs.v",
  echo: ".steps.e.value",
};
const FEEDERS = `      - { name: j, type: join, options: ["{{ .vars.v }}"] }
      - { name: f, type: format, content: "{{ .vars.v }}" }
      - { name: envstep, type: env, vars: { FROMVAR: "{{ .vars.v }}" } }
      - { name: o, type: format, content: "x", outputs: { v: "{{ .vars.v }}" } }
      - { name: e, type: shell, command: "printf '%s\\\\n' \\"$V\\"", env: { V: "{{ .vars.v }}" } }
`;
const sinks = Object.entries(SOURCES).flatMap(([source, expr]) => [
  `      - { name: shell-${source}, type: shell, command: "echo shell/${source} got={{ ${expr} }}" }`,
  `      - { name: script-${source}, type: script, interpreter: sh, output: raw, script: "echo script/${source} got={{ ${expr} }}" }`,
  `      - { name: spin-${source}, type: spin, title: "spin ${source}", command: "echo spin/${source} got={{ ${expr} }} > spin-${source}.out" }`,
  `      - { name: show-${source}, type: shell, command: "cat spin-${source}.out" }`,
  `      - { name: atmos-${source}, type: atmos, command: "terraform plan got={{ ${expr} }}" }`,
  `      - { name: container-${source}, type: container, with: { image: "muster-test/busybox:1", pull: never, command: "echo container/${source} got={{ ${expr} }}" } }`,
]);
const WORKFLOWS = `workflows:
  sinks:
    steps:
${FEEDERS}${sinks.join("\n")}
  exec:
    steps:
${FEEDERS}      - { name: last, type: exec, command: "echo exec/join got={{ .steps.j.value }}" }
`;

let https: Awaited<ReturnType<typeof startGitHttps>>;
let runner: Awaited<ReturnType<typeof startRunner>>;
const callbacks = startCallbackReceiver();

beforeAll(async () => {
  // A stand-in for atmos in the repository (ATMOS_BIN is relative to the step's directory): it shows each argument in brackets.
  const bare = makeRepository(tmp.path, { "workflows.yaml": WORKFLOWS, "bin/atmos": `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done; echo\n` });
  const git = Bun.spawnSync(["sh", "-c", `chmod +x bin/atmos && git add bin/atmos && git -c user.name=t -c user.email=t@t commit -qm exec && git push -q ${bare} HEAD:main && git -C ${bare} update-server-info`], { cwd: join(tmp.path, "work"), stderr: "pipe" });
  expect(git.stderr.toString()).toBe("");
  https = await startGitHttps(join(tmp.path, "https"), tmp.path);
  const runnerTmp = join(tmp.path, "runner-tmp");
  mkdirSync(runnerTmp, { recursive: true });
  // The container steps need the engine: the operator allows the socket for these runs.
  runner = await startRunner({ ...httpsRunnerEnv(TOKEN, https, runnerTmp), ATMOS_BIN: "./bin/atmos", MUSTER_ALLOW_DOCKER_SOCKET: "1" });
  expect(runner.port).toBeGreaterThan(0);
});
afterAll(async () => {
  runner?.proc.kill("SIGTERM");
  await runner?.proc.exited;
  https?.stop();
  callbacks.stop();
  tmp.cleanup();
}, 30_000);

async function dispatched(runId: string, workflow: string): Promise<{ status: unknown; logTail: string }> {
  const response = await fetch(`${runner.base}/dispatch`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ runId, workflow, vars: { v: HOSTILE }, callbackUrl: callbacks.url() }),
  });
  expect(response.status).toBe(202);
  const body = await callbacks.waitFor(runId, 120_000);
  return { status: body.status, logTail: String(body.logTail) };
}

describe("a dispatched var that holds shell syntax, through a real runner", () => {
  test("shell, script, spin, atmos and container commands print it as itself, directly and through step results", async () => {
    const { status, logTail } = await dispatched(`sinks-${Date.now().toString(36)}`, "sinks");
    expect({ status, ran: logTail.match(/RAN\d/g) ?? [], tail: status === "succeeded" ? "" : logTail.split("\n").filter((l) => !l.includes("skipped")).slice(-25).join("\n") }).toEqual({ status: "succeeded", ran: [], tail: "" });
    const lines = logTail.split("\n");
    for (const source of Object.keys(SOURCES)) {
      for (const kind of ["shell", "script", "spin", "container"]) expect(lines).toContain(`${kind}/${source} got=${HOSTILE}`);
    }
    expect(lines.filter((l) => l === `[terraform][plan][got=${HOSTILE}]`).length).toBe(Object.keys(SOURCES).length);
  }, 180_000);

  test("exec hands it over as itself", async () => {
    const { status, logTail } = await dispatched(`exec-${Date.now().toString(36)}`, "exec");
    expect(status).toBe("succeeded");
    expect(logTail.split("\n")).toContain(`exec/join got=${HOSTILE}`);
    expect(logTail).not.toMatch(/RAN\d/);
  }, 120_000);
});
