/**
 * The contract between muster's core and the JavaScript runtime it runs on.
 *
 * The rule, enforced by `scripts/check-platform.sh` in the test command:
 * outside `src/platform/`, code uses web standards (fetch, streams,
 * AbortSignal, crypto.getRandomValues/subtle, TextEncoder) and these Node
 * modules, which Bun and Deno 2 both implement: `node:fs`, `node:fs/promises`,
 * `node:path`, `node:os` (homedir, hostname, tmpdir), `node:crypto`
 * (createHash, createHmac, randomBytes, timingSafeEqual), `node:dns/promises`
 * (lookup) and `node:net` (isIP). It never touches `process` or the `Bun` and
 * `Deno` globals: the environment, the pid, the working directory, the OS,
 * signals, spawning, stdio, HTTP serving and transport-level fetch go
 * through this interface. Each runtime implements it in one small adapter,
 * and one contract suite (`test/platform.contract.ts`) runs against both.
 */

/** How a child's standard stream is wired. */
export type StdioMode = "inherit" | "pipe" | "null";

/** Options for {@linkcode Platform.spawn}. */
export interface SpawnOptions {
  cwd?: string;
  /** The complete environment of the child (not merged with ours). */
  env?: Record<string, string>;
  /** "pipe" gives the parent a writer to the child's stdin (`ChildProcess.stdin`). */
  stdin: "inherit" | "null" | "pipe";
  stdout: StdioMode;
  stderr: StdioMode;
}

/** How a child ended: `code` is the shell-style exit code (128 + n for signal n). */
export interface ExitStatus {
  code: number;
  signal: string | null;
}

/** A running child process. It always leads its own process group. */
export interface ChildProcess {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** With `stdin: "pipe"`: writes text to the child's stdin, in order; `close` ends it. */
  readonly stdin: { write(text: string): void; close(): void } | null;
  readonly exited: Promise<ExitStatus>;
}

/** Raw key input from the terminal on stdin, for prompts. */
export interface Keyboard {
  /** Calls `handler` with each chunk of bytes typed (raw mode: Ctrl-C arrives as 0x03, not as SIGINT). */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Stops reading and gives the terminal back in line mode. */
  close(): void;
}

/** A terminal's size in character cells. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** Options for {@linkcode Platform.spawnTerminal}. */
export interface TerminalSpawnOptions {
  cwd?: string;
  /** The complete environment of the child (not merged with ours). */
  env?: Record<string, string>;
  /** The pseudo-terminal's size at start. */
  size: TerminalSize;
  /** Receives what the child writes to its terminal (stdout and stderr together, as on any terminal). */
  onData(data: Uint8Array): void;
}

/**
 * A child on a pseudo-terminal of its own: stdin, stdout and stderr are the
 * terminal, which is its controlling terminal (Ctrl-C written to it is
 * SIGINT to the child's group; `/dev/tty` opens), and it leads its own
 * process group.
 */
export interface TerminalChild {
  readonly pid: number;
  /** Writes bytes the child reads as typed keys. */
  write(data: Uint8Array | string): void;
  /** Resizes the terminal (the child gets SIGWINCH). */
  resize(size: TerminalSize): void;
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitStatus>;
  /**
   * Resolves once what the child wrote has been read (call it after the
   * child's group ended): the terminal stays open in muster, so no end of
   * file says so; a quiet moment does (at most a second).
   */
  drain(): Promise<void>;
  /** Closes the terminal (after the child ended). */
  close(): void;
}

/** muster's own stdin as a stream of chunks (a terminal, a pipe or a file). */
export interface InputReader {
  /** Calls `handler` with each chunk read. */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Calls `handler` once when stdin has ended. */
  onEnd(handler: () => void): void;
  /** Stops reading; a terminal put in raw mode gets its line mode back. */
  close(): void;
}

/** Where {@linkcode Platform.connectRaw} connects. */
export interface RawTarget {
  unixSocket?: string;
  hostname?: string;
  port?: number;
  tls?: { ca?: string; cert?: string; key?: string };
}

/**
 * A raw, two-way byte connection (a unix socket or TCP, with TLS): what an
 * HTTP connection becomes once the server hijacks it (Docker's attach).
 */
export interface RawSocket {
  /** Bytes from the peer; ends when the peer closes its side. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Sends bytes, in call order. */
  write(data: Uint8Array | string): Promise<void>;
  /** Ends our side of the connection (shutdown for writing); reading goes on. */
  closeWrite(): Promise<void>;
  /** Closes the connection both ways. */
  close(): void;
}

/** A value stored in or read from SQLite. */
export type SqlValue = string | number | null;

/** An open SQLite database (the runtime's own: bun:sqlite, node:sqlite on Deno). */
export interface SqlDatabase {
  /** Runs statements that return nothing (schema, pragmas). */
  exec(sql: string): void;
  /** Runs one statement with `?` parameters; returns how many rows changed. */
  run(sql: string, ...params: SqlValue[]): number;
  /** The rows of a query, as objects keyed by column name. */
  all<T = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): T[];
  close(): void;
}

