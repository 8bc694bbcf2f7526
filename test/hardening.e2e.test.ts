/**
 * End-to-end regressions for the workflow runner's hardening (issue
 * "Harden the workflow runner"): each fails on the code before it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, muster, processesMatching, spawnMuster, tempDir, watch, writeFiles, tagged } from "./helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
function project(yaml: string): string {
  const dir = join(tmp.path, `h${++n}`);
  // A stand-in atmos that records its argv, one [word] per argument.
  writeFiles(dir, { "workflows.yaml": yaml, "bin/atmos": `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done >> "$(dirname "$0")/../argv"; echo >> "$(dirname "$0")/../argv"\n` });
  return dir;
}
const env = (dir: string) => ({ ATMOS_BIN: join(dir, "bin/atmos") });

describe("templated values cannot become code or arguments", () => {
  test("atmos: a value with spaces stays one argument; it never adds words or a second -s", async () => {
    const dir = project(`workflows:\n  w:\n    stack: dev\n    steps:\n      - command: terraform plan {{ .vars.component }}\n`);
    const run = await muster(["workflow", "w", "--var", "component=vpc -s prod"], { cwd: dir, env: env(dir) });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "argv"), "utf8")).toBe("[terraform][plan][vpc -s prod][-s][dev]\n");
  });

  test("atmos: a value that would be read as a flag is refused before anything runs", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: first, type: shell, command: touch ran }\n      - { name: plan, command: "terraform plan {{ .vars.component }}" }\n`);
    const run = await muster(["workflow", "w", "--var", "component=--stack=prod"], { cwd: dir, env: env(dir) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:5:32: workflow "w", step "plan": field "command": {{ .vars.component }} renders to "--stack=prod", which atmos would read as a flag`);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });

  test("atmos: -s in the command loses to an explicit -s, which muster adds after it (atmos takes the last), as Atmos does", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: apply, command: "terraform apply vpc -s prod" }\n`);
    const run = await muster(["workflow", "w", "-s", "dev"], { cwd: dir, env: env(dir) });
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, "argv"), "utf8")).toBe("[terraform][apply][vpc][-s][prod][-s][dev]\n");
    // Without an explicit stack the command's own -s stands, as before.
    expect((await muster(["workflow", "w"], { cwd: dir, env: env(dir) })).code).toBe(0);
    expect(readFileSync(join(dir, "argv"), "utf8")).toBe("[terraform][apply][vpc][-s][prod][-s][dev]\n[terraform][apply][vpc][-s][prod]\n");
  });

  test("shell: | quote inside \"...\" is the value itself; inside sh -c '...' (a second parse) a validation error", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - { name: dq, type: shell, command: "echo \\"{{ .vars.x | quote }}\\" > out" }
      - { name: sq, type: shell, command: "sh -c 'echo {{ .vars.x | quote }}'" }
`);
    const run = await muster(["validate"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`workflows.yaml:5:56: workflow "w", step "sq": field "command": this value may come from outside the workflow file, and cannot be passed here as data: it is the code given to sh -c, which parses the value again`);
    const safe = project(`workflows:\n  w:\n    steps:\n      - { name: ok, type: shell, command: "echo {{ .vars.x | quote }} \\"{{ .vars.x | quote }}\\" > out" }\n`);
    const ok = await muster(["workflow", "w", "--var", "x=$(touch pwned)"], { cwd: safe });
    expect(ok.code).toBe(0);
    expect(readFileSync(join(safe, "out"), "utf8")).toBe("$(touch pwned) $(touch pwned)\n");
    expect(existsSync(join(safe, "pwned"))).toBe(false);
  });
});

describe("cleanup on every way muster can be told to stop", () => {
  const holder = (tag: string) => `workflows:\n  w:\n    steps:\n      - { name: hold, type: shell, command: "sleep ${tag} & echo started; wait" }\n      - { name: after, type: shell, when: always, command: touch after }\n`;

  for (const [signal, code] of [["SIGHUP", 129], ["SIGQUIT", 131]] as const) {
    test(`${signal} stops the run like SIGTERM: steps stopped, when: always runs, exit ${code}`, async () => {
      const tag = signal === "SIGHUP" ? tagged(1081) : tagged(1082);
      const dir = project(holder(tag));
      const proc = spawnMuster(["workflow", "w"], { cwd: dir });
      const stdout = watch(proc.stdout);
      expect(await stdout.waitFor("started")).toBe(true);
      proc.kill(signal);
      expect(await proc.exited).toBe(code);
      expect(await processesMatching(`sleep ${tag}`)).toEqual([]);
      expect(existsSync(join(dir, "after"))).toBe(true);
    });
  }

  test("kill -9 of muster: its steps' processes do not survive it (the watchdog's pipe closes)", async () => {
    const dir = project(holder(tagged(1083)));
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    const stdout = watch(proc.stdout);
    expect(await stdout.waitFor("started")).toBe(true);
    expect((await processesMatching(`sleep ${tagged(1083)}`)).length).toBeGreaterThan(0);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(await eventually(async () => (await processesMatching(`sleep ${tagged(1083)}`)).length === 0, 10_000)).toBe(true);
  });

  test("a closed stderr (EPIPE) does not stop the cleanup or change the exit code", async () => {
    const dir = project(holder(tagged(1084)));
    const proc = spawnMuster(["workflow", "w"], { cwd: dir });
    const stdout = watch(proc.stdout);
    expect(await stdout.waitFor("started")).toBe(true);
    await proc.stderr.cancel(); // the reader of muster's messages goes away
    proc.kill("SIGTERM"); // muster's "stopping" line now meets a broken pipe
    expect(await proc.exited).toBe(143);
    expect(await processesMatching(`sleep ${tagged(1084)}`)).toEqual([]);
    expect(existsSync(join(dir, "after"))).toBe(true);
  });
});

describe("parsing in linear time, with limits", () => {
  test("a 1 MB file with 60,000 keys validates in linear time (the quadratic duplicate-key check took 40 s and more)", async () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `          k${i}: ${i}`).join("\n");
    const dir = project(`workflows:\n  w:\n    steps:\n      - type: shell\n        command: echo\n        env:\n${keys}\n`);
    const run = await muster(["validate"], { cwd: dir, env: { MUSTER_NO_CACHE: "1" } });
    expect(run.code).toBe(0);
    // A duplicate among them is still found, at its position.
    const dup = project(`workflows:\n  w:\n    steps:\n      - type: shell\n        command: echo\n        env:\n${keys}\n          k30000: again\n`);
    const bad = await muster(["validate"], { cwd: dup, env: { MUSTER_NO_CACHE: "1" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`workflows.yaml:60007:11: invalid YAML: Map keys must be unique`);
  }, 15_000); // a bound, not a measurement: the quadratic check needed minutes here

  test("a file over 4 MiB is refused at 1:1; the other files are still reported", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { type: shel, command: x }\n`);
    writeFiles(dir, { "huge.yaml": `workflows:\n  h:\n    description: "${"x".repeat(5 * 1024 * 1024)}"\n    steps: [{ type: shell, command: echo }]\n` });
    const run = await muster(["validate"], { cwd: dir, env: { MUSTER_NO_CACHE: "1" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("huge.yaml:1:1: invalid YAML: the file is 5.0 MiB (expected at most 4 MiB for a workflow file)");
    expect(run.stderr).toContain(`workflows.yaml:4:17: workflow "w", step "step1": unknown step type "shel"`);
    expect(run.stderr).not.toContain("internal error");
  });
});

describe("a parse cache you can trust", () => {
  test("a cache entry planted by someone else never decides what runs", async () => {
    // An anchor keeps the file off the fast YAML path: the cache is consulted.
    const yaml = `workflows:\n  w:\n    env: &e { W: from-the-file }\n    steps:\n      - { name: s, type: shell, command: "echo $W", env: *e }\n`;
    const dir = project(yaml);
    const cache = join(dir, "cache");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const { cacheKey, entryPath } = await import("../src/load/parse-cache.ts");
    mkdirSync(cache, { mode: 0o700 });
    // The entries a poisoner would write for this exact text: the bare value the old format held,
    // and the current format with a MAC made up without the key.
    const forged = { workflows: { w: { steps: [{ name: "s", type: "shell", command: "touch pwned" }] } } };
    writeFileSync(join(cache, `${cacheKey(yaml)}.json`), JSON.stringify(forged));
    writeFileSync(entryPath(cache, yaml), JSON.stringify({ v: 1, hash: cacheKey(yaml), mac: "00".repeat(32), body: JSON.stringify(forged) }));
    const run = await muster(["workflow", "w"], { cwd: dir, env: { MUSTER_CACHE_DIR: cache } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("from-the-file\n");
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });
});

describe("resource exhaustion inside a step does not take muster down", () => {
  test("a full disk while spilling output: the tail is kept, the step fails with the reason, its sibling is untouched, the spill file goes", async () => {
    const dir = project(`workflows:
  w:
    steps:
      - name: g
        type: parallel
        output: grouped
        steps:
          - { name: big, type: shell, command: "head -c 8000000 /dev/zero | tr '\\\\0' 'x'; echo; echo the-very-end" }
          - { name: small, type: shell, command: "echo small-out" }
`);
    // A 2 MiB tmpfs as TMPDIR: the 8 MB spill cannot fit.
    const tiny = join(dir, "tiny-tmp");
    const { mkdirSync, readdirSync } = await import("node:fs");
    mkdirSync(tiny);
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", tiny]).success).toBe(true);
    try {
      const run = await muster(["workflow", "w"], { cwd: dir, env: { TMPDIR: tiny } });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/\[big\] failed \(the output of this step could not be kept \(.*(ENOSPC|no space).*\); only its last 64 KiB are\)/i);
      expect(run.stderr).toContain("[small] succeeded");
      expect(run.stdout).toContain("small-out\n");
      expect(run.stderr.includes("the-very-end")).toBe(true); // the tail (checked without printing 64 KiB on failure)
      expect(run.stderr).not.toContain("internal error");
      expect(readdirSync(tiny)).toEqual([]);
    } finally {
      Bun.spawnSync(["umount", tiny]);
    }
  });
});

describe("a fork bomb in a step is contained", () => {
  test("steps run under a process budget of their own (a pids cgroup here, as root); a bomb exhausts it, its timeout still fires, muster goes on", async () => {
    // First prove the mechanism is in place, so that the bomb below can never reach the machine.
    const probe = project(`workflows:\n  w:\n    steps:\n      - { name: where, type: shell, command: "cat /proc/self/cgroup > where; cat \\"/sys/fs/cgroup/pids$(grep pids where | cut -d: -f3)/pids.max\\" > max" }\n`);
    const where = await muster(["workflow", "w"], { cwd: probe, env: { MUSTER_MAX_PROCS: "100" } });
    expect(where.code).toBe(0);
    expect(readFileSync(join(probe, "where"), "utf8")).toMatch(/pids:\/muster-\d+$/m);
    expect(readFileSync(join(probe, "max"), "utf8").trim()).toBe("100");
    // A step that is not `sh -c` (atmos: its argv) gets a shell that joins and then execs it: in the same group.
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(probe, "bin/atmos"), `#!/bin/sh\ncat /proc/self/cgroup > "$(dirname "$0")/../where-atmos"\n`);
    writeFileSync(join(probe, "workflows.yaml"), "workflows:\n  w:\n    steps:\n      - { name: a, command: version }\n");
    expect((await muster(["workflow", "w"], { cwd: probe, env: { ...env(probe), MUSTER_MAX_PROCS: "100" } })).code).toBe(0);
    expect(readFileSync(join(probe, "where-atmos"), "utf8")).toMatch(/pids:\/muster-\d+$/m);

    const dir = project(`workflows:
  w:
    steps:
      - { name: bomb, type: shell, timeout: 3s, command: "b() { b | b & }; b; sleep 30" }
      - { name: after, type: shell, when: always, command: "echo muster-is-fine" }
`);
    const run = await muster(["workflow", "w"], { cwd: dir, env: { MUSTER_MAX_PROCS: "100" } });
    expect(run.code).toBe(124);
    expect(run.stderr).toContain("✗ bomb failed (timed out after 3.0s)");
    expect(run.stdout).toContain("muster-is-fine\n");
    expect(await processesMatching("b() { b | b & }")).toEqual([]);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync("/sys/fs/cgroup/pids").filter((n) => n === `muster-${run.pid}`)).toEqual([]);
  }, 30_000);
});

describe("small items", () => {
  test("bytes that are not UTF-8 are a positioned error, not silently replaced", async () => {
    const dir = project("workflows:\n  w:\n    steps: []\n");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "workflows.yaml"), Buffer.concat([Buffer.from('workflows:\n  w:\n    steps:\n      - { type: shell, command: "echo '), Buffer.from([0xff, 0xfe]), Buffer.from(`" }\n`)]));
    const run = await muster(["workflow", "w"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("workflows.yaml:4:39: invalid UTF-8 (byte 0xff at offset 65) (expected a UTF-8 text file)");
  });
});

describe("the directory muster starts in does not configure it", () => {
  test("a .env and a bunfig.toml there are not read (Bun's defaults for compiled programs): the step sees the environment it was given", async () => {
    const dir = project(`workflows:\n  w:\n    steps:\n      - { name: show, type: shell, command: 'echo "planted=\${PLANTED:-unset}"' }\n`);
    writeFiles(dir, { ".env": "PLANTED=from-dotenv\nMUSTER_JOURNAL_DIR=/nonexistent\n", "bunfig.toml": 'preload = ["./evil.ts"]\n', "evil.ts": 'require("node:fs").writeFileSync("evil-ran", "");\n' });
    const run = await muster(["workflow", "w"], { cwd: dir, env: env(dir) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("planted=unset\n");
    expect(existsSync(join(dir, "evil-ran"))).toBe(false);
  });
});
