/**
 * `muster serve` configuration, from the environment. Every problem names
 * its variable; the server does not start with an invalid configuration.
 * @module
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { stateHome } from "../files/user-dirs.ts";
import { platform } from "../platform/index.ts";
import { parseDuration } from "../workflow/duration.ts";
import { loadRunLimits, type RunLimits } from "./run-limits.ts";
import { redactUrl } from "./state-url.ts";

/** The runner's settings. */
export interface ServeConfig {
  /** Accepted bearer tokens (several during a rotation). */
  tokens: string[];
  /**
   * MUSTER_ANSWER_TOKENS: when any, only these answer a waiting run (and
   * cancel one); the RUNNER_AUTH_TOKEN tokens may not. Empty: those do.
   */
  answerTokens: string[];
  /** MUSTER_DISPATCH_ANSWERS (default on): a dispatch may carry `answers`; off, gates are answered only at the gate. */
  dispatchAnswers: boolean;
  repoUrl: string;
  repoBranch: string;
  /**
   * A repository on this machine (ATMOS_REPO_URL a path or file:// URL,
   * allowed only with MUSTER_ALLOW_LOCAL_REPOS=1): its real work tree (or
   * bare dir) and git dirs, which the run sandbox hides from runs.
   */
  localRepo?: { path: string; gitDirs: string[] };
  /** Private key for SSH clones, if any. */
  sshKey?: string;
  /** Token for HTTPS clones (given to git through GIT_ASKPASS, never in a URL or argv). */
  gitToken?: string;
  /** The user name sent with `gitToken`. */
  gitUsername: string;
  /** known_hosts content for SSH clones. */
  knownHosts?: string;
  /** Extra CA certificate (PEM file path) trusted for https clones. */
  gitCaFile?: string;
  port: number;
  host: string;
  /** Where the runs are kept: a SQLite directory (MUSTER_STATE_DIR, or MUSTER_STATE_URL=sqlite:DIR/runs.db) or a PostgreSQL URL. */
  state:
    | { kind: "sqlite"; dir: string; variable: "MUSTER_STATE_DIR" | "MUSTER_STATE_URL" | "MUSTER_STATE_URL_FILE" }
    /** `shown`: the URL without its password, or "the URL in FILE" (MUSTER_STATE_URL_FILE), for messages. */
    | { kind: "postgres"; url: string; variable: "MUSTER_STATE_URL" | "MUSTER_STATE_URL_FILE"; shown: string };
  /** This runner's name in the store (MUSTER_RUNNER_ID, default {@linkcode defaultRunnerId}): the owner of the runs it claims. */
  runnerId: string;
  /** How long a claimed run is this runner's without a renewal (MUSTER_LEASE_TTL, default 30s); renewed every third of it. */
  leaseTtlMs: number;
  /** How often a runner on a shared store looks for work, cancel requests and lost runs (MUSTER_POLL_INTERVAL, default 500ms). */
  pollMs: number;
  /** Final runs are forgotten this long after they finished (MUSTER_RUN_RETENTION). */
  runRetentionMs: number;
  concurrency: number;
  queueSize: number;
  shutdownGraceMs: number;
  /** Hosts a callback may use although they are http, loopback or private. */
  callbackAllowHosts: Set<string>;
  logFormat: "text" | "json";
  /** Retries of a callback: attempts and the first delay. */
  callbackAttempts: number;
  callbackBaseDelayMs: number;
  /** Queued runs one stack may have (MUSTER_QUEUE_PER_STACK; default: the whole queue). */
  queuePerStack: number;
  /** A run's time limit unless its dispatch asks for less (MUSTER_RUN_TIMEOUT, default 6h). */
  runTimeoutMs: number;
  /** The longest time limit a dispatch may ask for (MUSTER_RUN_TIMEOUT_MAX, default: MUSTER_RUN_TIMEOUT). */
  runTimeoutMaxMs: number;
  /** How long a canceled run may take to tear down before it is killed (MUSTER_CANCEL_GRACE, default 60s). */
  cancelGraceMs: number;
  /** How long a run may wait for an answer at a prompt before it fails (MUSTER_WAIT_TIMEOUT, default 24h). */
  waitTimeoutMs: number;
  /** How long shutdown may spend on callbacks after the grace (MUSTER_CALLBACK_BUDGET, default 20s). */
  callbackBudgetMs: number;
  /** `process` (runs share the runner's user) or `container` (each run in its own container: see isolated-run.ts). */
  runIsolation: "process" | "container";
  /** The image of a run's container (MUSTER_RUN_IMAGE; required with container isolation). */
  runImage: string;
  /** muster inside that image (MUSTER_RUN_BIN, default `muster`). */
  runBin: string;
  /** MUSTER_ALLOW_DOCKER_SOCKET: runs' container steps may reach the engine. */
  allowDockerSocket: boolean;
  /** MUSTER_METRICS_PUBLIC=1: `/metrics` answers without the bearer token (default: it needs it). */
  metricsPublic: boolean;
  /** A container-isolated run's bounds (MUSTER_RUN_PIDS, _MEMORY, _CPUS, _LOG_MAX_SIZE, _LOG_MAX_FILE, _NETWORK, _USER: see run-limits.ts). */
  runLimits: RunLimits;
}