/**
 * A PostgreSQL client (a pool): `$1`-style parameters, rows as objects
 * keyed by column name.
 */
export interface PostgresClient {
  query<T = Record<string, SqlValue>>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Pick<PostgresClient, "query">) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The signals muster reacts to. */
export type Signal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";

/** How {@linkcode Platform.fetchVia} connects. */
export interface FetchTransport {
  unixSocket?: string;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string };
}

/** A listening HTTP server. */
export interface HttpServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** Options for {@linkcode Platform.serve}. */
export interface ServeOptions {
  port: number;
  hostname: string;
  handler: (request: Request, remoteAddress: string) => Promise<Response>;
}

/** An exclusive lock on a file, held until {@linkcode FileLock.release} or the process's end. */
export interface FileLock {
  /** Unlocks and closes the file (the file stays). */
  release(): void;
}

/** The runtime adapter. */
export interface Platform {
  readonly runtime: "bun" | "deno";
  /** The operating system: "linux", "darwin", "windows", ... */
  readonly os: string;
  /** This process's id. */
  readonly pid: number;
  /** A snapshot of the environment. */
  env(): Record<string, string>;
  /** The current working directory. */
  cwd(): string;
  /** Whether a process with this pid exists (one we may not signal still exists). */
  isProcessAlive(pid: number): boolean;
  /**
   * When process `pid` started, as an opaque string equal for the same
   * process and different for a later one that reuses the pid; undefined
   * when it is gone or a zombie. Absent where the system does not say
   * (only Linux's /proc does): callers then use a lock instead.
   */
  readonly processStartTime?: (pid: number) => string | undefined;
  /**
   * Whether {@linkcode Platform.fetchVia} honours `tls.serverName`, so that a
   * request can connect to a checked IP address and still verify the host
   * name. Bun: yes. Deno: no (`Deno.createHttpClient` has no such option), so
   * callbacks there connect to the host name (see the README).
   */
  readonly pinsTlsServerName: boolean;
  /** Command-line arguments after the program (and script) name. */
  args(): string[];
  /**
   * Starts `argv` in a new process group (session), so that signals can be
   * delivered to it and all of its descendants at once.
   * Throws `SpawnError` with code "ENOENT" when the executable is missing.
   */
  spawn(argv: string[], options: SpawnOptions): ChildProcess;
  /** Sends `signal` to every process in the group led by `pid`; a gone group is not an error. */
  killGroup(pid: number, signal: "SIGINT" | "SIGTERM" | "SIGKILL"): void;
  /** Registers a signal handler; returns a function that removes it. */
  onSignal(signal: Signal, handler: () => void): () => void;
  /** Whether file descriptor 0, 1 or 2 is a terminal. */
  isTerminal(fd: 0 | 1 | 2): boolean;
  /**
   * Reads keys from stdin in raw mode (prompts); undefined when stdin is not
   * a terminal. Close it before anything else reads stdin.
   */
  openKeyboard(): Keyboard | undefined;
  /** The width of the terminal on fd 1 or 2, or undefined when it is not a terminal. */
  columns(fd: 1 | 2): number | undefined;
  /** The size of the terminal on fd 0, 1 or 2, or undefined when it is not a terminal. */
  terminalSize(fd: 0 | 1 | 2): TerminalSize | undefined;
  /** Calls `handler` whenever muster's terminal is resized (SIGWINCH); returns a function that removes it. */
  onResize(handler: () => void): () => void;
  /**
   * Starts `argv` on a pseudo-terminal of its own (Bun's terminal API).
   * Undefined where the runtime has none (Deno: no PTY API; see the README),
   * so `tty: true` is refused there, saying so.
   */
  readonly spawnTerminal?: (argv: string[], options: TerminalSpawnOptions) => TerminalChild;
  /**
   * Reads muster's stdin as it comes: a terminal in raw mode when `raw`
   * (Ctrl-C arrives as the byte 0x03, not as SIGINT), a pipe or a file as
   * it is. Close it before anything else reads stdin.
   */
  openInput(options: { raw: boolean }): InputReader;
  /** Opens a raw byte connection (Docker's hijacked attach stream). */
  connectRaw(target: RawTarget): Promise<RawSocket>;
  /** Writes bytes to stdout (1) or stderr (2), in call order. */
  write(fd: 1 | 2, data: Uint8Array): void | Promise<void>;
  /** Flushes stdio and exits. */
  exit(code: number): never;
  /**
   * `fetch` with a transport the web API cannot express: a unix socket
   * instead of the URL's host, or TLS with a client certificate.
   */
  fetchVia(request: Request, transport: FetchTransport): Promise<Response>;
  /** Starts an HTTP server. */
  serve(options: ServeOptions): Promise<HttpServer>;
  /** The argv that starts this same muster (the binary, or runtime + main module). */
  selfCommand(): string[];
  /**
   * The runtime's own YAML parser, when it has one (Bun.YAML; Deno has none:
   * the `yaml` library serves there). Used only through `workflow/yaml-fast.ts`,
   * which decides when its result is certain to match the full parser's.
   */
  readonly parseYaml?: (text: string) => unknown;
  /**
   * Loads the `yaml` library at once, where the runtime can (Bun's
   * `require`). With the fast parser a run does not load the full one unless
   * a position is asked for, which may happen in synchronous code (an error
   * found while planning). Deno has no fast parser: it loads the library
   * before parsing (`workflow/yaml-library.ts`), so it never needs this.
   */
  readonly loadYamlSync?: () => typeof import("yaml");
  /**
   * The runtime's own Markdown renderer for terminals (Bun.markdown.ansi):
   * headings, emphasis, lists, code blocks and links laid out to `columns`,
   * with ANSI styles when `colors`. Deno has none: `markdown` steps print
   * their source there.
   */
  readonly renderMarkdown?: (text: string, options: { colors: boolean; columns?: number }) => string;
  /**
   * Opens (creating it if needed) the SQLite database at `path`: Bun's
   * `bun:sqlite`, Deno's `node:sqlite`. `muster serve` keeps its runs there.
   */
  openSqlite(path: string): SqlDatabase;
  /**
   * Connects to PostgreSQL at `url` (`postgres://user:password@host:port/db`):
   * Bun's built-in `Bun.SQL`. Deno has no built-in PostgreSQL client and muster
   * takes no package for it: there this rejects, saying so (a documented gap).
   */
  openPostgres(url: string): Promise<PostgresClient>;
  /**
   * The hex digest of `data` (template functions such as `sha256sum`). Bun
   * hashes natively (`Bun.CryptoHasher`): loading `node:crypto` costs a run
   * several milliseconds of start-up. Deno: `node:crypto`.
   */
  digest(algorithm: "md5" | "sha1" | "sha256" | "sha512", data: string | Uint8Array): string;
  /**
   * An incremental hash: `update` with each piece, then `digest` (hex), so
   * files are hashed one at a time instead of concatenated in memory
   * (freshness hashes a step's `inputs.sources`). Same engines as `digest`.
   *
   * @example
   * ```ts
   * platform.hasher("sha256").update("a").update("b").digest(); // = digest("sha256", "ab")
   * ```
   */
  hasher(algorithm: "sha256"): IncrementalHash;
  /**
   * Asks the runtime to collect garbage now. Called after every 16 MiB
   * of child output: Bun's heuristics otherwise let short-lived output chunks
   * pile up to several times the live data (measured by scripts/bench/parallel.ts).
   */
  collectGarbage(): void;
  /**
   * Lets the JIT compile as usual from now on. The release build starts
   * with the JIT 100 times more reluctant (scripts/build.ts:
   * `--compile-jit-policy`), so that a short run's run-once code stays in
   * the interpreter (about 1 ms of a one-step workflow); work with hot
   * loops (a large file, `serve`) calls this first. Absent where the
   * runtime has no such knob (Deno).
   */
  readonly normalJit?: () => void;
  /**
   * Makes this process non-dumpable (Linux `prctl(PR_SET_DUMPABLE, 0)`,
   * through the runtime's FFI), so that processes of the same user cannot
   * read its `/proc/<pid>/environ`, `mem` or attach to it; resolves true when
   * the kernel confirms it (PR_GET_DUMPABLE is 0). `muster serve` calls it
   * at start, before any run. False elsewhere (no libc, not Linux).
   */
  closeProcessMemory(): Promise<boolean>;
  /**
   * Takes an exclusive `flock(2)` on the file at `path` without waiting,
   * creating it (0600) if needed and never through a symlink (a symlink,
   * or anything but a regular file, throws). Undefined when another open
   * file holds the lock: a live process, in any PID namespace or container
   * that shares the file system. The kernel frees the lock when its holder
   * dies (`kill -9` included), so a held lock proves a live holder, which a
   * pid in the file cannot.
   *
   * @example
   * ```ts
   * const lock = platform.tryLockFile("/tmp/muster-runner-x/lock");
   * if (!lock) throw new Error("a live runner holds it");
   * lock.release();
   * ```
   */
  tryLockFile(path: string): FileLock | undefined;
}

/** A hash fed piece by piece ({@linkcode Platform.hasher}). */
export interface IncrementalHash {
  update(data: string | Uint8Array): IncrementalHash;
  /** The hex digest; the hash cannot be fed afterwards. */
  digest(): string;
}

/**
 * Raised by {@linkcode Platform.spawn} when the process cannot be started.
 * A working directory that does not exist is code `ENOCWD` (spawn reports it
 * as ENOENT too, which is not a missing command).
 *
 * @example
 * ```ts
 * new SpawnError("sh", "ENOCWD", undefined, "/p/infra").message;
 * // "working directory /p/infra does not exist; check the step's working_directory"
 * ```
 */
export class SpawnError extends Error {
  readonly code: string;
  constructor(executable: string, code: string, cause?: unknown, cwd?: string) {
    super(
      code === "ENOCWD"
        ? `working directory ${cwd} does not exist; check the step's working_directory`
        : code === "ENOENT"
        ? `${executable}: command not found`
        : `${executable}: cannot start (${code})`,
      { cause },
    );
    this.name = "SpawnError";
    this.code = code;
  }
}
