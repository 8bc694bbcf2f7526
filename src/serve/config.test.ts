import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServeConfig } from "./config.ts";

const base = { RUNNER_AUTH_TOKEN: "0123456789abcdef0123", ATMOS_REPO_URL: "https://git.example.com/infra.git" };

test("defaults", () => {
  const config = loadServeConfig(base);
  expect(config).toMatchObject({ port: 8080, repoBranch: "main", concurrency: 2, logFormat: "text", tokens: ["0123456789abcdef0123"] });
});

test("every problem names its variable", () => {
  expect(() => loadServeConfig({})).toThrow("RUNNER_AUTH_TOKEN: is required");
  expect(() => loadServeConfig({ ...base, RUNNER_AUTH_TOKEN: "short" })).toThrow("RUNNER_AUTH_TOKEN: each token must be at least 16 characters");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "" })).toThrow("ATMOS_REPO_URL: is required");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "ext::sh -c touch% /tmp/x" })).toThrow("ATMOS_REPO_URL: unsupported URL");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "file:///etc" })).toThrow("ATMOS_REPO_URL: \"file:///etc\" is a repository on this machine: local repositories are refused unless MUSTER_ALLOW_LOCAL_REPOS=1");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "file:///etc", MUSTER_ALLOW_LOCAL_REPOS: "1" })).toThrow("ATMOS_REPO_URL: \"file:///etc\" is not a git repository");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_BRANCH: "--upload-pack=x" })).toThrow("ATMOS_REPO_BRANCH: invalid branch");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "git@github.com:org/repo.git" })).toThrow("ATMOS_REPO_KNOWN_HOSTS: is required");
  expect(() => loadServeConfig({ ...base, PORT: "http" })).toThrow('PORT: must be a whole number from 0 to 65535: current value is "http"');
  expect(() => loadServeConfig({ ...base, MUSTER_SHUTDOWN_GRACE: "soon" })).toThrow("MUSTER_SHUTDOWN_GRACE");
  expect(() => loadServeConfig({ ...base, LOG_FORMAT: "xml" })).toThrow("LOG_FORMAT");
});

