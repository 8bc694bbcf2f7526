/**
 * Values from outside the workflow file are data (issues 26 and 33), on the
 * compiled binary: a hostile value that arrives as a var, as the stack, or
 * laundered through a step result (join, format, an env step, outputs, an
 * http response, a prompt's answer, a process's stdout) reaches every kind
 * that runs a command (shell, script, spin, exec, atmos, container) and is
 * printed as itself; nothing it holds runs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docker, muster, repoRoot, tempDir, writeFiles } from "./helpers.ts";

const tmp = tempDir("muster-outside-");
afterAll(() => tmp.cleanup());
const pwned = join(tmp.path, "pwned");
/** One line (the line-based sinks print one line per sink) holding every way a value could become code. */
const HOSTILE = `$(touch ${pwned}); \`touch ${pwned}\`; x | touch ${pwned} && touch ${pwned} 'sq "dq" $IFS * ~ -n`;

const SOURCES: Record<string, string> = {
  var: ".vars.name",
  stack: ".stack",
  join: ".steps.j.value",
  format: ".steps.f.value",
  env: ".env.FROMVAR",
  outputs: ".steps.o.outputs.v",
  http: ".steps.h.value",
  answer: ".steps.ask.value",
  echo: ".steps.e.value",
};

/** The steps that take the value in, one per source. */
const feeders = (port: number | undefined) => `      - { name: j, type: join, options: ["{{ .vars.name }}"] }
      - { name: f, type: format, content: "{{ .vars.name }}" }
      - { name: envstep, type: env, vars: { FROMVAR: "{{ .vars.name }}" } }
      - { name: o, type: format, content: "x", outputs: { v: "{{ .vars.name }}" } }
      - { name: h, type: http, url: "http://127.0.0.1:${port}/echo" }
      - { name: ask, type: input, prompt: "who?" }
      - { name: e, type: shell, command: "printf '%s\\n' \\"$V\\"", env: { V: "{{ .vars.name }}" } }
`;

describe("a hostile value from every source, through every kind that runs a command", () => {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(HOSTILE) });
  afterAll(() => server.stop(true));
  const dir = join(tmp.path, "project");
  // A stand-in for atmos that shows each argument it got, in brackets.
  writeFiles(dir, { "bin/atmos": `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done; echo\n` });
  chmodSync(join(dir, "bin/atmos"), 0o755);
  const sinks = Object.entries(SOURCES).flatMap(([source, expr]) => [
    `      - { name: shell-${source}, type: shell, command: "echo shell/${source} got={{ ${expr} }}" }`,
    `      - { name: script-${source}, type: script, interpreter: bash, output: raw, script: "echo script/${source} got={{ ${expr} }}" }`,
    `      - { name: spin-${source}, type: spin, title: "spin ${source}", command: "echo got={{ ${expr} }} > spin-${source}.out" }`,
    `      - { name: atmos-${source}, type: atmos, command: "terraform plan got={{ ${expr} }}" }`,
    `      - { name: container-${source}, type: container, with: { image: "muster-test/busybox:1", pull: never, command: "echo container/${source} got={{ ${expr} }}" } }`,
  ]);
  writeFileSync(join(dir, "atmos.yaml"), "base_path: .\nworkflows:\n  base_path: wf\n");
  writeFiles(dir, {
    "wf/sinks.yaml": `workflows:\n  sinks:\n    steps:\n${feeders(server.port)}${sinks.join("\n")}\n`,
    ...Object.fromEntries(Object.entries(SOURCES).map(([source, expr]) => [
      `wf/exec-${source}.yaml`,
      `workflows:\n  exec-${source}:\n    steps:\n${feeders(server.port)}      - { name: last, type: exec, command: "echo exec/${source} got={{ ${expr} }}" }\n`,
    ])),
  });
  const env = { PATH: `${join(dir, "bin")}:${process.env.PATH}`, ATMOS_BIN: join(dir, "bin/atmos") };
  const args = ["--var", `name=${HOSTILE}`, "-s", HOSTILE, "--answer", `ask=${HOSTILE}`];

  for (const runtime of ["bun", "deno"] as const) {
  test(`shell, script, spin, atmos and container steps print the value as itself, from every source (${runtime === "bun" ? "compiled binary" : "under Deno"})`, async () => {
    for (const source of Object.keys(SOURCES)) rmSync(join(dir, `spin-${source}.out`), { force: true });
    const command = runtime === "deno" ? [join(repoRoot, "node_modules/.bin/deno"), "run", "-A", join(repoRoot, "src/main.ts")] : undefined;
    const run = await muster(["workflow", "sinks", "-f", "wf/sinks.yaml", ...args], { cwd: dir, env, command, timeoutMs: 110_000 });
    expect(run.stderr).not.toContain("✗");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    for (const source of Object.keys(SOURCES)) {
      expect(lines).toContain(`shell/${source} got=${HOSTILE}`);
      expect(lines).toContain(`script/${source} got=${HOSTILE}`);
      expect(lines).toContain(`container/${source} got=${HOSTILE}`);
      expect(lines).toContain(`[terraform][plan][got=${HOSTILE}][-s][${HOSTILE}]`);
      expect(readFileSync(join(dir, `spin-${source}.out`), "utf8")).toBe(`got=${HOSTILE}\n`);
    }
    expect(existsSync(pwned)).toBe(false);
    expect(docker("ps", "-aq", "--filter", "ancestor=muster-test/busybox:1", "--filter", "label=dev.muster.run")).toBe("");
  }, 120_000);
  }

  test("exec hands the value over as itself, from every source", async () => {
    for (const source of Object.keys(SOURCES)) {
      const run = await muster(["workflow", `exec-${source}`, "-f", `wf/exec-${source}.yaml`, ...args], { cwd: dir, env });
      expect({ source, code: run.code, out: run.stdout.split("\n").filter((l) => l.startsWith("exec/")) }).toEqual({ source, code: 0, out: [`exec/${source} got=${HOSTILE}`] });
    }
    expect(existsSync(pwned)).toBe(false);
  }, 120_000);

  test("describe and --dry-run show the command with its values as variables, and what each holds", async () => {
    const run = await muster(["workflow", "exec-var", "-f", "wf/exec-var.yaml", "--dry-run", ...args], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stderr + run.stdout).toContain(`echo exec/var got="\${MUSTER_DATA_1}"`);
    expect(existsSync(pwned)).toBe(false);
  });
});

