/**
 * Whether fd 0, 1, 2 are terminals, and how wide, without Bun's
 * `process.stdin`/`process.stdout` or `node:tty`: touching those builds
 * Node-style stream objects, which costs 10-17 ms of start-up on every
 * run (measured by scripts/bench/trivial.ts). On Linux, libc's `isatty` and
 * the `TIOCGWINSZ` ioctl through bun:ffi cost under a millisecond; elsewhere
 * (and if libc cannot be opened) the Node way is used.
 * @internal
 * @module
 */
import { openLibc } from "./libc.ts";

/** What the adapter asks. */
export interface TerminalProbe {
  isatty(fd: number): boolean;
  columns(fd: 1 | 2): number | undefined;
  size(fd: 0 | 1 | 2): { columns: number; rows: number } | undefined;
}

const TIOCGWINSZ = 0x5413;

let probe: TerminalProbe | undefined;

/** The probe, made on first use. */
export function terminalProbe(): TerminalProbe {
  probe ??= libcProbe() ?? nodeProbe();
  return probe;
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
