/**
 * Real servers for the dispatch-runner tests, all on 127.0.0.1: a git
 * repository served over SSH (Debian's sshd with a generated host key) and
 * over HTTPS (git http-backend behind a TLS server with a self-signed CA),
 * a callback receiver, and the runner itself.
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { musterBin } from "./helpers.ts";

function sh(command: string, cwd?: string): string {
  const proc = Bun.spawnSync(["sh", "-c", command], { cwd, stderr: "pipe" });
  if (!proc.success) throw new Error(`${command}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

/** A bare repository holding `files`, on branch `main`. */
export function makeRepository(root: string, files: Record<string, string>, links: Record<string, string> = {}): string {
  const work = join(root, "work");
  mkdirSync(work, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, ".."), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(work, path));
  const bare = join(root, "repo.git");
  sh(`git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@t commit -qm init && git clone -q --bare . ${bare} && git -C ${bare} update-server-info`, work);
  return bare;
}

/** sshd on a loopback port serving `root`'s files to a generated client key. */
export async function startSshd(dir: string): Promise<{ port: number; clientKey: string; knownHosts: string; wrongKnownHosts: string; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  mkdirSync("/run/sshd", { recursive: true });
  sh(`ssh-keygen -q -t ed25519 -N '' -f host_key && ssh-keygen -q -t ed25519 -N '' -f other_host_key && ssh-keygen -q -t ed25519 -N '' -f client_key && cp client_key.pub authorized_keys && chmod 600 authorized_keys`, dir);
  const port = 30000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${join(dir, "host_key")}`, `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`, "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
      "UsePAM no", "StrictModes no", "LogLevel ERROR",
    ].join("\n") + "\n",
  );
  const proc = Bun.spawn(["/usr/sbin/sshd", "-D", "-e", "-f", join(dir, "sshd_config")], { stdout: "ignore", stderr: "pipe" });
  for (let i = 0; i < 100; i++) {
    const probe = Bun.spawnSync(["sh", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stderr: "ignore" });
    if (probe.success) break;
    await Bun.sleep(50);
  }
  const hostPub = readFileSync(join(dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
  const otherPub = readFileSync(join(dir, "other_host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
  return {
    port,
    clientKey: readFileSync(join(dir, "client_key"), "utf8"),
    knownHosts: `[127.0.0.1]:${port} ${hostPub}`,
    wrongKnownHosts: `[127.0.0.1]:${port} ${otherPub}`,
    // Waits for sshd to exit: it removes its pid file on the way out, which must not race the suite's cleanup.
    stop: async () => {
      proc.kill();
      await proc.exited;
    },
  };
}

/**
 * A TLS server running git http-backend for repositories under `projectRoot`;
 * with `auth`, every request without that Basic user and password gets a 401.
 */
export async function startGitHttps(dir: string, projectRoot: string, auth?: { user: string; password: string }): Promise<{ port: number; caFile: string; stop: () => void }> {
  mkdirSync(dir, { recursive: true });
  sh(`openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null`, dir);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") },
    async fetch(request) {
      const url = new URL(request.url);
      if (auth && request.headers.get("authorization") !== `Basic ${btoa(`${auth.user}:${auth.password}`)}`) {
        return new Response("credentials required\n", { status: 401, headers: { "www-authenticate": 'Basic realm="git"' } });
      }
      const cgi = Bun.spawn(["/usr/lib/git-core/git-http-backend"], {
        env: {
          GIT_PROJECT_ROOT: projectRoot, GIT_HTTP_EXPORT_ALL: "1", PATH_INFO: url.pathname, REQUEST_METHOD: request.method,
          QUERY_STRING: url.search.slice(1), CONTENT_TYPE: request.headers.get("content-type") ?? "", PATH: process.env.PATH ?? "",
          HTTP_GIT_PROTOCOL: request.headers.get("git-protocol") ?? "", REMOTE_ADDR: "127.0.0.1",
        },
        stdin: request.body ? new Uint8Array(await request.arrayBuffer()) : "ignore",
        stdout: "pipe",
      });
      const out = new Uint8Array(await new Response(cgi.stdout).arrayBuffer());
      await cgi.exited;
      const text = new TextDecoder("latin1").decode(out.subarray(0, Math.min(out.length, 4096)));
      const end = text.indexOf("\r\n\r\n");
      const headerText = text.slice(0, end);
      const headers = new Headers();
      let status = 200;
      for (const line of headerText.split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else headers.append(name, value);
      }
      return new Response(out.subarray(end + 4), { status, headers });
    },
  });
  return { port: server.port!, caFile: join(dir, "cert.pem"), stop: () => server.stop(true) };
}

/** A callback receiver that records every request; `respond` picks each answer's status. */
export function startCallbackReceiver(respond: (n: number) => number = () => 200) {
  const received: Array<{ body: Record<string, unknown>; authorization: string | null; path: string }> = [];
  const waiters: Array<() => void> = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      received.push({ body: await request.json(), authorization: request.headers.get("authorization"), path: new URL(request.url).pathname });
      for (const w of waiters.splice(0)) w();
      return new Response("", { status: respond(received.length) });
    },
  });
  return {
    url: (path = "/callback") => `http://127.0.0.1:${server.port}${path}`,
    received,
    /** Waits until a callback for `runId` arrived; returns its body. */
    async waitFor(runId: string, ms = 30_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = received.findLast((r) => r.body.runId === runId);
        if (hit) return hit.body;
        if (Date.now() > deadline) throw new Error(`no callback for ${runId} within ${ms} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    stop: () => server.stop(true),
  };
}

/**
 * The environment of a runner that clones `repo.git` from the test HTTPS git
 * server, calls back to 127.0.0.1 with quick retries and keeps its run dirs
 * in `tmpDir`: what the serve-state and replica suites share.
 */
export function httpsRunnerEnv(token: string, https: { port: number; caFile: string }, tmpDir: string): Record<string, string> {
  return {
    RUNNER_AUTH_TOKEN: token,
    ATMOS_REPO_URL: `https://127.0.0.1:${https.port}/repo.git`,
    MUSTER_GIT_CA_FILE: https.caFile,
    MUSTER_CALLBACK_ALLOW_HOSTS: "127.0.0.1",
    MUSTER_CALLBACK_BASE_DELAY_MS: "20",
    TMPDIR: tmpDir,
  };
}

/**
 * A serve suite's teardown: its runners killed and reaped, then (whatever
 * failed) its database, git server, callback receiver and temp dir gone.
 */
export async function stopServeSuite(parts: {
  runners: Array<{ proc: { kill(signal: "SIGKILL"): void; exited: Promise<number> } }>;
  postgres?: { stop(): Promise<void> };
  https?: { stop(): void };
  callbacks: { stop(): void };
  tmp: { cleanup(): void };
}): Promise<void> {
  try {
    for (const r of parts.runners) r.proc.kill("SIGKILL");
    await Promise.all(parts.runners.map((r) => r.proc.exited));
    await parts.postgres?.stop();
  } finally {
    parts.https?.stop();
    parts.callbacks.stop();
    parts.tmp.cleanup();
  }
}

/** The runner binary serving on a random port, with its log collected. */
export async function startRunner(env: Record<string, string>, options: { uid?: number; prefix?: string[]; bin?: string } = {}) {
  // As another user: setpriv drops to it before muster starts (the runner never had root). `prefix`: a wrapper such as unshare.
  const asUser = [...(options.prefix ?? []), ...(options.uid === undefined ? [] : ["setpriv", `--reuid=${options.uid}`, `--regid=${options.uid}`, "--clear-groups"])];
  // Each runner keeps its runs in a state directory of its own, removed when it exits, unless the test names one.
  const ownState = env.MUSTER_STATE_DIR === undefined && env.MUSTER_STATE_URL === undefined ? mkdtempSync(join(env.TMPDIR ?? tmpdir(), "muster-test-state-")) : undefined;
  if (ownState && options.uid !== undefined) chownSync(ownState, options.uid, options.uid);
  const proc = Bun.spawn([...asUser, options.bin ?? musterBin, "serve"], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", LOG_FORMAT: "json", ...(ownState ? { MUSTER_STATE_DIR: ownState } : {}), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (ownState) void proc.exited.then(() => rmSync(ownState, { recursive: true, force: true }));
  let log = "";
  let partial = "";
  const lines: Array<Record<string, unknown>> = [];
  /** When each line arrived (performance.now()), for the benchmarks. */
  const arrivals: number[] = [];
  let port = 0;
  const ready = (async () => {
    const reader = proc.stderr.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      const text = new TextDecoder().decode(next.value);
      log += text;
      partial += text;
      const complete = partial.split("\n");
      partial = complete.pop()!;
      for (const line of complete.filter(Boolean)) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = { raw: line };
        }
        lines.push(entry);
        arrivals.push(performance.now());
        if (entry.msg === "listening") port = Number(entry.port);
      }
    }
  })();
  for (let i = 0; i < 200 && !port; i++) {
    if (proc.exitCode !== null) break;
    await Bun.sleep(25);
  }
  return {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    get log() {
      return log;
    },
    lines,
    arrivals,
    done: ready,
  };
}

/**
 * An image for container-isolated runs: busybox, muster and its shared
 * libraries, nothing else (built with `docker import`, no registry needed).
 */
export function buildRunImage(dir: string, tag: string): void {
  for (const sub of ["bin", "lib64", "lib/x86_64-linux-gnu", "usr/local/bin", "etc", "tmp", "workspace"]) mkdirSync(join(dir, sub), { recursive: true });
  sh(`cp /bin/busybox bin/busybox && for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox bin/$a; done`, dir);
  sh(`for lib in $(ldd ${musterBin} | grep -o '/[^ ]*\\.so[^ ]*'); do cp "$lib" ".$lib"; done && cp ${musterBin} usr/local/bin/muster`, dir);
  writeFileSync(join(dir, "etc/passwd"), "root:x:0:0::/:/bin/sh\n");
  sh(`chmod 1777 tmp && tar -C . -c . | docker import --change 'ENV PATH=/usr/local/bin:/bin' - ${tag} >/dev/null`, dir);
}
