/**
 * The contract between muster's core and the JavaScript runtime it runs on.
 *
 * Everything that differs between Bun and Deno (spawning processes, signals,
 * fetch over a unix socket, serving HTTP, raw stdio) lives behind this one
 * interface; the rest of the code base is written against web standards and
 * the `node:fs`/`node:path` subset that both runtimes implement.
 */

/** How a child's standard stream is wired. */
export type StdioMode = "inherit" | "pipe" | "null";

/** Options for {@linkcode Platform.spawn}. */
export interface SpawnOptions {
  cwd?: string;
  /** The complete environment of the child (not merged with ours). */
  env?: Record<string, string>;
  stdin: "inherit" | "null";
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
  readonly exited: Promise<ExitStatus>;
}

/** The signals muster reacts to. */
export type Signal = "SIGINT" | "SIGTERM";

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

/** The runtime adapter. */
export interface Platform {
  readonly runtime: "bun" | "deno";
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
  /** Whether file descriptor 1 or 2 is a terminal. */
  isTerminal(fd: 1 | 2): boolean;
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
   * Asks the runtime to collect garbage now. Called after every few dozen MiB
   * of child output: Bun's heuristics otherwise let short-lived output chunks
   * pile up to several times the live data (measured by scripts/bench/parallel.ts).
   */
  collectGarbage(): void;
}

/** Raised by {@linkcode Platform.spawn} when the process cannot be started. */
export class SpawnError extends Error {
  readonly code: string;
  constructor(executable: string, code: string, cause?: unknown) {
    super(
      code === "ENOENT"
        ? `${executable}: command not found`
        : `${executable}: cannot start (${code})`,
      { cause },
    );
    this.name = "SpawnError";
    this.code = code;
  }
}