export { ConfigError } from "./config-error.ts";
import { ConfigError } from "./config-error.ts";

function int(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}: current value is ${JSON.stringify(raw)}`);
  }
  return value;
}

const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~/-]+$/;

/** Whether `url` is an SSH repository URL (ssh:// or user@host:path). */
export function isSshUrl(url: string): boolean {
  return url.startsWith("ssh://") || SCP_LIKE.test(url);
}

/** Whether ATMOS_REPO_URL names a repository on this machine: a file:// URL, an absolute path, or ./ ../ . */
export function isLocalRepo(url: string): boolean {
  return url.startsWith("file://") || url.startsWith("/") || url === "." || url === ".." || url.startsWith("./") || url.startsWith("../");
}

/**
 * A local repository, checked without running git in it (its config is not
 * read): the real path (symlinks resolved), a work tree with a `.git`
 * directory or `gitdir:` file, or a bare repository; and the branch its
 * HEAD names. @internal
 */
export function inspectLocalRepo(url: string, cwd: string): { path: string; gitDirs: string[]; head?: string } {
  const given = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  const refuse = (why: string) => new ConfigError("ATMOS_REPO_URL", `${JSON.stringify(url)} ${why}`);
  let path: string;
  try {
    path = realpathSync(isAbsolute(given) ? given : resolve(cwd, given));
  } catch {
    throw refuse("does not exist");
  }
  if (!statSync(path).isDirectory()) throw refuse(`is not a directory (${path})`);
  if (/[\0-\x1f\x7f]/.test(path)) throw refuse("has control characters in its path");
  const isGitDir = (dir: string) => existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects"));
  let gitDir: string | undefined;
  const dotGit = join(path, ".git");
  if (existsSync(dotGit) && statSync(dotGit).isDirectory() && isGitDir(dotGit)) gitDir = realpathSync(dotGit);
  else if (existsSync(dotGit) && statSync(dotGit).isFile()) {
    // A linked work tree (git worktree add) or a submodule: ".git" is a file naming the git dir.
    const named = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
    const dir = named ? resolve(path, named) : undefined;
    if (dir && existsSync(join(dir, "HEAD"))) gitDir = realpathSync(dir);
  } else if (isGitDir(path)) gitDir = path;
  if (!gitDir) throw refuse(`is not a git repository (${path} has no .git, and is not a bare repository)`);
  const gitDirs = [gitDir];
  const common = join(gitDir, "commondir");
  if (existsSync(common)) {
    const dir = resolve(gitDir, readFileSync(common, "utf8").trim());
    if (existsSync(dir)) gitDirs.push(realpathSync(dir));
  }
  let head: string | undefined;
  try {
    head = /^ref: refs\/heads\/(.+)$/.exec(readFileSync(join(gitDir, "HEAD"), "utf8").trim())?.[1];
  } catch {
    // no readable HEAD: ATMOS_REPO_BRANCH must say
  }
  return { path, gitDirs: [...new Set(gitDirs)], head };
}

/**
 * The runner id when MUSTER_RUNNER_ID is not set: the host name and 12
 * random hex digits, new at every start and never stored. Two replicas
 * never share it (the pid did not tell apart host-network containers of one
 * image), and a restarted runner does not renew the leases of the process
 * it replaces: those run out and the runs are taken over as lost.
 *
 * @example
 * ```ts
 * defaultRunnerId(); // "build-7-3f9c1a0b62de"
 * ```
 */
export function defaultRunnerId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 100) || "runner";
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${host}-${suffix}`;
}

