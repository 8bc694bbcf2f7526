/**
 * End-to-end: the release builds, the installer, the binary in a container
 * without Node or Bun, runtime parity (binary, Bun, Deno) and shell completion.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { muster, repoRoot, tempDir, writeFiles } from "./helpers.ts";

const tmp = tempDir("muster-dist-test-");
/** The release builds go to this suite's own temp dir: dist/ (which the other suites run) is never rebuilt in place. */
const dist = join(tmp.path, "release");
afterAll(() => tmp.cleanup());

function run(cmd: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const proc = Bun.spawnSync(cmd, { cwd: options.cwd, env: options.env ?? (process.env as Record<string, string>), stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

/** Like run(), without blocking the event loop (needed while this process serves HTTP). */
async function runAsync(cmd: string[], options: { env?: Record<string, string> } = {}) {
  const proc = Bun.spawn(cmd, { env: options.env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe("release builds", () => {
  beforeAll(() => {
    const build = run([join(repoRoot, "node_modules/.bin/bun"), "scripts/build.ts", "--all", "--out", dist], { cwd: repoRoot });
    expect(build.code).toBe(0);
  }, 300_000);

  test("seven targets with the right formats and a SHA256SUMS that matches", () => {
    const sums = readFileSync(join(dist, "SHA256SUMS"), "utf8").trim().split("\n").map((l) => l.split(/\s+/));
    expect(sums.map(([, name]) => name)).toEqual([
      "muster-linux-x64", "muster-linux-arm64", "muster-linux-x64-musl", "muster-linux-arm64-musl",
      "muster-darwin-x64", "muster-darwin-arm64", "muster-windows-x64.exe",
    ]);
    for (const [hash, name] of sums) {
      expect(run(["sha256sum", join(dist, name!)]).stdout.split(" ")[0]).toBe(hash!);
    }
    const file = (name: string) => run(["file", "-b", join(dist, name)]).stdout;
    expect(file("muster-linux-x64")).toMatch(/ELF 64-bit.*x86-64/);
    expect(file("muster-linux-arm64")).toMatch(/ELF 64-bit.*ARM aarch64/);
    expect(file("muster-linux-x64-musl")).toMatch(/ELF 64-bit.*x86-64.*ld-musl/);
    expect(file("muster-darwin-arm64")).toMatch(/Mach-O 64-bit.*arm64/);
    expect(file("muster-windows-x64.exe")).toMatch(/PE32\+ executable.*x86-64/);
  });

  test("the version and git commit are embedded", () => {
    const commit = run(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot }).stdout.trim();
    expect(run([join(dist, "muster-linux-x64"), "--version"]).stdout).toMatch(new RegExp(`^muster \\d+\\.\\d+\\.\\d+ \\(${commit}(-dirty)?\\)\\n$`));
  });

  describe("scripts/install.sh", () => {
    let server: ReturnType<typeof Bun.serve>;
    const served = new Map<string, string>(); // url prefix -> directory
    beforeAll(() => {
      // A corrupted copy of the release: same SHA256SUMS, one flipped byte in the binary.
      const bad = join(tmp.path, "corrupt");
      mkdirSync(bad, { recursive: true });
      copyFileSync(join(dist, "SHA256SUMS"), join(bad, "SHA256SUMS"));
      const bytes = readFileSync(join(dist, "muster-linux-x64"));
      bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
      writeFileSync(join(bad, "muster-linux-x64"), bytes);
      served.set("/good/", dist);
      served.set("/corrupt/", bad);
      server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch(request) {
          const path = new URL(request.url).pathname;
          for (const [prefix, dir] of served) {
            if (path.startsWith(prefix)) {
              const file = Bun.file(join(dir, path.slice(prefix.length)));
              return file.size > 0 ? new Response(file) : new Response("not found", { status: 404 });
            }
          }
          return new Response("not found", { status: 404 });
        },
      });
    });
    afterAll(() => server.stop(true));

    const install = (prefix: string, dir: string, extraPath?: string) =>
      runAsync(["sh", join(repoRoot, "scripts/install.sh")], {
        env: {
          PATH: `${extraPath ? `${extraPath}:` : ""}/usr/local/bin:/usr/bin:/bin`,
          HOME: tmp.path,
          MUSTER_DOWNLOAD_URL: `http://127.0.0.1:${server.port}${prefix}`,
          MUSTER_INSTALL_DIR: dir,
        },
      });

    test("downloads, verifies and installs the binary for this machine", async () => {
      const dir = join(tmp.path, "bin-good");
      const result = await install("/good", dir);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("downloading muster-linux-x64");
      expect(run([join(dir, "muster"), "--version"]).stdout).toStartWith("muster ");
    });

    test("refuses a binary whose checksum does not match", async () => {
      const dir = join(tmp.path, "bin-corrupt");
      const result = await install("/corrupt", dir);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("checksum mismatch for muster-linux-x64");
      expect(existsSync(join(dir, "muster"))).toBe(false);
    });

    test("picks the musl build on a musl system", async () => {
      const fake = join(tmp.path, "fake-ldd");
      mkdirSync(fake, { recursive: true });
      writeFileSync(join(fake, "ldd"), `#!/bin/sh\necho "musl libc (x86_64)"\n`);
      chmodSync(join(fake, "ldd"), 0o755);
      const dir = join(tmp.path, "bin-musl");
      const result = await install("/good", dir, fake);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("downloading muster-linux-x64-musl");
      expect(readFileSync(join(dir, "muster")).equals(readFileSync(join(dist, "muster-linux-x64-musl")))).toBe(true);
    });

    test("says clearly when the platform is not supported", async () => {
      const fake = join(tmp.path, "fake-uname");
      mkdirSync(fake, { recursive: true });
      writeFileSync(join(fake, "uname"), `#!/bin/sh\n[ "$1" = -s ] && echo SunOS || echo sparc64\n`);
      chmodSync(join(fake, "uname"), 0o755);
      const os = await install("/good", join(tmp.path, "bin-sun"), fake);
      expect(os.code).toBe(1);
      expect(os.stderr).toContain("unsupported operating system: SunOS");
      writeFileSync(join(fake, "uname"), `#!/bin/sh\n[ "$1" = -s ] && echo Linux || echo riscv64\n`);
      const cpu = await install("/good", join(tmp.path, "bin-riscv"), fake);
      expect(cpu.code).toBe(1);
      expect(cpu.stderr).toContain("unsupported CPU architecture: riscv64");
    });
  });
});

describe("the binary where users drop it", () => {
  const image = "muster-test/nonode:1";
  beforeAll(() => {
    // A rootfs holding only busybox, the binary's shared libraries and the binary: no Node, no Bun.
    const root = join(tmp.path, "rootfs");
    for (const dir of ["bin", "lib64", "lib/x86_64-linux-gnu", "usr/local/bin", "etc", "work", "tmp"]) mkdirSync(join(root, dir), { recursive: true });
    copyFileSync("/bin/busybox", join(root, "bin/busybox"));
    for (const applet of run(["/bin/busybox", "--list"]).stdout.trim().split("\n")) {
      if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
    }
    const libs = run(["ldd", join(repoRoot, "dist/muster")]).stdout.match(/\/[^\s]+\.so[^\s]*/g) ?? [];
    for (const lib of libs) copyFileSync(lib, join(root, lib));
    copyFileSync(join(repoRoot, "dist/muster"), join(root, "usr/local/bin/muster"));
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0::/:/bin/sh\nrunner:x:1001:1001::/work:/bin/sh\n");
    writeFileSync(join(root, "work/workflows.yaml"), `workflows:
  both:
    steps:
      - { name: who, type: shell, command: "echo uid=$(id -u)" }
      - name: group
        type: parallel
        output: prefixed
        steps:
          - { name: a, type: shell, command: "echo alpha" }
          - { name: b, type: shell, needs: [a], command: "echo beta" }
      - { name: last, type: shell, command: "exit 4" }
`);
    const tar = Bun.spawnSync(["sh", "-c", `chmod 1777 tmp && chmod 777 work && tar -C . -c . | docker import --change 'ENV PATH=/usr/local/bin:/bin' - ${image}`], { cwd: root, stderr: "pipe" });
    expect(tar.success).toBe(true);
  }, 120_000);
  afterAll(() => void Bun.spawnSync(["docker", "rmi", "-f", image]));

  test("runs a real workflow as UID 1001 in a container that has no Node and no Bun", () => {
    const probe = run(["docker", "run", "--rm", image, "sh", "-c", "command -v node || command -v bun || command -v deno || echo none"]);
    expect(probe.stdout.trim()).toBe("none");
    const result = run(["docker", "run", "--rm", "--user", "1001:1001", "-w", "/work", image, "muster", "workflow", "both"]);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("uid=1001\n[a] alpha\n[b] beta\n");
    expect(result.stderr).toContain("[group] summary: 2 succeeded, 0 failed, 0 skipped, 0 canceled");
    expect(result.stderr).toContain('failed at step "last" (exit 4)');
  });
});

describe("runtime parity", () => {
  const deno = join(repoRoot, "node_modules/.bin/deno");
  const bun = join(repoRoot, "node_modules/.bin/bun");
  const runtimes: Array<[string, string[]]> = [
    ["binary", [join(repoRoot, "dist/muster")]],
    ["bun", [bun, join(repoRoot, "src/main.ts")]],
    ["deno", [deno, "run", "-A", join(repoRoot, "src/main.ts")]],
  ];
  // Each run has its own journal id.
  const normalise = (text: string) => text.replace(/--resume=\d{8}-\d{6}-[0-9a-f]{4}/g, "--resume=RUN").replace(/\d+(\.\d+)?(ms|s)\b/g, "T").replace(/\d+m\d+s/g, "T");

  test("the example workflows give the same exit codes and output everywhere", async () => {
    const dir = join(tmp.path, "parity");
    writeFiles(dir, { "fail.yaml": "workflows:\n  fail:\n    steps:\n      - { name: one, type: shell, command: 'echo out; echo err >&2; exit 5' }\n" });
    const cases: Array<{ args: string[]; cwd: string }> = [
      { args: ["workflow", "hello", "-f", "examples/hello/hello.yaml", "--var", "who=parity"], cwd: repoRoot },
      { args: ["workflow", "checks", "-f", "parallel"], cwd: join(repoRoot, "examples/parallel-steps") },
      { args: ["workflow", "matrix", "-f", "parallel"], cwd: join(repoRoot, "examples/parallel-steps") },
      { args: ["workflow", "fail", "-f", "fail"], cwd: dir },
      { args: ["validate"], cwd: join(repoRoot, "fixtures/invalid") },
      { args: ["describe", "hello", "-f", "examples/hello/hello.yaml", "--json"], cwd: repoRoot },
    ];
    for (const c of cases) {
      const results = [];
      for (const [name, command] of runtimes) results.push({ name, ...(await muster(c.args, { cwd: c.cwd, command, timeoutMs: 60_000 })) });
      const [first, ...rest] = results;
      for (const other of rest) {
        expect({ case: c.args.join(" "), runtime: other.name, code: other.code }).toEqual({ case: c.args.join(" "), runtime: other.name, code: first!.code });
        expect(normalise(other.stdout)).toBe(normalise(first!.stdout));
        expect(normalise(other.stderr)).toBe(normalise(first!.stderr));
      }
    }
  }, 120_000);
});

test("bash completion: subcommands, flags and workflow names from the current project", () => {
  const script = (words: string, cword: number, cwd = repoRoot) =>
    run(["bash", "-c", `source <(muster completion bash); COMP_WORDS=(${words}); COMP_CWORD=${cword}; _muster; echo "\${COMPREPLY[*]}"`], {
      cwd,
      env: { PATH: `${join(repoRoot, "dist")}:/usr/bin:/bin`, HOME: tmp.path },
    }).stdout.trim();
  expect(run(["bash", "-c", "source <(muster completion bash); complete -p muster"], { env: { PATH: `${join(repoRoot, "dist")}:/usr/bin:/bin` } }).stdout.trim()).toBe("complete -F _muster muster");
  expect(script("muster wor", 1)).toBe("workflow");
  expect(script("muster v", 1)).toBe("validate");
  expect(script("muster workflow --fr", 2)).toBe("--from-step");
  expect(script("muster describe --j", 2)).toBe("--json");
  expect(script("muster workflow ''", 2, join(repoRoot, "examples/parallel-steps")).split(" ").sort()).toEqual(["checks", "matrix", "prefixed"]);
  expect(script("muster workflow -f examples/hello/hello.yaml h", 4)).toBe("hello");
  expect(script("muster completion z", 2)).toBe("zsh");
  // --from-step offers the named workflow's steps, not workflow names.
  expect(script("muster workflow hello -f examples/hello/hello.yaml --from-step g", 6)).toBe("greet goodbye");
  expect(script("muster workflow -f examples/hello/hello.yaml hello --from-step ''", 6).split(" ").sort()).toEqual(["goodbye", "greet", "pause", "stack"]);
  for (const shell of ["zsh", "fish"]) {
    const out = run([join(repoRoot, "dist/muster"), "completion", shell]).stdout;
    expect(out).toContain("__complete workflows");
  }
  // fish can be asked for completions directly; zsh's script must at least parse.
  const fishEnv = { PATH: `${join(repoRoot, "dist")}:/usr/bin:/bin`, HOME: tmp.path };
  const fish = (line: string, cwd = repoRoot) =>
    run(["fish", "-c", `muster completion fish | source; complete -C "${line}"`], { cwd, env: fishEnv }).stdout.split("\n").map((l) => l.split("\t")[0]).filter(Boolean);
  expect(fish("muster wor")).toEqual(["workflow"]);
  expect(fish("muster workflow --from")).toContain("--from-step");
  expect(fish("muster workflow ", join(repoRoot, "examples/parallel-steps")).sort()).toEqual(["checks", "matrix", "prefixed"]);
  expect(fish("muster workflow checks --from-step ", join(repoRoot, "examples/parallel-steps"))).toEqual(["checks"]);
  const zshScript = join(tmp.path, "muster.zsh");
  writeFileSync(zshScript, run([join(repoRoot, "dist/muster"), "completion", "zsh"]).stdout);
  expect(run(["zsh", "-n", zshScript]).code).toBe(0);
});
