/**
 * Which language reads a command field's text, so that values from outside
 * the workflow file can be passed to it as data (see `render-code.ts`).
 * @module
 */

/**
 * `posix`: sh, bash, dash, ksh, zsh, ash (`"${NAME}"`); `fish` (`"$NAME"`);
 * `pwsh` (`${env:NAME}`); `cmd` (no way to pass data); `argv`: words handed
 * to a program with no shell in between (a value is pasted as it is);
 * `program:NAME`: any other interpreter (python, node, ...), whose code no
 * value from outside may become.
 */
export type Dialect = "posix" | "fish" | "pwsh" | "cmd" | "argv" | `program:${string}`;

const POSIX = new Set(["sh", "bash", "dash", "ksh", "mksh", "zsh", "ash", "busybox", "yash", "posh", "lksh"]);

/**
 * The dialect of a program, from its name (a path or `bash -e` works too).
 *
 * @example
 * ```ts
 * dialectOf("/bin/bash"); // "posix"
 * dialectOf("python3 -u"); // "program:python3"
 * ```
 */
export function dialectOf(program: string): Dialect {
  const name = (program.trim().split(/\s+/)[0] ?? "").split(/[\\/]/).pop()!.toLowerCase().replace(/\.exe$/, "");
  if (POSIX.has(name)) return "posix";
  if (name === "fish") return "fish";
  if (name === "pwsh" || name === "powershell") return "pwsh";
  if (name === "cmd") return "cmd";
  return `program:${name || "unknown"}`;
}
