/**
 * The first of Atmos' non-interactive step types on the binary: toast,
 * hint, format, log, alert, stage, linebreak, clear, title, join, exit,
 * require/assert. What each writes, to which stream, what it stores, and
 * how it fails.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, projectDirs } from "./helpers.ts";

const projects = projectDirs("muster-messages-");
const project = (yaml: string) => projects.make({ "workflows.yaml": yaml });

describe("messages", () => {
  const yaml = `workflows:
  msgs:
    steps:
      - { type: stage, title: Setup }
      - { type: toast, content: "built {{ .workflow.name }}", level: success }
      - { type: toast, content: careful, level: warning }
      - { type: toast, content: plain, level: shout }
      - { type: hint, content: try --help }
      - { type: log, content: hidden by default, level: info }
      - { type: log, content: shown, level: warn, fields: { user: "{{ .workflow.name }}", msg: "two words" } }
      - { name: names, type: join, options: [a, "{{ .workflow.name }}", c], separator: "," }
      - { type: format, content: "joined={{ .steps.names.value }}" }
      - { type: linebreak, count: 2 }
      - { type: stage }
      - { type: alert, content: done }
      - { name: t, type: title, content: "building" }
      - { type: format, content: "title={{ .steps.t.value }}" }
`;
  test("each type writes its line to its stream, stores its value, and prints no start or end line", async () => {
    const run = await muster(["workflow", "msgs"], { cwd: project(yaml) });
    expect(run.code).toBe(0);
    // Data goes to stdout; messages go to stderr.
    expect(run.stdout).toBe("joined=a,msgs,c\ntitle=building\n");
    expect(run.stderr).toContain("[Stage 1/2] Setup\n✓ built msgs\n⚠ careful\nℹ plain\n💡 try --help\nWARN shown user=msgs msg=\"two words\"\n\n\n[Stage 2/2] step11\ndone\n");
    expect(run.stderr).not.toContain("hidden by default");
    expect(run.stderr).not.toContain("▸");
    // Without a terminal: no bell, no title sequence.
    expect(run.stderr).not.toContain("\x07");
    expect(run.stderr).not.toContain("\x1b]0;");
  });

  test("ATMOS_LOGS_LEVEL lowers the log threshold, as Atmos' logs.level does", async () => {
    const run = await muster(["workflow", "msgs"], { cwd: project(yaml), env: { ATMOS_LOGS_LEVEL: "Debug" } });
    expect(run.stderr).toContain("INFO hidden by default\n");
    const off = await muster(["workflow", "msgs"], { cwd: project(yaml), env: { ATMOS_LOGS_LEVEL: "Off" } });
    expect(off.stderr).not.toContain("WARN shown");
  });

  test("unknown keys and bad levels are refused with positions", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { type: toast, contnt: hi }
      - { type: log, content: x, level: loud }
      - { type: join, separator: "," }
      - { type: exit, code: 300 }
      - { type: require, hint: nothing }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:4:24: workflow "w", step "step1": unknown field "contnt", did you mean "content"?`);
    expect(run.stderr).toContain(`workflows.yaml:5:41: workflow "w", step "step2": field "level": got "loud" (expected one of: trace, debug, info, warn, warning, error)`);
    expect(run.stderr).toContain(`step "step3": missing required field "options", "values" or "content"`);
    expect(run.stderr).toContain(`step "step4": field "code": got number 300 (expected a whole number from 0 to 255)`);
    expect(run.stderr).toContain(`step "step5": nothing to check (expected at least one of "tools", "files", "dirs")`);
  });
});

describe("exit", () => {
  test("code 0 ends the run successfully: later steps are skipped except when: always", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: bye, type: exit, content: "stopping here" }
      - { type: format, content: never }
      - { type: format, content: always-runs, when: always }
`) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("always-runs\n");
    expect(run.stderr).toContain("stopping here\n");
    expect(run.stderr).toContain(`skipped (the workflow ended at step "bye")`);
  });

  test("a non-zero code fails the run with that code; when: failure steps run", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: stop, type: exit, code: 42, content: "not today" }
      - { type: format, content: never }
      - { type: format, content: on-failure, when: failure }
`) });
    expect(run.code).toBe(42);
    expect(run.stdout).toBe("on-failure\n");
    expect(run.stderr).toContain(`✗ stop failed (exit 42: not today)`);
  });
});

describe("require and assert", () => {
  test("every unmet requirement in one error with the hint; met ones store counts", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: ok
        type: require
        tools: [sh]
        files: [workflows.yaml]
        dirs: ["{{ .env.HOME }}"]
      - { type: format, content: "{{ .steps.ok.value }} tools={{ .steps.ok.tools }}" }
      - name: missing
        type: assert
        tools: [no-such-tool-xyz, sh]
        files: [nope.txt, sub]
        dirs: [workflows.yaml]
        hint: run make setup first
`);
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "nope.txt.bak"), "");
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("all requirements satisfied (1 tool, 1 file, 1 dir) tools=1\n");
    expect(run.stderr).toContain("requirements not met: not on PATH: no-such-tool-xyz; not a file: nope.txt, sub; not a directory: workflows.yaml");
    expect(run.stderr).toContain("hint: run make setup first");
  });
});

describe("say", () => {
  const yaml = `workflows:
  w:
    steps:
      - { name: s, type: say, content: "deploy {{ .workflow.name }} done", voice: en, rate: fast }
      - { type: say, content: always printed, print: always }
      - { type: say, content: never printed, print: never }
      - { type: format, content: "value={{ .steps.s.value }}" }
`;
  test("with a speech program on PATH it speaks (Atmos' flags) and prints only when asked", async () => {
    const dir = projects.make({
      "workflows.yaml": yaml,
      "bin/espeak": `#!/bin/sh\nprintf '%s|' "$@" >> "$SPOKEN"; echo >> "$SPOKEN"\n`,
    });
    const { chmodSync, readFileSync } = await import("node:fs");
    chmodSync(join(dir, "bin/espeak"), 0o755);
    const spoken = join(dir, "spoken.log");
    const run = await muster(["workflow", "w"], { cwd: dir, env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, SPOKEN: spoken } });
    expect(run.code).toBe(0);
    expect(readFileSync(spoken, "utf8")).toBe("-v|en|-s|220|deploy w done|\nalways printed|\nnever printed|\n");
    expect(run.stderr).toContain("always printed\n");
    expect(run.stderr).not.toContain("deploy w done");
    expect(run.stdout).toBe("value=deploy w done\n");
  });

  test("without one it prints per print:, and never fails", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(yaml), env: { PATH: "/usr/bin:/bin" } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("deploy w done\n");
    expect(run.stderr).toContain("always printed\n");
    expect(run.stderr).not.toContain("never printed");
  });
});

describe("markdown", () => {
  const yaml = `workflows:
  w:
    steps:
      - type: markdown
        content: |
          # Release {{ .workflow.name }}

          Some **bold** and \`code\`.

          - one
          - two
`;
  test("without a terminal: laid out as plain text on stderr, no escape codes", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(yaml) });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("Release w\n=========\n\nSome bold and code.\n");
    expect(run.stderr).toContain("  * one\n  * two\n");
    expect(run.stderr).not.toContain("\x1b[");
    expect(run.stdout).toBe("");
  });

  test("FORCE_COLOR styles it", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(yaml), env: { FORCE_COLOR: "1" } });
    expect(run.stderr).toContain("\x1b[1m");
  });
});

describe("table", () => {
  test("data rows with templated cells in Atmos' minimal style on stdout; columns pick and order; content as written", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - name: services
        type: table
        title: Services
        data:
          - { name: web, version: "{{ .workflow.name }}-1.2", port: 8080 }
          - { name: database, version: "16", port: 5432 }
      - { type: table, content: "a | b" }
      - { type: table, columns: [port, name], data: [{ name: x, port: 1 }] }
      - { type: format, content: "{{ .steps.services.value | splitList \\"\\\\n\\" | len }} lines" }
`) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "Services\n\n name      version  port\n" + "─".repeat(25) + "\n web       w-1.2    8080\n database  16       5432\n" +
        "a | b\n" +
        " port  name\n" + "─".repeat(12) + "\n 1     x\n" +
        "6 lines\n",
    );
  });

  test("neither data nor content is refused", async () => {
    const run = await muster(["validate"], { cwd: project(`workflows:\n  w:\n    steps:\n      - { type: table, title: x }\n`) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`missing required field "data" or "content"`);
  });
});

describe("spin", () => {
  test("output captured, not shown; one line when done; stores stdout; a failure shows stderr's tail and its code", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: build, type: spin, title: "Building {{ .workflow.name }}", command: "echo built-output; echo noise >&2" }
      - { type: format, content: "value=[{{ .steps.build.value }}] err=[{{ .steps.build.stderr | trim }}]" }
      - { name: broken, type: spin, title: Testing, command: "echo line1 >&2; echo line2 >&2; exit 3" }
      - { name: slow, type: spin, title: Slow, command: "sleep 30", timeout: 100ms, when: always }
`);
    const run = await muster(["workflow", "w", "--grace", "1s"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("value=[built-output\n] err=[noise]\n");
    expect(run.stderr).toContain("✓ Building w\n");
    expect(run.stderr).not.toContain("noise");
    expect(run.stderr).toContain("✗ broken failed (Testing: exit code 3)");
    expect(run.stderr).toContain("line1\n");
    expect(run.stderr).toContain("✗ slow failed (timed out after 100ms)");
  });
});

describe("script", () => {
  test("Atmos' argv per interpreter (stdin for python and unknown ones, -e for node, -c for shells); output modes; stored stdout", async () => {
    const dir = projects.make({
      "workflows.yaml": `workflows:
  w:
    steps:
      - name: py
        type: script
        interpreter: python3
        script: |
          print("hi", "{{ .workflow.name }}")
      - { name: js, type: script, interpreter: node, script: "console.log(process.argv.length, 1 + 1)", output: raw }
      - { name: sh, type: script, interpreter: sh, script: "echo from-sh; echo warn >&2", output: none }
      - { name: other, type: script, interpreter: cat, script: "catted text" }
      - { type: format, content: "py=[{{ .steps.py.value | trim }}] js=[{{ .steps.js.value | trim }}] sh=[{{ .steps.sh.stderr | trim }}] other=[{{ .steps.other.value }}]" }
      - { name: bad, type: script, interpreter: bash, script: "echo oops; exit 4" }
`,
      // A stand-in python3 that shows how it was called and what came on stdin.
      "bin/python3": `#!/bin/sh\necho "argv=$*"; echo "stdin=$(cat)"\n`,
    });
    const { chmodSync } = await import("node:fs");
    chmodSync(join(dir, "bin/python3"), 0o755);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { PATH: `${join(dir, "bin")}:${process.env.PATH}` } });
    expect(run.code).toBe(4);
    // log (a script's default): the output when the script ends; muster's own lines stand for Atmos' [name] labels.
    expect(run.stdout).toContain('argv=-\nstdin=print("hi", "w")\n');
    expect(run.stdout).toContain("1 2\n");
    expect(run.stdout).toContain("catted text\n");
    expect(run.stdout).toContain('py=[argv=-\nstdin=print("hi", "w")] js=[1 2] sh=[warn] other=[catted text]\n');
    expect(run.stdout).not.toContain("from-sh");
    expect(run.stderr).toMatch(/▸ py python3 script \(2 lines\)\n✓ py in /);
    expect(run.stdout).toContain("oops\n");
    expect(run.stderr).toContain("✗ bad failed (exit code 4)");
  });

  test("command is refused on a script step, and the interpreter is required", async () => {
    const run = await muster(["validate"], { cwd: project(`workflows:\n  w:\n    steps:\n      - { type: script, interpreter: sh, script: x, command: y }\n      - { type: script, script: x }\n`) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`"command" is not allowed on a script step`);
    expect(run.stderr).toContain(`missing required field "interpreter"`);
  });
});

describe("exec", () => {
  test("the last step gets muster's terminal and muster exits with its code", async () => {
    const run = await muster(["workflow", "w"], { cwd: project(`workflows:
  w:
    steps:
      - { name: prep, type: format, content: prepared }
      - { name: hand-over, type: exec, command: "echo from-exec {{ .workflow.name }}; exit 5" }
`) });
    expect(run.code).toBe(5);
    expect(run.stdout).toBe("prepared\nfrom-exec w\n");
  });

  test("anywhere but last it is refused with its position", async () => {
    const run = await muster(["validate"], { cwd: project(`workflows:\n  w:\n    steps:\n      - { type: exec, command: "true" }\n      - { type: format, content: x }\n`) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:4:17: workflow "w", step "step1": type exec must be the workflow's last step (expected no steps after it; 1 follow)`);
  });
});
