/**
 * Finding a program the way a shell does: a name with a `/` is itself; any
 * other name is looked up in each directory of a PATH, first match wins.
 * @module
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The file that runs for `command` with `path` as PATH, or undefined when
 * none is an executable file.
 *
 * @example
 * ```ts
 * findExecutable("sh", "/usr/bin:/bin"); // "/usr/bin/sh"
 * ```
 */
export function findExecutable(command: string, path: string): string | undefined {
  if (command.includes("/")) return isExecutableFile(command) ? command : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const file = join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
