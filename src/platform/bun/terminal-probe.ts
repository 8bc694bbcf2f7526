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

/** What the adapter asks. */
export interface TerminalProbe {
  isatty(fd: number): boolean;
  columns(fd: 1 | 2): number | undefined;
}

/** glibc, then musl (Alpine) on the two architectures muster ships for. */
export const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];
const TIOCGWINSZ = 0x5413;

let probe: TerminalProbe | undefined;

/** The probe, made on first use. */
export function terminalProbe(): TerminalProbe {
  probe ??= (process.platform === "linux" && libcProbe()) || nodeProbe();
  return probe;
}

function libcProbe(): TerminalProbe | undefined {
  const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
  for (const name of LIBC_NAMES) {
    try {
      const libc = dlopen(name, {
        isatty: { args: [FFIType.i32], returns: FFIType.i32 },
        ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
      });
      const size = new Uint16Array(4);
      return {
        isatty: (fd) => libc.symbols.isatty(fd) === 1,
        columns(fd) {
          if (libc.symbols.isatty(fd) !== 1) return undefined;
          // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
          if (libc.symbols.ioctl(fd, TIOCGWINSZ, ptr(size)) !== 0) return undefined;
          return size[1]! > 0 ? size[1] : undefined;
        },
      };
    } catch {
      // not this libc's name: try the next
    }
  }
  return undefined;
}

function nodeProbe(): TerminalProbe {
  const streams = [process.stdin, process.stdout, process.stderr] as const;
  return {
    isatty: (fd) => streams[fd]?.isTTY === true,
    columns: (fd) => (streams[fd].isTTY ? (streams[fd] as NodeJS.WriteStream).columns : undefined),
  };
}
