/**
 * End-to-end: `muster serve` with a local repository (MUSTER_ALLOW_LOCAL_REPOS=1),
 * on the compiled binary: refused without the setting, what a run can see
 * of the repository, and the README's walkthrough run as written.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { musterBin, repoRoot, tempDir } from "./helpers.ts";
import { startCallbackReceiver, startRunner } from "./serve-fixtures.ts";

const TOKEN = "runner-token-local-5e7d9c1b3a";
const tmp = tempDir("muster-serve-local-");
// Runs never see tmpdir() (the sandbox hides /tmp): a repository whose hiding is muster's doing must lie elsewhere.
const visible = mkdtempSync(join(repoRoot, ".serve-local-test-"));
chmodSync(visible, 0o755);
process.once("exit", () => rmSync(visible, { recursive: true, force: true }));
const callbacks = startCallbackReceiver();
const runners: Array<Awaited<ReturnType<typeof startRunner>>> = [];
afterAll(async () => {
  for (const r of runners) r.proc.kill("SIGTERM");
  await Promise.all(runners.map((r) => r.proc.exited));
  callbacks.stop();
  tmp.cleanup();
  rmSync(visible, { recursive: true, force: true });
}, 30_000);

function sh(command: string, cwd: string): string {
  const proc = Bun.spawnSync(["sh", "-c", command], { cwd, stderr: "pipe" });
  if (!proc.success) throw new Error(`${command}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

const WORKFLOWS = `workflows:
  peek:
    steps:
      - name: look
        type: shell
        command: |
          echo "committed: $(cat committed.txt)"
          [ -e uncommitted.txt ] && echo "uncommitted in checkout" || echo "no uncommitted in checkout"
          src="$MUSTER_VAR_src"
          [ -e "$src/secret.env" ] && echo "source tree: visible" || echo "source tree: hidden"
          [ -e "$src/.git/HEAD" ] && echo "source git dir: visible" || echo "source git dir: hidden"
          # Into whatever covers the git dir, at most: never the repository's own hooks.
          mkdir -p "$src/.git/hooks" 2>/dev/null && echo 'echo pwned' > "$src/.git/hooks/post-commit" 2>/dev/null || true
`;

/** A work tree on branch `trunk` with one commit, an uncommitted file and an untracked secret. */
function makeWorkTree(name: string, under = tmp.path): string {
  const dir = join(under, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "workflows.yaml"), WORKFLOWS);
  writeFileSync(join(dir, "committed.txt"), "yes\n");
  sh("git init -q -b trunk . && git add -A && git -c user.name=t -c user.email=t@t commit -qm init", dir);
  writeFileSync(join(dir, "uncommitted.txt"), "not in the clone\n");
  writeFileSync(join(dir, "secret.env"), "TOKEN=hunter2\n");
  return dir;
}

