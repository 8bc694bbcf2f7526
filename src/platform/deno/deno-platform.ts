/**
 * The Deno side of {@linkcode Platform}.
 * @module
 */
import { processStartTime } from "../process-start.ts";
import type { ChildProcess, IncrementalHash, Platform, SpawnOptions, SqlValue } from "../types.ts";
import { existsSync } from "node:fs";
import { SpawnError } from "../types.ts";
import nodeProcess from "node:process";
import { Deno, type DenoHttpClient } from "./deno-api.ts";
import { tryLockFile } from "./file-lock.ts";
import { openNodeInput, openNodeKeyboard } from "../node-keyboard.ts";
import { connectDenoRaw } from "./raw-socket.ts";

function stdio(mode: "inherit" | "pipe" | "null"): "inherit" | "piped" | "null" {
  return mode === "pipe" ? "piped" : mode;
}

// Sync writes keep our lines in order with children writing to the same fds.
function writeAll(stream: { writeSync(data: Uint8Array): number }, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += stream.writeSync(data.subarray(offset));
}

/** An in-order text writer over a child's stdin stream. */
function pipeWriter(stream: WritableStream<Uint8Array>): { write(text: string): void; close(): void } {
  const writer = stream.getWriter();
  const encoder = new TextEncoder();
  let chain = Promise.resolve();
  return {
    write: (text) => void (chain = chain.then(() => writer.write(encoder.encode(text))).catch(() => {})),
    close: () => void (chain = chain.then(() => writer.close()).catch(() => {})),
  };
}