/**
 * Reads and checks the configuration.
 *
 * @example
 * ```ts
 * const config = loadServeConfig({ RUNNER_AUTH_TOKEN: "t", ATMOS_REPO_URL: "https://git.example.com/infra.git" });
 * config.port; // 8080
 * ```
 */
export function loadServeConfig(env: Record<string, string | undefined>): ServeConfig {
  /** A secret from NAME, or from the file NAME_FILE names (which wins): files keep secrets out of the environment. */
  const secret = (name: string): string | undefined => {
    const file = env[`${name}_FILE`];
    if (file) {
      try {
        return readFileSync(file, "utf8").trim() || undefined;
      } catch (error) {
        throw new ConfigError(`${name}_FILE`, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    return env[name] || undefined;
  };
  const tokens = (secret("RUNNER_AUTH_TOKEN") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  if (tokens.length === 0) throw new ConfigError("RUNNER_AUTH_TOKEN", "is required (one token, or several separated by commas)");
  for (const token of tokens) {
    if (token.length < 16) throw new ConfigError("RUNNER_AUTH_TOKEN", "each token must be at least 16 characters (use: openssl rand -hex 32)");
  }
  const answerTokens = (secret("MUSTER_ANSWER_TOKENS") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  for (const token of answerTokens) {
    if (token.length < 16) throw new ConfigError("MUSTER_ANSWER_TOKENS", "each token must be at least 16 characters (use: openssl rand -hex 32)");
    // A token in both sets would let a dispatcher answer its own gates: what the separate set is there to prevent.
    if (tokens.includes(token)) throw new ConfigError("MUSTER_ANSWER_TOKENS", "a token is also one of RUNNER_AUTH_TOKEN's; expected tokens of their own (whoever dispatches must not answer the gates)");
  }
  const dispatchAnswersRaw = (env.MUSTER_DISPATCH_ANSWERS ?? "1").toLowerCase();
  if (!["1", "true", "yes", "0", "false", "no"].includes(dispatchAnswersRaw)) throw new ConfigError("MUSTER_DISPATCH_ANSWERS", `${JSON.stringify(env.MUSTER_DISPATCH_ANSWERS)}: expected 1 (a dispatch may carry answers, the default) or 0 (gates are answered only at POST /runs/ID/answers)`);
  let repoUrl = env.ATMOS_REPO_URL ?? "";
  if (!repoUrl) throw new ConfigError("ATMOS_REPO_URL", "is required");
  let gitToken = secret("MUSTER_GIT_TOKEN");
  let urlUser: string | undefined;
  if (repoUrl.startsWith("https://")) {
    // Credentials in the URL would reach logs, git's argv and the checkout's .git/config: they move to GIT_ASKPASS.
    const url = new URL(repoUrl);
    if (url.username || url.password) {
      urlUser = decodeURIComponent(url.username) || undefined;
      gitToken ??= decodeURIComponent(url.password) || undefined;
      url.username = "";
      url.password = "";
      repoUrl = url.toString();
    }
  }
  if (repoUrl.startsWith("-")) throw new ConfigError("ATMOS_REPO_URL", "must not start with '-'");
  const allowLocal = ["1", "true", "yes"].includes((env.MUSTER_ALLOW_LOCAL_REPOS ?? "").toLowerCase());
  let localRepo: ServeConfig["localRepo"];
  let localHead: string | undefined;
  if (isLocalRepo(repoUrl)) {
    // For trying serve on one machine: never by default, so that a runner's repository is a remote the operator named.
    if (!allowLocal) {
      throw new ConfigError("ATMOS_REPO_URL", `${JSON.stringify(repoUrl)} is a repository on this machine: local repositories are refused unless MUSTER_ALLOW_LOCAL_REPOS=1 (for trying muster serve locally; see docs/serve.md, "Try it locally")`);
    }
    const inspected = inspectLocalRepo(repoUrl, platform.cwd());
    localRepo = { path: inspected.path, gitDirs: inspected.gitDirs };
    localHead = inspected.head;
    // Always a file:// URL: git's transport (a shallow clone, no hardlinks into the operator's objects), never its local copy.
    repoUrl = `file://${inspected.path}`;
  } else if (!repoUrl.startsWith("https://") && !isSshUrl(repoUrl)) {
    throw new ConfigError("ATMOS_REPO_URL", `unsupported URL ${JSON.stringify(repoUrl)} (expected https://..., ssh://... or user@host:path${allowLocal ? ", or a local path or file:// URL" : ""})`);
  }
  const repoBranch = env.ATMOS_REPO_BRANCH || (localRepo ? localHead : undefined) || "main";
  if (repoBranch.startsWith("-") || !/^[A-Za-z0-9._/-]+$/.test(repoBranch) || repoBranch.includes("..")) {
    throw new ConfigError("ATMOS_REPO_BRANCH", `invalid branch ${JSON.stringify(repoBranch)} (expected letters, digits, . _ / -, not starting with '-')`);
  }
  const knownHosts = env.ATMOS_REPO_KNOWN_HOSTS || undefined;
  if (isSshUrl(repoUrl) && !knownHosts) {
    throw new ConfigError("ATMOS_REPO_KNOWN_HOSTS", "is required for an SSH repository: host-key checking is never disabled");
  }
  const graceText = env.MUSTER_SHUTDOWN_GRACE || "30s";
  const shutdownGraceMs = parseDuration(graceText);
  if (shutdownGraceMs === undefined) throw new ConfigError("MUSTER_SHUTDOWN_GRACE", `expected a duration such as 30s: current value is ${JSON.stringify(graceText)}`);
  const duration = (name: string, fallback: string): number => {
    const text = env[name] || fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) throw new ConfigError(name, `expected a duration such as ${fallback}: current value is ${JSON.stringify(text)}`);
    return ms;
  };
  const runTimeoutMs = duration("MUSTER_RUN_TIMEOUT", "6h");
  const runTimeoutMaxMs = env.MUSTER_RUN_TIMEOUT_MAX ? duration("MUSTER_RUN_TIMEOUT_MAX", "6h") : runTimeoutMs;
  if (runTimeoutMaxMs < runTimeoutMs) throw new ConfigError("MUSTER_RUN_TIMEOUT_MAX", "must be at least MUSTER_RUN_TIMEOUT");
  const runIsolation = (env.MUSTER_RUN_ISOLATION || "process").toLowerCase();
  if (runIsolation !== "process" && runIsolation !== "container") {
    throw new ConfigError("MUSTER_RUN_ISOLATION", `expected process or container: current value is ${JSON.stringify(env.MUSTER_RUN_ISOLATION)}`);
  }
  if (runIsolation === "container" && !env.MUSTER_RUN_IMAGE) {
    throw new ConfigError("MUSTER_RUN_IMAGE", "is required with MUSTER_RUN_ISOLATION=container (an image holding muster and what your workflows run)");
  }
  const logFormat = (env.LOG_FORMAT || "text").toLowerCase();
  if (logFormat !== "text" && logFormat !== "json") throw new ConfigError("LOG_FORMAT", `expected text or json: current value is ${JSON.stringify(env.LOG_FORMAT)}`);
  // MUSTER_STATE_URL_FILE (wins): the URL, password included, stays out of the environment; messages name the file, never its content.
  const stateFile = env.MUSTER_STATE_URL_FILE || undefined;
  const stateVariable = stateFile ? "MUSTER_STATE_URL_FILE" : "MUSTER_STATE_URL";
  const stateUrl = secret("MUSTER_STATE_URL") ?? "";
  const stateShown = stateFile ? `the URL in ${stateFile}` : undefined;
  const badState = () => new ConfigError(stateVariable, `expected sqlite:DIR/runs.db or postgres://USER:PASSWORD@HOST:PORT/DB: ${stateFile ? `${stateFile} holds something else` : `current value is ${JSON.stringify(redactUrl(stateUrl))}`}`);
  let state: ServeConfig["state"];
  if (stateUrl === "") {
    state = { kind: "sqlite", dir: env.MUSTER_STATE_DIR || join(stateHome(env), "muster"), variable: "MUSTER_STATE_DIR" };
  } else if (stateUrl.startsWith("sqlite:")) {
    const file = stateUrl.slice("sqlite:".length);
    if (!file.endsWith("/runs.db")) throw badState();
    state = { kind: "sqlite", dir: file.slice(0, -"/runs.db".length) || "/", variable: stateVariable };
  } else if (/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(stateUrl)) {
    state = { kind: "postgres", url: stateUrl, variable: stateVariable, shown: stateShown ?? redactUrl(stateUrl) };
  } else {
    throw badState();
  }
  const runnerId = env.MUSTER_RUNNER_ID || defaultRunnerId();
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(runnerId)) throw new ConfigError("MUSTER_RUNNER_ID", `expected 1 to 128 letters, digits, '.', '_', ':' or '-': current value is ${JSON.stringify(runnerId)}`);
  const leaseTtlMs = duration("MUSTER_LEASE_TTL", "30s");
  if (leaseTtlMs < 3000) throw new ConfigError("MUSTER_LEASE_TTL", "must be at least 3s (leases are renewed every third of it)");
  return {
    state,
    runnerId,
    leaseTtlMs,
    pollMs: duration("MUSTER_POLL_INTERVAL", "500ms"),
    runRetentionMs: duration("MUSTER_RUN_RETENTION", "168h"),
    tokens,
    answerTokens,
    dispatchAnswers: ["1", "true", "yes"].includes(dispatchAnswersRaw),
    repoUrl,
    repoBranch,
    localRepo,
    sshKey: secret("GIT_SSH_KEY"),
    gitToken,
    gitUsername: env.MUSTER_GIT_USERNAME || urlUser || "x-access-token",
    knownHosts,
    gitCaFile: env.MUSTER_GIT_CA_FILE || undefined,
    port: int(env, "PORT", 8080, 0, 65535),
    // Loopback unless the operator says otherwise: the API speaks plain HTTP (terminate TLS in front of it).
    host: env.HOST || "127.0.0.1",
    concurrency: int(env, "MUSTER_CONCURRENCY", 2, 1, 64),
    queueSize: int(env, "MUSTER_QUEUE_SIZE", 32, 0, 10_000),
    shutdownGraceMs,
    callbackAllowHosts: new Set((env.MUSTER_CALLBACK_ALLOW_HOSTS ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean)),
    logFormat,
    callbackAttempts: int(env, "MUSTER_CALLBACK_ATTEMPTS", 5, 1, 20),
    callbackBaseDelayMs: int(env, "MUSTER_CALLBACK_BASE_DELAY_MS", 500, 0, 60_000),
    queuePerStack: int(env, "MUSTER_QUEUE_PER_STACK", int(env, "MUSTER_QUEUE_SIZE", 32, 0, 10_000), 0, 10_000),
    runTimeoutMs,
    runTimeoutMaxMs,
    cancelGraceMs: duration("MUSTER_CANCEL_GRACE", "60s"),
    waitTimeoutMs: duration("MUSTER_WAIT_TIMEOUT", "24h"),
    callbackBudgetMs: duration("MUSTER_CALLBACK_BUDGET", "20s"),
    runIsolation,
    runImage: env.MUSTER_RUN_IMAGE ?? "",
    runBin: env.MUSTER_RUN_BIN || "muster",
    allowDockerSocket: ["1", "true", "yes"].includes((env.MUSTER_ALLOW_DOCKER_SOCKET ?? "").toLowerCase()),
    metricsPublic: ["1", "true", "yes"].includes((env.MUSTER_METRICS_PUBLIC ?? "").toLowerCase()),
    // Read (and checked) only for container isolation: process-mode runs have no container of their own.
    runLimits: loadRunLimits(runIsolation === "container" ? env : {}),
  };
}
