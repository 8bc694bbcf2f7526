/**
 * The platform contract: what every runtime adapter must do, written
 * against the `Platform` interface only. `contract.bun.test.ts` runs it
 * under Bun; `contract.deno.ts` under Deno (`deno test`), started by the Bun
 * suite so that `npm test` checks both.
 *
 * Servers are real and local: the Docker engine's unix socket, an HTTPS
 * server (Node, in a child process) with a certificate for `localhost`
 * from a CA made for the run, and the adapter's own `serve`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Platform } from "../../src/platform/types.ts";

/** What a test runner offers the contract. */
export interface Runner {
  test(name: string, fn: () => Promise<void> | void): void;
  equal(actual: unknown, expected: unknown, message?: string): void;
  /** A database on a throw-away PostgreSQL cluster the Bun suite started (test/postgres.ts). */
  postgresUrl: string;
}

const text = async (stream: ReadableStream<Uint8Array> | null) => (stream ? await new Response(stream).text() : "");

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Starts `argv` and returns its first stdout line (a handshake), keeping the process. */
async function startWithHandshake(platform: Platform, argv: string[]) {
  const child = platform.spawn(argv, { stdin: "null", stdout: "pipe", stderr: "inherit", env: platform.env() });
  const reader = child.stdout!.getReader();
  let buffered = "";
  const decoder = new TextDecoder();
  while (!buffered.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value);
  }
  reader.releaseLock();
  return { child, line: buffered.split("\n")[0]! };
}