/** Creates the Deno platform adapter. */
export function createDenoPlatform(): Platform {
  const clients = new Map<string, DenoHttpClient>();
  const closed = { 1: false, 2: false };
  return {
    runtime: "deno",
    os: Deno.build.os,
    pid: Deno.pid,
    env: () => Deno.env.toObject(),
    cwd: () => Deno.cwd(),
    isProcessAlive(pid) {
      // Deno.kill has no signal 0; Node's process.kill(pid, 0) probes without signaling.
      try {
        nodeProcess.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as { code?: string }).code !== "ESRCH";
      }
    },
    ...(nodeProcess.platform === "linux" ? { processStartTime } : {}),
    pinsTlsServerName: false,
    args: () => Deno.args,
    spawn(argv: string[], options: SpawnOptions): ChildProcess {
      const [command = "", ...args] = argv;
      let child;
      try {
        child = new Deno.Command(command, {
          args,
          cwd: options.cwd,
          env: options.env,
          clearEnv: options.env !== undefined,
          stdin: options.stdin === "pipe" ? "piped" : options.stdin,
          stdout: stdio(options.stdout),
          stderr: stdio(options.stderr),
          detached: true,
        }).spawn();
      } catch (error) {
        const code = error instanceof Deno.errors.NotFound ? "ENOENT" : ((error as { code?: string }).code ?? "EUNKNOWN");
        const noCwd = code === "ENOENT" && options.cwd !== undefined && !existsSync(options.cwd);
        throw new SpawnError(command, noCwd ? "ENOCWD" : code, error, options.cwd);
      }
      return {
        pid: child.pid,
        stdout: options.stdout === "pipe" ? child.stdout : null,
        stderr: options.stderr === "pipe" ? child.stderr : null,
        stdin: options.stdin === "pipe" ? pipeWriter(child.stdin) : null,
        exited: child.status.then(({ code, signal }) => ({ code, signal: signal ?? null })),
      };
    },
    killGroup(pid, signal) {
      if (Deno.build.os === "windows") {
        // No process groups or signals: end the whole tree (unverified on real Windows, see README).
        new Deno.Command("taskkill", { args: ["/T", "/F", "/PID", String(pid)], stdin: "null", stdout: "null", stderr: "null" }).spawn();
        return;
      }
      try {
        Deno.kill(-pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    },
    onSignal(signal, handler) {
      Deno.addSignalListener(signal, handler);
      return () => Deno.removeSignalListener(signal, handler);
    },
    isTerminal: (fd) => (fd === 0 ? Deno.stdin : fd === 1 ? Deno.stdout : Deno.stderr).isTerminal(),
    openKeyboard: () => openNodeKeyboard(nodeProcess.stdin),
    terminalSize(fd) {
      if (!(fd === 0 ? Deno.stdin : fd === 1 ? Deno.stdout : Deno.stderr).isTerminal()) return undefined;
      try {
        return Deno.consoleSize();
      } catch {
        return undefined;
      }
    },
    onResize(handler) {
      Deno.addSignalListener("SIGWINCH", handler);
      return () => Deno.removeSignalListener("SIGWINCH", handler);
    },
    // Deno has no pseudo-terminal API (Deno.Command's stdio is inherit, piped or null): spawnTerminal stays
    // undefined, and `tty: true` on a host step is refused under Deno, saying so (a documented gap).
    openInput: (options) => openNodeInput(nodeProcess.stdin, options),
    connectRaw: connectDenoRaw,
    // Loaded on first use: this module is imported under Bun too, where node:crypto costs start-up.
    openSqlite(path) {
      const { DatabaseSync } = (nodeProcess as unknown as { getBuiltinModule(id: "node:sqlite"): typeof import("node:sqlite") }).getBuiltinModule("node:sqlite");
      const db = new DatabaseSync(path);
      return {
        exec: (sql) => db.exec(sql),
        run: (sql, ...params) => Number(db.prepare(sql).run(...params).changes),
        all: <T>(sql: string, ...params: SqlValue[]) => db.prepare(sql).all(...params).map((row) => ({ ...row }) as T),
        close: () => db.close(),
      };
    },
    openPostgres() {
      return Promise.reject(new Error("PostgreSQL state needs the Bun build of muster (the muster executable): Deno has no built-in PostgreSQL client, and muster takes no package for one; under Deno use sqlite:DIR/runs.db"));
    },
    digest: (algorithm, data) => (nodeProcess as unknown as { getBuiltinModule(id: "node:crypto"): typeof import("node:crypto") }).getBuiltinModule("node:crypto").createHash(algorithm).update(data).digest("hex"),
    hasher(algorithm) {
      const hash = (nodeProcess as unknown as { getBuiltinModule(id: "node:crypto"): typeof import("node:crypto") }).getBuiltinModule("node:crypto").createHash(algorithm);
      const fed: IncrementalHash = { update: (data) => (hash.update(data), fed), digest: () => hash.digest("hex") };
      return fed;
    },
    columns(fd) {
      if (!(fd === 1 ? Deno.stdout : Deno.stderr).isTerminal()) return undefined;
      try {
        return Deno.consoleSize().columns;
      } catch {
        return undefined;
      }
    },
    write(fd, data) {
      // A reader that went away (EPIPE) must not stop a run or its cleanup: its output is dropped.
      if (closed[fd]) return;
      try {
        writeAll(fd === 1 ? Deno.stdout : Deno.stderr, data);
      } catch {
        closed[fd] = true;
      }
    },
    exit: (code) => Deno.exit(code),
    fetchVia(request, transport) {
      // One client per transport, reused: a client owns a connection pool.
      const key = JSON.stringify(transport);
      let client = clients.get(key);
      if (!client) {
        client = transport.unixSocket
          ? Deno.createHttpClient({ proxy: { transport: "unix", path: transport.unixSocket } })
          : Deno.createHttpClient({ caCerts: transport.tls?.ca ? [transport.tls.ca] : undefined, cert: transport.tls?.cert, key: transport.tls?.key });
        clients.set(key, client);
      }
      return fetch(request, { client } as RequestInit);
    },
    // V8 keeps up on its own; nothing to do.
    collectGarbage: () => {},
    closeProcessMemory() {
      if (Deno.build.os !== "linux") return Promise.resolve(false);
      for (const name of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"]) {
        try {
          const libc = Deno.dlopen(name, { prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" } } as const);
          const set = libc.symbols.prctl(4, 0n, 0n, 0n, 0n); // PR_SET_DUMPABLE
          const now = libc.symbols.prctl(3, 0n, 0n, 0n, 0n); // PR_GET_DUMPABLE
          libc.close();
          return Promise.resolve(set === 0 && now === 0);
        } catch {
          // not this libc's name (or no --allow-ffi): try the next
        }
      }
      return Promise.resolve(false);
    },
    tryLockFile,
    selfCommand: () => [Deno.execPath(), "run", "-A", new URL(Deno.mainModule).pathname],
    serve({ port, hostname, handler }) {
      return new Promise((resolve) => {
        const server = Deno.serve(
          { port, hostname, onListen: (addr) => resolve({ port: addr.port, stop: () => server.shutdown() }) },
          (request, info) => handler(request, info.remoteAddr.hostname),
        );
      });
    },
  };
}
