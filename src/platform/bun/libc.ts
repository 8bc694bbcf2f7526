/**
 * The C library through `bun:ffi`, for what Bun has no API of its own:
 * `prctl` (closing the process's memory to its user), `isatty` and the
 * terminal's size (without Bun's costly Node stream objects).
 * @internal
 * @module
 */
import type { FFIFunction, Library } from "bun:ffi";

/** glibc, then musl (Alpine) on the two architectures muster ships for. */
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];

/**
 * libc with `symbols` bound, or undefined where there is none to open (not
 * Linux, or no libc under a known name). The caller closes it.
 *
 * @example
 * ```ts
 * const libc = openLibc({ isatty: { args: ["i32"], returns: "i32" } });
 * libc?.symbols.isatty(0); // 1 on a terminal
 * ```
 */
export function openLibc<S extends Record<string, FFIFunction>>(symbols: S): Library<S> | undefined {
  if (process.platform !== "linux") return undefined;
  // Loaded on first use: `--version` and runs that never ask need no FFI.
  const { dlopen } = require("bun:ffi") as typeof import("bun:ffi");
  for (const name of LIBC_NAMES) {
    try {
      return dlopen(name, symbols);
    } catch {
      // not this libc's name: try the next
    }
  }
  return undefined;
}