const HTTPS_SERVER = `
const https = require("node:https"); const fs = require("node:fs");
const server = https.createServer({ key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2]) }, (req, res) => res.end("tls " + req.headers.host));
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/** Registers the contract's tests for `platform`. */
export function platformContract(platform: Platform, t: Runner): void {
  t.test("env, pid, cwd and process liveness", () => {
    t.equal(typeof platform.env().PATH, "string");
    t.equal(platform.pid > 0, true);
    t.equal(platform.cwd().length > 0, true);
    t.equal(platform.isProcessAlive(platform.pid), true);
    t.equal(platform.isProcessAlive(2 ** 22 + 12345), false);
  });

  t.test("processStartTime: the same for the same process, undefined once it is gone (Linux)", async () => {
    if (platform.os !== "linux") return;
    const own = platform.processStartTime!(platform.pid);
    t.equal(typeof own === "string" && /^[0-9a-f-]+:\d+$/.test(own), true, `own start time ${own}`);
    t.equal(platform.processStartTime!(platform.pid), own);
    const { child } = await startWithHandshake(platform, ["sh", "-c", "echo up; exec sleep 300"]);
    const started = platform.processStartTime!(child.pid);
    t.equal(started !== undefined && started !== own, true, "a child has a start time of its own");
    platform.killGroup(child.pid, "SIGKILL");
    await child.exited;
    t.equal(platform.processStartTime!(child.pid), undefined, "gone (reaped) once it exited");
    t.equal(platform.processStartTime!(2 ** 22 + 12345), undefined);
  });

  t.test("spawn pipes output and reports shell-style exit codes (128 + n after a signal)", async () => {
    const ok = platform.spawn(["sh", "-c", "echo out; echo err >&2; exit 3"], { stdin: "null", stdout: "pipe", stderr: "pipe", env: platform.env() });
    const [out, err, status] = await Promise.all([text(ok.stdout), text(ok.stderr), ok.exited]);
    t.equal([out, err, status.code], ["out\n", "err\n", 3]);
    const killed = platform.spawn(["sh", "-c", "kill -TERM $$; sleep 5"], { stdin: "null", stdout: "null", stderr: "null", env: platform.env() });
    t.equal((await killed.exited).code, 143);
  });

  t.test("stdin: pipe writes to the child in order, and close ends its input", async () => {
    const cat = platform.spawn(["cat"], { stdin: "pipe", stdout: "pipe", stderr: "null", env: platform.env() });
    cat.stdin!.write("one\n");
    cat.stdin!.write("two\n");
    cat.stdin!.close();
    t.equal([await text(cat.stdout), (await cat.exited).code], ["one\ntwo\n", 0]);
  });

  t.test("a missing executable is a SpawnError with code ENOENT", () => {
    let code = "";
    try {
      platform.spawn(["muster-contract-no-such-command"], { stdin: "null", stdout: "null", stderr: "null", env: platform.env() });
    } catch (error) {
      code = (error as { code?: string }).code ?? "";
    }
    t.equal(code, "ENOENT");
  });

  t.test("killGroup reaches the whole group, grandchildren included", async () => {
    const { child, line } = await startWithHandshake(platform, ["sh", "-c", "sleep 300 & echo $!; wait"]);
    const grandchild = Number(line);
    t.equal(platform.isProcessAlive(grandchild), true, "the grandchild runs before the kill");
    platform.killGroup(child.pid, "SIGKILL");
    t.equal((await child.exited).code, 137);
    // Reparented and reaped by init: gone within moments (not a timing assertion: a bound on waiting).
    t.equal(await until(() => !platform.isProcessAlive(grandchild) || isZombie(grandchild)), true, "the grandchild is gone");
  });

  t.test("onSignal delivers SIGTERM to its handler and can be removed", async () => {
    let got = 0;
    const off = platform.onSignal("SIGTERM", () => got++);
    const kill = platform.spawn(["kill", "-TERM", String(platform.pid)], { stdin: "null", stdout: "null", stderr: "null", env: platform.env() });
    await kill.exited;
    t.equal(await until(() => got === 1), true);
    off();
  });

  t.test("fetchVia talks HTTP over a unix socket (the Docker engine's)", async () => {
    const response = await platform.fetchVia(new Request("http://docker/_ping"), { unixSocket: "/var/run/docker.sock" });
    t.equal([response.status, await response.text()], [200, "OK"]);
  });

  t.test("fetchVia verifies TLS with a private CA, pinned to an address with serverName where the runtime can", async () => {
    const dir = mkdtempSync(join(tmpdir(), "muster-contract-tls-"));
    try {
      const openssl = async (args: string[]) => {
        const p = platform.spawn(["openssl", ...args], { stdin: "null", stdout: "null", stderr: "pipe", cwd: dir, env: platform.env() });
        const [err, status] = await Promise.all([text(p.stderr), p.exited]);
        if (status.code !== 0) throw new Error(`openssl ${args[0]}: ${err}`);
      };
      await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=muster contract CA"]);
      await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", "/CN=localhost"]);
      await writeText(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost\n");
      await openssl(["x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "1", "-extfile", "ext.cnf"]);
      const ca = readFileSync(join(dir, "ca.pem"), "utf8");
      const { child, line } = await startWithHandshake(platform, ["node", "-e", HTTPS_SERVER, join(dir, "key.pem"), join(dir, "cert.pem")]);
      try {
        const port = Number(line);
        const byName = await platform.fetchVia(new Request(`https://localhost:${port}/`), { tls: { ca } });
        t.equal(await byName.text(), `tls localhost:${port}`);
        if (platform.pinsTlsServerName) {
          const pinned = await platform.fetchVia(new Request(`https://127.0.0.1:${port}/`, { headers: { host: `localhost:${port}` } }), { tls: { ca, serverName: "localhost" } });
          t.equal(await pinned.text(), `tls localhost:${port}`);
        }
        let refused = false;
        await platform.fetchVia(new Request(`https://localhost:${port}/`), {}).then((r) => r.body?.cancel(), () => (refused = true));
        t.equal(refused, true, "an unknown CA is refused");
      } finally {
        platform.killGroup(child.pid, "SIGKILL");
        await child.exited;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t.test("renderMarkdown, where the runtime has one, lays Markdown out: plain text without colors, styles with", () => {
    if (!platform.renderMarkdown) return; // Deno: markdown steps print their source (a documented gap)
    const plain = platform.renderMarkdown("# Title\n\nSome **bold** text.\n", { colors: false, columns: 40 });
    t.equal(plain.includes("\x1b["), false, "no escape codes without colors");
    t.equal(plain.includes("**"), false, "emphasis markers are rendered, not printed");
    t.equal(plain.includes("Title"), true, "the heading's text is kept");
    t.equal(platform.renderMarkdown("**bold**", { colors: true }).includes("\x1b["), true, "styles with colors");
  });

  t.test("closeProcessMemory makes the process non-dumpable on Linux (the kernel confirms it)", async () => {
    t.equal(await platform.closeProcessMemory(), platform.os === "linux");
  });

  t.test("openSqlite: rows written survive closing and opening the file again", () => {
    const dir = mkdtempSync(join(tmpdir(), "muster-contract-sqlite-"));
    try {
      const path = join(dir, "state.db");
      const db = platform.openSqlite(path);
      db.exec("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT)");
      t.equal(db.run("INSERT INTO t (id, n, note) VALUES (?, ?, ?)", "a", 1, null), 1);
      t.equal(db.run("INSERT INTO t (id, n, note) VALUES (?, ?, ?)", "b", 2, "x"), 1);
      t.equal(db.run("UPDATE t SET n = n + 10 WHERE id = ?", "zzz"), 0);
      db.close();
      const again = platform.openSqlite(path);
      t.equal(again.all("SELECT id, n, note FROM t ORDER BY id"), [{ id: "a", n: 1, note: null }, { id: "b", n: 2, note: "x" }]);
      t.equal(again.all("SELECT id FROM t WHERE n > ?", 1), [{ id: "b" }]);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t.test("openPostgres: Bun's client round-trips rows and rolls a failed transaction back; Deno says it has none (a documented gap)", async () => {
    if (platform.runtime === "deno") {
      const error = await platform.openPostgres(t.postgresUrl).then(() => undefined, (e: Error) => e.message);
      t.equal(error?.includes("Deno has no built-in PostgreSQL client"), true, error);
      return;
    }
    const db = await platform.openPostgres(t.postgresUrl);
    try {
      await db.query("CREATE TABLE IF NOT EXISTS contract (id TEXT PRIMARY KEY, n BIGINT, note TEXT)");
      await db.query("DELETE FROM contract");
      await db.query("INSERT INTO contract (id, n, note) VALUES ($1, $2, $3), ($4, $5, $6)", ["a", 1, null, "b", 2, "x"]);
      const failed = await db.transaction(async (tx) => {
        await tx.query("UPDATE contract SET n = n + 10");
        throw new Error("roll back");
      }).catch((e: Error) => e.message);
      t.equal(failed, "roll back");
      t.equal(await db.transaction((tx) => tx.query("UPDATE contract SET note = $1 WHERE id = $2 RETURNING id", ["y", "a"])), [{ id: "a" }]);
      const rows = await db.query<{ id: string; n: string | number; note: string | null }>("SELECT id, n, note FROM contract ORDER BY id");
      t.equal(rows.map((r) => [r.id, Number(r.n), r.note]), [["a", 1, "y"], ["b", 2, "x"]]);
    } finally {
      await db.close();
    }
  });

  t.test("digest hashes text and bytes", () => {
    t.equal(platform.digest("sha256", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    t.equal(platform.digest("md5", new TextEncoder().encode("abc")), "900150983cd24fb0d6963f7d28e17f72");
  });

  t.test("on a terminal: isTerminal and columns see it; openKeyboard reads raw bytes (Ctrl-C is a byte, not a signal), gives line mode back, and lets the process end", async () => {
    // `script` gives the probe a pseudo-terminal as stdin and stdout; its own stdin (our pipe) is what is typed.
    const runtime = platform.selfCommand().slice(0, -1);
    const probe = new URL("./keyboard-probe.ts", import.meta.url).pathname;
    const command = `stty cols 97 rows 20; ${[...runtime, probe].map((w) => `'${w}'`).join(" ")}`;
    const child = platform.spawn(["script", "-qec", command, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: platform.env() });
    const reader = child.stdout!.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    const readUntil = async (marker: RegExp) => {
      while (!marker.test(seen)) {
        const { done, value } = await reader.read();
        if (done) break;
        seen += decoder.decode(value);
      }
    };
    await readUntil(/READY|NO-TERMINAL/);
    t.equal(seen.includes(`READY terminals true,true,true columns 97 size {"columns":97,"rows":20}`), true, seen);
    child.stdin!.write("a\x03");
    child.stdin!.write("q");
    await readUntil(/LINE-MODE \w+/);
    reader.releaseLock();
    t.equal(/GOT \[97,3,113\] LINE-MODE true/.test(seen), true, seen);
    child.stdin!.close();
    t.equal((await child.exited).code, 0);
    // Without a terminal on stdin there is no keyboard.
    const piped = platform.spawn([...runtime, probe], { stdin: "null", stdout: "pipe", stderr: "inherit", env: platform.env() });
    t.equal((await text(piped.stdout)).trim(), "NO-TERMINAL terminals false,false,false columns undefined");
  });

  t.test("openInput reads a piped stdin to its end (raw is ignored off a terminal); terminalSize is undefined there", async () => {
    const runtime = platform.selfCommand().slice(0, -1);
    const probe = new URL("./input-probe.ts", import.meta.url).pathname;
    const child = platform.spawn([...runtime, probe], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: platform.env() });
    child.stdin!.write("one\n");
    child.stdin!.write("two");
    child.stdin!.close();
    t.equal([(await text(child.stdout)).trim(), (await child.exited).code], [`INPUT "one\\ntwo" END size null`, 0]);
  });

  t.test("spawnTerminal: a terminal of the child's own, at the size given, its controlling one (Ctrl-C written is SIGINT), every byte read; Deno has none (a documented gap)", async () => {
    if (platform.runtime === "deno") {
      t.equal(platform.spawnTerminal, undefined);
      return;
    }
    let seen = "";
    const decoder = new TextDecoder();
    const script = `trap 'echo INT-$((1+1)); exit 7' INT; echo "on $(stty size) $(ps -o tty= -p $$ | tr -d ' ')"; echo ready-$((40+2)); while :; do sleep 0.05; done`;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const child = platform.spawnTerminal!(["sh", "-c", script], {
      env: platform.env(),
      size: { columns: 91, rows: 17 },
      onData: (data) => {
        seen += decoder.decode(data);
        if (seen.includes("ready-42")) ready();
      },
    });
    await isReady;
    child.write("\x03");
    const status = await child.exited;
    await child.drain();
    child.close();
    t.equal(status.code, 7);
    t.equal(/on 17 91 pts\/\d+/.test(seen), true, seen);
    t.equal(seen.includes("INT-2"), true, seen);
  });

  t.test("connectRaw: a raw connection to the engine's unix socket carries HTTP both ways; closeWrite leaves reading open", async () => {
    const socket = await platform.connectRaw({ unixSocket: "/var/run/docker.sock" });
    await socket.write("GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n");
    await socket.closeWrite();
    const answer = await text(socket.readable);
    socket.close();
    t.equal([/^HTTP\/1\.1 200/.test(answer), answer.endsWith("OK")], [true, true]);
  });

  t.test("tryLockFile: an exclusive flock, seen by other processes, never through a symlink", async () => {
    const dir = mkdtempSync(join(tmpdir(), "muster-contract-lock-"));
    try {
      const path = join(dir, "lock");
      const flockFree = async () => (await platform.spawn(["flock", "-n", path, "true"], { stdin: "null", stdout: "null", stderr: "null" }).exited).code === 0;
      const lock = platform.tryLockFile(path);
      t.equal(lock !== undefined, true, "a free lock is taken");
      t.equal(statSync(path).mode & 0o777, 0o600, "the lock file is created 0600");
      t.equal(platform.tryLockFile(path), undefined, "a second open file cannot take it");
      t.equal(await flockFree(), false, "flock(1) in another process sees it held");
      lock!.release();
      t.equal(await flockFree(), true, "released: free for others");
      symlinkSync(join(dir, "elsewhere"), join(dir, "link"));
      let refused = false;
      try {
        platform.tryLockFile(join(dir, "link"));
      } catch {
        refused = true;
      }
      t.equal(refused, true, "a symlink is refused");
      t.equal(existsSync(join(dir, "elsewhere")), false, "and its target is not created");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t.test("serve answers on a free port and stops", async () => {
    const server = await platform.serve({ port: 0, hostname: "127.0.0.1", handler: async (request, remote) => new Response(`${new URL(request.url).pathname} from ${remote}`) });
    const response = await fetch(`http://127.0.0.1:${server.port}/hello`);
    t.equal(await response.text(), "/hello from 127.0.0.1");
    await server.stop();
    let failed = false;
    await fetch(`http://127.0.0.1:${server.port}/hello`).then((r) => r.body?.cancel(), () => (failed = true));
    t.equal(failed, true, "a stopped server refuses connections");
  });
}

function isZombie(pid: number): boolean {
  try {
    return /^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function writeText(path: string, data: string): Promise<void> {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(path, data);
}