const runnerTmp = join(tmp.path, "runner-tmp");
mkdirSync(runnerTmp, { recursive: true });
const baseEnv = { RUNNER_AUTH_TOKEN: TOKEN, MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1", MUSTER_CALLBACK_BASE_DELAY_MS: "20", TMPDIR: runnerTmp };

/** `muster serve` that must refuse to start: its exit code and stderr. */
async function refused(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([musterBin, "serve"], { env: { PATH: process.env.PATH ?? "", PORT: "0", MUSTER_STATE_DIR: join(tmp.path, "state-refused"), ...baseEnv, ...env }, stdout: "ignore", stderr: "pipe" });
  const stderr = await new Response(proc.stderr).text();
  return { code: await proc.exited, stderr };
}

function dispatch(base: string, body: unknown) {
  return fetch(`${base}/dispatch`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("a local repository", () => {
  test("is refused without MUSTER_ALLOW_LOCAL_REPOS=1 (a path, '.', a file:// URL), naming the setting", async () => {
    const tree = makeWorkTree("refused");
    for (const url of [tree, `file://${tree}`]) {
      const { code, stderr } = await refused({ ATMOS_REPO_URL: url });
      expect(code).toBe(2);
      expect(stderr).toBe(`muster serve: invalid configuration: ATMOS_REPO_URL: ${JSON.stringify(url)} is a repository on this machine: local repositories are refused unless MUSTER_ALLOW_LOCAL_REPOS=1 (for trying muster serve locally; see docs/serve.md, "Try it locally")\n`);
    }
    // The setting widens nothing else: other transports stay refused.
    const ext = await refused({ ATMOS_REPO_URL: "ext::sh -c touch% /tmp/x", MUSTER_ALLOW_LOCAL_REPOS: "1" });
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain("ATMOS_REPO_URL: unsupported URL");
  });

  test("must be a git repository that exists", async () => {
    const plain = join(tmp.path, "not-a-repo");
    mkdirSync(plain, { recursive: true });
    const notRepo = await refused({ ATMOS_REPO_URL: plain, MUSTER_ALLOW_LOCAL_REPOS: "1" });
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toContain(`ATMOS_REPO_URL: ${JSON.stringify(plain)} is not a git repository`);
    const missing = await refused({ ATMOS_REPO_URL: join(tmp.path, "missing"), MUSTER_ALLOW_LOCAL_REPOS: "1" });
    expect(missing.stderr).toContain("does not exist");
  });

  test("through a symlink: cloned at its real path, over file://; the run gets the commit and never sees the repository", async () => {
    const tree = makeWorkTree("source", visible);
    const link = join(tmp.path, "link-to-source");
    symlinkSync(tree, link);
    const r = await startRunner({ ...baseEnv, ATMOS_REPO_URL: link, MUSTER_ALLOW_LOCAL_REPOS: "1" });
    runners.push(r);
    expect(r.port).toBeGreaterThan(0);
    const listening = r.lines.find((l) => l.msg === "listening")!;
    expect(listening).toMatchObject({ repo: `file://${tree}`, branch: "trunk" });
    const runId = `local-${Date.now().toString(36)}`;
    expect((await dispatch(r.base, { runId, workflow: "peek", vars: { src: tree }, callbackUrl: callbacks.url() })).status).toBe(202);
    const result = await callbacks.waitFor(runId);
    expect(result).toMatchObject({ status: "succeeded", exitCode: 0 });
    const tail = String(result.logTail);
    expect(tail).toContain("committed: yes");
    expect(tail).toContain("no uncommitted in checkout");
    expect(tail).toContain("source tree: hidden");
    expect(tail).toContain("source git dir: hidden");
    expect(existsSync(join(tree, ".git/hooks/post-commit"))).toBe(false);
  }, 60_000);
});

describe("the muster that runs start", () => {
  test.if(process.getuid?.() === 0)("a root runner refuses to start when its runs (uids of their own) could not reach muster, naming the path", async () => {
    // Outside every path the sandbox hides (/tmp, TMPDIR, HOME): a muster there is not bound back, so its directories
    // must be searchable by the runs' uids. (A checkout under /tmp would hide `visible`, and runs could reach muster.)
    const outside = mkdtempSync("/var/lib/muster-serve-local-test-");
    try {
      const closed = join(outside, "private");
      mkdirSync(closed, { mode: 0o700 });
      copyFileSync(musterBin, join(closed, "muster"));
      chmodSync(join(closed, "muster"), 0o755);
      const tree = makeWorkTree("unreachable");
      const proc = Bun.spawn([join(closed, "muster"), "serve"], { env: { PATH: process.env.PATH ?? "", PORT: "0", MUSTER_STATE_DIR: join(tmp.path, "state-unreachable"), ...baseEnv, ATMOS_REPO_URL: tree, MUSTER_ALLOW_LOCAL_REPOS: "1" }, stdout: "ignore", stderr: "pipe" });
      const stderr = await new Response(proc.stderr).text();
      expect(await proc.exited).toBe(2);
      expect(stderr).toBe(`muster serve: invalid configuration: MUSTER_RUN_ISOLATION: runs run as uids of their own, which cannot reach ${join(closed, "muster")} (which every run starts): ${closed} is not searchable by others; install muster where every user can read it (for example in /usr/local/bin)\n`);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe("the README walkthrough", () => {
  test("'Try the dispatch runner', its commands as written, in a fresh clone", async () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Try the dispatch runner\n"));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    // The same commands, on ports of this test's own (8080 and 9999 may be taken on a shared machine).
    const [port, receiverPort] = [await freePort(), await freePort()];
    const script = block!.replaceAll("8080", String(port)).replaceAll("9999", String(receiverPort));
    expect(script).not.toBe(block);
    // A fresh clone of this repository's committed HEAD, as a newcomer has it.
    const clone = join(tmp.path, "readme-clone");
    sh(`git clone -q ${repoRoot} ${clone}`, tmp.path);
    // muster installed in a temp dir, as a newcomer's build in /tmp is: the sandbox hides /tmp but binds muster back.
    const bin = join(tmp.path, "bin");
    mkdirSync(bin);
    copyFileSync(musterBin, join(bin, "muster"));
    chmodSync(join(bin, "muster"), 0o755);
    const proc = Bun.spawn(["bash", "-e", "-c", script], {
      cwd: clone,
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME ?? "/root", PORT: String(port), XDG_STATE_HOME: join(tmp.path, "readme-state"), TMPDIR: runnerTmp },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const [queued, callback, state] = stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(queued).toEqual({ runId: "try-1", status: "queued" });
    expect(callback).toMatchObject({ runId: "try-1", status: "succeeded", exitCode: 0, error: null });
    expect(callback.logTail).toContain("hello, world from hello");
    expect(state).toMatchObject({ runId: "try-1", status: "succeeded", workflow: "hello", callback: { delivered: true } });
    expect(stderr).toContain(`repo="file://${clone}"`);
  }, 90_000);
});
