/**
 * Whether fd 0, 1, 2 are terminals, and how wide, without Bun's
 * `process.stdin`/`process.stdout` or `node:tty`: touching those builds
 * Node-style stream objects, which costs 10-17 ms of start-up on every
 * run (measured by scripts/bench/trivial.ts). On Linux, libc's `isatty` and
 * the `TIOCGWINSZ` ioctl through bun:ffi cost under a millisecond; elsewhere
 * (and if libc cannot be opened) the Node way is used. A descriptor that
 * fstat shows cannot be a terminal opens nothing at all.
 * @internal
 * @module
 */
import { fstatSync } from "node:fs";
import { openLibc } from "./libc.ts";

/** What the adapter asks. */
export interface TerminalProbe {
  isatty(fd: number): boolean;
  columns(fd: 1 | 2): number | undefined;
  size(fd: 0 | 1 | 2): { columns: number; rows: number } | undefined;
}

const TIOCGWINSZ = 0x5413;

let probe: TerminalProbe | undefined;

/** The probe, made on first use: one that opens no library while every answer is "no". */
export function terminalProbe(): TerminalProbe {
  probe ??= process.platform === "linux" ? cheapFirst() : nodeProbe();
  return probe;
}

/** Linux's major device number of the memory devices (/dev/null, /dev/zero): never a terminal. */
const MEM_MAJOR = 1;

/**
 * Whether `fd` cannot be a terminal, from one fstat: a pipe, a file, a socket
 * or /dev/null (what CI, `| cat`, `> log` and benchmarks give). A terminal is
 * a character device of another major number, which this leaves to isatty.
 */
function surelyNotTerminal(fd: number): boolean {
  try {
    const info = fstatSync(fd);
    return !info.isCharacterDevice() || ((info.rdev >> 8) & 0xfff) === MEM_MAJOR;
  } catch {
    return true; // a closed descriptor is no terminal
  }
}

/** libc (or Node's) probe, opened only for a descriptor that may be a terminal (dlopen costs ~0.7 ms). */
function cheapFirst(): TerminalProbe {
  let full: TerminalProbe | undefined;
  const fullProbe = () => (full ??= libcProbe() ?? nodeProbe());
  return {
    isatty: (fd) => !surelyNotTerminal(fd) && fullProbe().isatty(fd),
    columns: (fd) => (surelyNotTerminal(fd) ? undefined : fullProbe().columns(fd)),
    size: (fd) => (surelyNotTerminal(fd) ? undefined : fullProbe().size(fd)),
  };
}

function libcProbe(): TerminalProbe | undefined {
  const libc = openLibc({
    isatty: { args: ["i32"], returns: "i32" },
    ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
  });
  if (!libc) return undefined;
  const { ptr } = require("bun:ffi") as typeof import("bun:ffi");
  const size = new Uint16Array(4);
  return {
    isatty: (fd) => libc.symbols.isatty(fd) === 1,
    columns(fd) {
      if (libc.symbols.isatty(fd) !== 1) return undefined;
      // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
      if (libc.symbols.ioctl(fd, TIOCGWINSZ, ptr(size)) !== 0) return undefined;
      return size[1]! > 0 ? size[1] : undefined;
    },
    size(fd) {
      if (libc.symbols.isatty(fd) !== 1 || libc.symbols.ioctl(fd, TIOCGWINSZ, ptr(size)) !== 0) return undefined;
      return size[0]! > 0 && size[1]! > 0 ? { columns: size[1]!, rows: size[0]! } : undefined;
    },
  };
}

function nodeProbe(): TerminalProbe {
  const streams = [process.stdin, process.stdout, process.stderr] as const;
  return {
    isatty: (fd) => streams[fd]?.isTTY === true,
    columns: (fd) => (streams[fd].isTTY ? (streams[fd] as NodeJS.WriteStream).columns : undefined),
    size(fd) {
      // Only the output streams know their size: stdin's terminal is usually the same one.
      const out = [fd, 1, 2].map((n) => streams[n as 0 | 1 | 2]).find((s) => s.isTTY && "columns" in s) as NodeJS.WriteStream | undefined;
      return streams[fd].isTTY && out ? { columns: out.columns, rows: out.rows } : undefined;
    },
  };
}
