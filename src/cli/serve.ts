/**
 * `muster serve`: the self-hosted dispatch runner.
 * @module
 */
import { defineCommand } from "./command.ts";
import { EXIT_USAGE } from "../exit-codes.ts";
import { platform } from "../platform/index.ts";
import { loadServeConfig, ConfigError } from "../serve/config.ts";
import { createApiHandler } from "../serve/http-api.ts";
import { createLog } from "../serve/log.ts";
import { Metrics } from "../serve/metrics.ts";
import { Redactor } from "../serve/redact.ts";
import { RunManager, sweepStaleRunDirs } from "../serve/run-manager.ts";
import { RunSandbox } from "../serve/run-sandbox.ts";
import { userInfo } from "node:os";
import { SqlRunStore, StateError } from "../serve/run-store.ts";
import { urlSecrets } from "../serve/state-url.ts";
import { TokenChecker } from "../serve/token.ts";
import { stderr } from "../output/terminal.ts";
import { VERSION } from "../version.ts";
import { SUMMARIES } from "./summaries.ts";

export default defineCommand({
  meta: { name: "serve", description: SUMMARIES.serve },
  args: {},
  async run() {
    // A long-lived server: its request paths are hot, so the JIT compiles as usual.
    platform.normalJit?.();
    let config;
    try {
      config = loadServeConfig(platform.env());
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      await stderr.write(`muster serve: invalid configuration: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // Before any run exists: runs share this user, and must not read this process's environment or memory.
    const memoryClosed = await platform.closeProcessMemory().catch(() => false);
    const redactor = new Redactor().add(...config.tokens, ...config.answerTokens, config.sshKey, config.gitToken, ...(config.state.kind === "postgres" ? urlSecrets(config.state.url) : []));
    const log = createLog(config.logFormat, redactor);
    const metrics = new Metrics();
    let store: SqlRunStore;
    try {
      store = config.state.kind === "sqlite" ? await SqlRunStore.openSqlite(config.state.dir, config.state.variable) : await SqlRunStore.openPostgres(config.state.url, config.state.variable, config.state.shown);
    } catch (error) {
      if (!(error instanceof StateError)) throw error;
      await stderr.write(`muster serve: cannot keep runs: ${redactor.redact(error.message)}\n`);
      return error.exitCode;
    }
    // Shared store: one live process per runner id (SQLite needs no row: its lock already allows one runner).
    try {
      if (store.shared) await store.registerRunner(config.runnerId, config.leaseTtlMs);
    } catch (error) {
      await store.close().catch(() => {});
      if (!(error instanceof StateError)) throw error;
      await stderr.write(`muster serve: cannot keep runs: ${redactor.redact(error.message)}\n`);
      return error.exitCode;
    }
    // Process-mode runs: their own uid (root runner) or user namespace, hiding the store, the credentials and other runs.
    let sandbox: RunSandbox | undefined;
    if (config.runIsolation === "process") {
      try {
        sandbox = await RunSandbox.start(platform.env(), { stateDir: config.state.kind === "sqlite" ? config.state.dir : undefined, allowDockerSocket: config.allowDockerSocket, concurrency: config.concurrency, localRepo: config.localRepo });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        await store.close();
        await stderr.write(`muster serve: invalid configuration: ${error.message}\n`);
        return EXIT_USAGE;
      }
    }
    // Root reads any process's environ: closed for a root runner's runs only because they run as other uids (or in containers).
    const memoryHidden = memoryClosed && (userInfo().uid !== 0 || config.runIsolation === "container" || sandbox?.dropsUid === true);
    const runs = new RunManager(config, log, metrics, redactor, store, sandbox);
    for (const dir of await sweepStaleRunDirs()) log("info", "removed a run dir left by a runner that is gone", { dir });
    const recovered = await runs.recover();
    if (recovered.lost + recovered.requeued + recovered.redelivered + recovered.waiting > 0) log("info", "took up the runs of the previous runner", recovered);
    const handler = createApiHandler({ runs, tokens: new TokenChecker(config.tokens), ...(config.answerTokens.length > 0 ? { answerTokens: new TokenChecker(config.answerTokens) } : {}), dispatchAnswers: config.dispatchAnswers, metrics, log, callbackAllowHosts: config.callbackAllowHosts, runTimeoutMaxMs: config.runTimeoutMaxMs, requireHost: true, metricsPublic: config.metricsPublic });
    const server = await platform.serve({
      port: config.port,
      hostname: config.host,
      handler: (request) =>
        handler(request).catch((error: Error) => {
          log("error", "request failed", { error: error.message });
          return new Response('{"error":"internal error"}\n', { status: 500, headers: { "content-type": "application/json" } });
        }),
    });
    // Warnings come before "listening": whoever waits for that line has read them too.
    if (sandbox?.warning) log("warn", sandbox.warning, {});
    if (!memoryClosed) log("warn", "this runner's memory and environment are readable by processes of its user (not Linux, or no libc FFI): runs could read its token", {});
    log("info", "listening", { version: VERSION, host: config.host, port: server.port, repo: config.repoUrl, branch: config.repoBranch, concurrency: config.concurrency, state: config.state.kind === "sqlite" ? config.state.dir : config.state.shown, runner: config.runnerId, memoryClosed: memoryHidden, sandbox: sandbox?.kind ?? "container" });

    const stopped = new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => async () => {
        if (stopping) {
          // A second signal: no more waiting. Runs' processes are killed (their groups), retries stop, the runner exits.
          log("warn", "stopping at once", { signal, running: runs.running });
          runs.abortAll();
          await server.stop().catch(() => {});
          platform.exit(signal === "SIGINT" ? 130 : 143);
        }
        stopping = true;
        log("info", "draining", { signal, graceMs: config.shutdownGraceMs, callbackBudgetMs: config.callbackBudgetMs, running: runs.running });
        await runs.drain(config.shutdownGraceMs, config.callbackBudgetMs);
        await server.stop();
        await store.close();
        log("info", "stopped", {});
        resolve(0);
      };
      platform.onSignal("SIGTERM", stop("SIGTERM"));
      platform.onSignal("SIGINT", stop("SIGINT"));
    });
    return stopped;
  },
});