test("several tokens for rotation", () => {
  expect(loadServeConfig({ ...base, RUNNER_AUTH_TOKEN: "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb" }).tokens).toEqual(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
});

test("where runs are kept: a SQLite directory by default, a PostgreSQL URL for replicas; leases and the runner's name", () => {
  expect(loadServeConfig({ ...base, HOME: "/home/ops" })).toMatchObject({
    state: { kind: "sqlite", dir: "/home/ops/.local/state/muster", variable: "MUSTER_STATE_DIR" }, leaseTtlMs: 30_000, pollMs: 500,
  });
  expect(loadServeConfig({ ...base, XDG_STATE_HOME: "/var/state" }).state).toEqual({ kind: "sqlite", dir: "/var/state/muster", variable: "MUSTER_STATE_DIR" });
  expect(loadServeConfig({ ...base, MUSTER_STATE_URL: "sqlite:/srv/muster/runs.db" }).state).toEqual({ kind: "sqlite", dir: "/srv/muster", variable: "MUSTER_STATE_URL" });
  const url = "postgres://muster:secret@db.internal:5432/muster";
  expect(loadServeConfig({ ...base, MUSTER_STATE_URL: url, MUSTER_RUNNER_ID: "runner-a", MUSTER_LEASE_TTL: "1m" })).toMatchObject({ state: { kind: "postgres", url }, runnerId: "runner-a", leaseTtlMs: 60_000 });
  // The default id is the host name and a random suffix, new at each start: two replicas never share it.
  expect(loadServeConfig(base).runnerId).toMatch(/^[A-Za-z0-9._-]+-[0-9a-f]{12}$/);
  expect(loadServeConfig(base).runnerId).not.toBe(loadServeConfig(base).runnerId);
  expect(() => loadServeConfig({ ...base, MUSTER_STATE_URL: "mysql://u:secret@h/db" })).toThrow('MUSTER_STATE_URL: expected sqlite:DIR/runs.db or postgres://USER:PASSWORD@HOST:PORT/DB: current value is "mysql://u:…@h/db"');
  expect(() => loadServeConfig({ ...base, MUSTER_STATE_URL: "postgres://u:secret@h" })).toThrow("MUSTER_STATE_URL: expected");
  expect(() => loadServeConfig({ ...base, MUSTER_RUNNER_ID: "a b" })).toThrow("MUSTER_RUNNER_ID: expected 1 to 128 letters");
  expect(() => loadServeConfig({ ...base, MUSTER_LEASE_TTL: "1s" })).toThrow("MUSTER_LEASE_TTL: must be at least 3s");
});

test("MUSTER_ALLOW_LOCAL_REPOS leaves a remote repository's transports alone: https and ssh only, never file", async () => {
  const { cloneCommand } = await import("./git-clone.ts");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const secrets = mkdtempSync(join(tmpdir(), "muster-config-test-"));
  try {
    const config = loadServeConfig({ ...base, MUSTER_ALLOW_LOCAL_REPOS: "1" });
    expect(config.localRepo).toBeUndefined();
    const dirs = { root: secrets, home: secrets, checkout: join(secrets, "repo"), tmp: secrets };
    const { argv, env } = await cloneCommand(config, dirs, secrets);
    expect(env.GIT_ALLOW_PROTOCOL).toBe("https:ssh");
    expect(argv).not.toContain("protocol.file.allow=always");
    expect(argv).toContain("protocol.allow=never");
  } finally {
    rmSync(secrets, { recursive: true, force: true });
  }
});

test("a local repository: a linked work tree's git dirs (its own and the common one) and the branch its HEAD names", async () => {
  const { inspectLocalRepo } = await import("./config.ts");
  const { mkdtempSync, realpathSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const root = realpathSync(mkdtempSync(join(tmpdir(), "muster-config-test-")));
  try {
    const sh = (command: string) => expect(Bun.spawnSync(["sh", "-c", command], { cwd: root }).exitCode).toBe(0);
    sh("git init -q -b main main && git -C main -c user.name=t -c user.email=t@t commit -q --allow-empty -m init && git -C main worktree add -q -b feature ../linked");
    expect(inspectLocalRepo(join(root, "linked"), "/")).toEqual({ path: join(root, "linked"), gitDirs: [join(root, "main/.git/worktrees/linked"), join(root, "main/.git")], head: "feature" });
    expect(inspectLocalRepo("./main", root)).toEqual({ path: join(root, "main"), gitDirs: [join(root, "main/.git")], head: "main" });
    expect(loadServeConfig({ ...base, ATMOS_REPO_URL: `file://${root}/linked`, MUSTER_ALLOW_LOCAL_REPOS: "1" })).toMatchObject({ repoUrl: `file://${root}/linked`, repoBranch: "feature" });
    expect(loadServeConfig({ ...base, ATMOS_REPO_URL: `${root}/linked`, MUSTER_ALLOW_LOCAL_REPOS: "1", ATMOS_REPO_BRANCH: "main" }).repoBranch).toBe("main");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("MUSTER_STATE_URL_FILE: the URL from a file, which wins; messages name the file, never the URL", () => {
  const dir = mkdtempSync(join(tmpdir(), "muster-config-test-"));
  try {
    const file = join(dir, "state-url");
    writeFileSync(file, "postgres://muster:p@ss/w:rd-SECRET@db:5432/muster\n");
    expect(loadServeConfig({ ...base, MUSTER_STATE_URL_FILE: file, MUSTER_STATE_URL: "sqlite:/x/runs.db" }).state).toEqual({
      kind: "postgres", url: "postgres://muster:p@ss/w:rd-SECRET@db:5432/muster", variable: "MUSTER_STATE_URL_FILE", shown: `the URL in ${file}`,
    });
    writeFileSync(file, "mysql://u:SECRET@h/db\n");
    expect(() => loadServeConfig({ ...base, MUSTER_STATE_URL_FILE: file })).toThrow(`MUSTER_STATE_URL_FILE: expected sqlite:DIR/runs.db or postgres://USER:PASSWORD@HOST:PORT/DB: ${file} holds something else`);
    expect(() => loadServeConfig({ ...base, MUSTER_STATE_URL: "mysql://u:p@ss/SECRET@h/db" })).toThrow('MUSTER_STATE_URL: expected sqlite:DIR/runs.db or postgres://USER:PASSWORD@HOST:PORT/DB: current value is "mysql://u:…@h/db"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("MUSTER_ANSWER_TOKENS are tokens of their own; MUSTER_DISPATCH_ANSWERS is 1 or 0", () => {
  expect(loadServeConfig(base)).toMatchObject({ answerTokens: [], dispatchAnswers: true });
  expect(loadServeConfig({ ...base, MUSTER_ANSWER_TOKENS: "answer-token-0123456789, second-answer-token-01", MUSTER_DISPATCH_ANSWERS: "0" })).toMatchObject({ answerTokens: ["answer-token-0123456789", "second-answer-token-01"], dispatchAnswers: false });
  expect(() => loadServeConfig({ ...base, MUSTER_ANSWER_TOKENS: "short" })).toThrow("MUSTER_ANSWER_TOKENS: each token must be at least 16 characters");
  expect(() => loadServeConfig({ ...base, MUSTER_ANSWER_TOKENS: base.RUNNER_AUTH_TOKEN })).toThrow("MUSTER_ANSWER_TOKENS: a token is also one of RUNNER_AUTH_TOKEN's");
  expect(() => loadServeConfig({ ...base, MUSTER_DISPATCH_ANSWERS: "off" })).toThrow('MUSTER_DISPATCH_ANSWERS: "off": expected 1');
});