describe("where no safe rendering exists, validate and the run refuse with the position", () => {
  const project = (yaml: string) => {
    const dir = join(tmp.path, `refused-${Math.random().toString(36).slice(2)}`);
    writeFiles(dir, { "workflows.yaml": yaml });
    return dir;
  };

  test("quoted here-documents, sh -c '...', eval, python code: refused by validate at the template", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: heredoc
        type: shell
        command: |
          cat <<'EOF'
          {{ .vars.name }}
          EOF
      - { name: nested, type: shell, command: "sh -c 'echo {{ .vars.name | quote }}'" }
      - { name: evil, type: shell, command: "eval echo {{ .steps.nested.value }}" }
      - { name: py, type: script, interpreter: python3, script: "print('{{ .vars.name }}')" }
      - { name: fine, type: shell, command: "cat <<'EOF'\\n{{ .workflow.name }}\\nEOF" }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:8:11: workflow "w", step "heredoc": field "command": this value may come from outside the workflow file, and cannot be passed here as data: it stands in a here-document with a quoted delimiter (<<'EOF')`);
    expect(run.stderr).toContain(`workflows.yaml:10:60: workflow "w", step "nested": field "command": this value may come from outside the workflow file, and cannot be passed here as data: it is the code given to sh -c`);
    expect(run.stderr).toContain(`workflows.yaml:11:56: workflow "w", step "evil": field "command": this value may come from outside the workflow file, and cannot be passed here as data: it is an argument of eval`);
    expect(run.stderr).toContain(`workflows.yaml:12:73: workflow "w", step "py": field "script": this value may come from outside the workflow file, and cannot be passed here as data: the script is python3 code`);
    expect(run.stderr).toContain("✗ 4 problems in 1 of 1 file");
    // The run refuses before anything starts.
    const refused = await muster(["workflow", "w", "--var", `name=$(touch ${pwned})`], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(existsSync(pwned)).toBe(false);
  });

  test("a NUL byte in a step result is refused when the step is planned; words is named by validate and splits into data words", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: nul, type: shell, command: "printf 'a\\\\000b'" }
      - { name: use, type: shell, command: "echo {{ .steps.nul.value }}" }
  split:
    steps:
      - { name: args, type: shell, command: "printf '[%s]' {{ .vars.flags | words }}; echo" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`field "command": a value from outside the workflow file holds a NUL byte, which no process can receive`);
    const check = await muster(["validate"], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stderr).toContain(`workflows.yaml:8:60: note: workflow "split", step "args": field "command": splits a value from outside into words (words): each word is passed as data of its own`);
    const split = await muster(["workflow", "split", "--var", `flags=-a $(touch ${pwned}) 'b`], { cwd: dir });
    expect(split.code).toBe(0);
    expect(split.stdout).toBe(`[-a][$(touch][${pwned})]['b]\n`);
    expect(existsSync(pwned)).toBe(false);
  });
});
