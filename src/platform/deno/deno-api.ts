/**
 * The few `Deno` namespace members muster uses, typed locally so that the
 * project type-checks with bun-types alone. Internal to the Deno adapter.
 * @internal
 * @module
 */

export interface DenoChild {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly stdin: WritableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
}

/** A connection (`Deno.connect`, `Deno.connectTls`). */
export interface DenoConn {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  closeWrite(): Promise<void>;
  close(): void;
}

export interface DenoHttpClient {
  close(): void;
}

export interface DenoApi {
  args: string[];
  Command: new (
    command: string,
    options: {
      args: string[];
      cwd?: string;
      env?: Record<string, string>;
      clearEnv?: boolean;
      stdin: "inherit" | "null" | "piped";
      stdout: "inherit" | "piped" | "null";
      stderr: "inherit" | "piped" | "null";
      detached?: boolean;
    },
  ) => { spawn(): DenoChild };
  kill(pid: number, signal: string): void;
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  stdin: { isTerminal(): boolean };
  stdout: { isTerminal(): boolean; writeSync(data: Uint8Array): number };
  stderr: { isTerminal(): boolean; writeSync(data: Uint8Array): number };
  exit(code: number): never;
  createHttpClient(
    options: { proxy: { transport: "unix"; path: string } } | { caCerts?: string[]; cert?: string; key?: string },
  ): DenoHttpClient;
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
  errors: { NotFound: new () => Error };
  pid: number;
  env: { toObject(): Record<string, string> };
  cwd(): string;
  consoleSize(): { columns: number; rows: number };
  connect(options: { transport: "unix"; path: string } | { hostname: string; port: number }): Promise<DenoConn>;
  connectTls(options: { hostname: string; port: number; caCerts?: string[]; cert?: string; key?: string }): Promise<DenoConn>;
  execPath(): string;
  /** FFI (needs --allow-ffi, which -A gives): only prctl is called. */
  dlopen(path: string, symbols: { prctl: { parameters: readonly string[]; result: string } }): { symbols: { prctl(...args: [number, bigint, bigint, bigint, bigint]): number }; close(): void };
  build: { os: string };
  mainModule: string;
  openSync(path: string, options: { read: boolean; write: boolean; create: boolean; mode?: number }): DenoFsFile;
  lstatSync(path: string): { isFile: boolean; isSymlink: boolean; ino: number | null; dev: number };
}

/** An open file: only what the file lock uses. */
export interface DenoFsFile {
  statSync(): { isFile: boolean; ino: number | null; dev: number };
  /** flock(LOCK_EX | LOCK_NB) when `exclusive`: false when another open file holds it. */
  tryLockSync(exclusive: boolean): boolean;
  unlockSync(): void;
  close(): void;
}

/** The `Deno` global, typed. */
export const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
