/**
 * Glob patterns over `/`-separated relative paths, as the `archive`
 * (`include`, `exclude`) and `junit` (`files`) steps use them: `*` and `?`
 * stay inside one path segment, `**` as a whole segment spans any number of
 * directories (none included), `[abc]`/`[!a-z]` are classes, `{a,b}` are
 * alternatives and `\` escapes. Atmos matches these with doublestar (archive)
 * and Go's `filepath.Glob` (junit, which has no `**`); one syntax serves both.
 * @module
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** A pattern that cannot be compiled (an unclosed `[` or `{`). */
export class GlobError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`invalid glob pattern "${pattern}": ${reason}`);
    this.name = "GlobError";
  }
}

const cache = new Map<string, RegExp>();
const escapeChar = (c: string) => c.replace(/[.+^${}()|[\]\\*?/]/g, "\\$&");

/**
 * Compiles a glob into an anchored regular expression over a whole path.
 *
 * @example
 * ```ts
 * globToRegExp("src/**\/*.ts").test("src/a/b.ts"); // true
 * globToRegExp("*.ts").test("a/b.ts"); // false
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  const known = cache.get(pattern);
  if (known) return known;
  let out = "";
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new GlobError(pattern, "it ends with a lone \\");
      out += escapeChar(next);
    } else if (c === "*") {
      if (pattern[i + 1] === "*") {
        const atStart = i === 0 || pattern[i - 1] === "/";
        const atEnd = i + 2 === pattern.length || pattern[i + 2] === "/";
        i++;
        if (atStart && atEnd) {
          // `**/` matches zero or more whole directories; a trailing `**` matches everything below.
          if (pattern[i + 1] === "/") {
            out += "(?:[^/]*(?:/[^/]*)*/)?";
            i++;
          } else out += ".*";
          continue;
        }
      }
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) throw new GlobError(pattern, "a [ is not closed");
      let body = pattern.slice(i + 1, close);
      const negated = body[0] === "!" || body[0] === "^";
      if (negated) body = body.slice(1);
      out += `[${negated ? "^/" : ""}${body.replace(/\\/g, "\\\\").replace(/]/g, "\\]")}]`;
      i = close;
    } else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else out += escapeChar(c);
  }
  if (braces > 0) throw new GlobError(pattern, "a { is not closed");
  const compiled = new RegExp(`^${out}$`);
  cache.set(pattern, compiled);
  return compiled;
}

/**
 * Whether a `/`-separated relative path matches a glob.
 *
 * @example
 * ```ts
 * matchGlob("**\/*.{js,ts}", "lib/x.js"); // true
 * ```
 */
export function matchGlob(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}

/** Whether a pattern segment has glob syntax (otherwise it names one path). */
const hasGlobSyntax = (pattern: string) => /[*?[{\\]/.test(pattern);

/**
 * The files under `root` matching `pattern` (relative, `/`-separated), as
 * relative paths in sorted order: regular files, and symlinks to them. The
 * walk starts at the pattern's literal prefix and only descends where `**`
 * or a wildcard segment can match, so a pattern without wildcards is one
 * lookup.
 *
 * @example
 * ```ts
 * await expandGlob("/repo", "reports/**\/*.xml"); // ["reports/unit.xml", "reports/e2e/a.xml"]
 * ```
 */
export async function expandGlob(root: string, pattern: string): Promise<string[]> {
  const segments = pattern.split("/").filter((s, i) => s !== "" || i === 0);
  const literal: string[] = [];
  while (segments.length > 1 && !hasGlobSyntax(segments[0]!)) literal.push(segments.shift()!);
  const regex = globToRegExp(pattern);
  const deep = segments.some((s) => s.includes("**"));
  const maxDepth = deep ? Infinity : segments.length;
  const found: string[] = [];
  const walk = async (dir: string, depth: number) => {
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (depth + 1 < maxDepth) await walk(rel, depth + 1);
      } else if (regex.test(rel) && (entry.isFile() || (entry.isSymbolicLink() && (await stat(join(root, rel)).catch(() => undefined))?.isFile()))) {
        found.push(rel);
      }
    }
  };
  await walk(literal.join("/"), 0);
  return found.sort();
}
