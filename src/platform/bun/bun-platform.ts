/**
 * The Bun side of {@linkcode Platform}.
 * @module
 */
import { processStartTime } from "../process-start.ts";
import type { ChildProcess, IncrementalHash, Platform, SpawnOptions, SqlValue } from "../types.ts";
import { existsSync } from "node:fs";
import { SpawnError } from "../types.ts";
import { openNodeInput, openNodeKeyboard } from "../node-keyboard.ts";
import { spawnOnTerminal } from "./terminal-spawn.ts";
import { connectRawSocket } from "./raw-socket.ts";
import { openLibc } from "./libc.ts";
import { tryLockFile } from "./file-lock.ts";
import { terminalProbe } from "./terminal-probe.ts";

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13, SIGABRT: 6,
};

function stdio(mode: "inherit" | "pipe" | "null"): "inherit" | "pipe" | "ignore" {
  return mode === "null" ? "ignore" : mode;
}

/** Creates the Bun platform adapter. */
/** prctl options (linux/prctl.h). */
const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;

export function createBunPlatform(): Platform {
  // FileSinks buffer writes; flushing after each write keeps our lines ordered
  // with the output of children that write to the same file descriptors.
  const sinks = { 1: Bun.stdout.writer(), 2: Bun.stderr.writer() } as const;
  const closed = { 1: false, 2: false };
  return {
    runtime: "bun",
    os: process.platform === "win32" ? "windows" : process.platform,
    pid: process.pid,
    env: () => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
    cwd: () => process.cwd(),
    isProcessAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as { code?: string }).code !== "ESRCH";
      }
    },
    ...(process.platform === "linux" ? { processStartTime } : {}),
    pinsTlsServerName: true,
    parseYaml: (text) => Bun.YAML.parse(text),
    loadYamlSync: () => require("yaml") as typeof import("yaml"),
    renderMarkdown: (text, options) => Bun.markdown.ansi(text, options),
    args: () => process.argv.slice(2),
    spawn(argv: string[], options: SpawnOptions): ChildProcess {
      let proc;
      try {
        proc = Bun.spawn({
          cmd: argv,
          cwd: options.cwd,
          env: options.env,
          stdin: options.stdin === "null" ? "ignore" : options.stdin,
          stdout: stdio(options.stdout),
          stderr: stdio(options.stderr),
          detached: true,
        });
      } catch (error) {
        const code = (error as { code?: string }).code ?? "EUNKNOWN";
        const noCwd = code === "ENOENT" && options.cwd !== undefined && !existsSync(options.cwd);
        throw new SpawnError(argv[0] ?? "", noCwd ? "ENOCWD" : code, error, options.cwd);
      }
      const child = proc;
      return {
        pid: child.pid,
        stdout: options.stdout === "pipe" ? (child.stdout as ReadableStream<Uint8Array>) : null,
        stderr: options.stderr === "pipe" ? (child.stderr as ReadableStream<Uint8Array>) : null,
        stdin: options.stdin === "pipe"
          ? {
            write(text: string) {
              const sink = child.stdin as import("bun").FileSink;
              try {
                sink.write(text);
                void Promise.resolve(sink.flush()).catch(() => {});
              } catch {
                // the reader is gone
              }
            },
            close: () => void Promise.resolve((child.stdin as import("bun").FileSink).end()).catch(() => {}),
          }
          : null,
        exited: child.exited.then((exitCode) => {
          const signal = child.signalCode ? String(child.signalCode) : null;
          if (signal) return { code: 128 + (SIGNAL_NUMBERS[signal] ?? 0), signal };
          return { code: exitCode ?? 1, signal: null };
        }),
      };
    },
    killGroup(pid, signal) {
      if (process.platform === "win32") {
        // No process groups or signals: end the whole tree (unverified on real Windows, see README).
        Bun.spawnSync(["taskkill", "/T", "/F", "/PID", String(pid)], { stdout: "ignore", stderr: "ignore" });
        return;
      }
      try {
        process.kill(-pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    },
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => process.off(signal, handler);
    },
    isTerminal: (fd) => terminalProbe().isatty(fd),
    openKeyboard: () => openNodeKeyboard(process.stdin),
    columns: (fd) => terminalProbe().columns(fd),
    terminalSize: (fd) => terminalProbe().size(fd),
    onResize(handler) {
      process.on("SIGWINCH", handler);
      return () => process.off("SIGWINCH", handler);
    },
    spawnTerminal: process.platform === "win32" ? undefined : spawnOnTerminal,
    openInput: (options) => openNodeInput(process.stdin, options),
    connectRaw: connectRawSocket,
    write(fd, data) {
      // A reader that went away (EPIPE: `| head`, a closed terminal) must not stop a run or its
      // cleanup: what would have gone to it is dropped.
      if (closed[fd]) return;
      const sink = sinks[fd];
      try {
        sink.write(data);
        const flushed = sink.flush();
        if (flushed instanceof Promise) return flushed.then(() => undefined, () => void (closed[fd] = true));
      } catch {
        closed[fd] = true;
      }
    },
    exit(code) {
      for (const fd of [1, 2] as const) {
        try {
          if (!closed[fd]) void Promise.resolve(sinks[fd].flush()).catch(() => {});
        } catch {
          // the reader is gone
        }
      }
      process.exit(code);
    },
    fetchVia(request, transport) {
      if (transport.unixSocket) return fetch(request, { unix: transport.unixSocket } as RequestInit);
      return fetch(request, { tls: transport.tls } as RequestInit);
    },
    collectGarbage: () => Bun.gc(true),
    normalJit: () => Bun.unsafe.setJITPolicy(1),
    openSqlite(path) {
      const { Database } = require("bun:sqlite") as typeof import("bun:sqlite");
      const db = new Database(path, { create: true });
      return {
        exec: (sql) => void db.run(sql),
        run: (sql, ...params) => db.query(sql).run(...params).changes,
        all: <T>(sql: string, ...params: SqlValue[]) => db.query(sql).all(...params) as T[],
        close: () => db.close(),
      };
    },
    async openPostgres(url) {
      // Connections are opened lazily: one query now, so a wrong address or password fails here, not at the first dispatch.
      const sql = new Bun.SQL(url, { max: 8, idleTimeout: 60, connectionTimeout: 10 });
      const query = async <T>(on: Bun.SQL, text: string, params: SqlValue[] = []) => [...((await on.unsafe(text, params)) as T[])];
      try {
        await sql.unsafe("SELECT 1");
      } catch (error) {
        await sql.close({ timeout: 0 }).catch(() => {});
        throw error;
      }
      return {
        query: (text, params) => query(sql, text, params),
        transaction: (work) => sql.begin((tx) => work({ query: (text, params) => query(tx, text, params) })) as never,
        close: () => sql.close({ timeout: 5 }),
      };
    },
    digest: (algorithm, data) => new Bun.CryptoHasher(algorithm).update(data).digest("hex"),
    hasher(algorithm) {
      const hash = new Bun.CryptoHasher(algorithm);
      const fed: IncrementalHash = { update: (data) => (hash.update(data), fed), digest: () => hash.digest("hex") };
      return fed;
    },
    async closeProcessMemory() {
      const libc = openLibc({ prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" } });
      if (!libc) return false;
      try {
        const set = libc.symbols.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        const now = libc.symbols.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        return set === 0 && now === 0;
      } finally {
        libc.close();
      }
    },
    tryLockFile,
    selfCommand() {
      // A compiled binary's main module lives in its embedded file system.
      const compiled = Bun.main.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(Bun.main);
      return compiled ? [process.execPath] : [process.execPath, Bun.main];
    },
    async serve({ port, hostname, handler }) {
      const server = Bun.serve({
        port,
        hostname,
        fetch: (request, srv) => handler(request, srv.requestIP(request)?.address ?? ""),
      });
      return {
        port: server.port ?? port,
        stop: () => server.stop(true).then(() => undefined),
      };
    },
  };
}
