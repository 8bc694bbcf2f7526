/**
 * A build context as the engine's `POST /build` takes it: the context
 * directory as a tar archive, without what `.dockerignore` excludes.
 *
 * `.dockerignore` as Docker reads it: one pattern a line, `#` comments,
 * blank lines skipped, a leading `/` and `./` dropped, `**` spanning
 * directories, `!` re-including, the last matching line deciding. A pattern
 * that matches a directory excludes everything below it. The Dockerfile and
 * `.dockerignore` are sent even when excluded (the engine needs the first;
 * Docker sends both). A Dockerfile outside the context is added under a name
 * of its own, as the Docker CLI does.
 * @module
 */
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import type { ArchiveEntry } from "../files/archive-entry.ts";
import { noData } from "../files/archive-entry.ts";
import { globToRegExp } from "../files/glob.ts";
import { tarChunks } from "../files/tar.ts";

/** One `.dockerignore` line, compiled. */
interface IgnoreRule {
  pattern: RegExp;
  /** Also matches everything below a matching directory. */
  below: RegExp;
  exclude: boolean;
}

/**
 * The rules of a `.dockerignore` text.
 *
 * @example
 * ```ts
 * const rules = parseDockerignore("*.log\n!keep.log\nnode_modules\n");
 * ignored(rules, "debug.log"); // true
 * ignored(rules, "keep.log"); // false
 * ignored(rules, "node_modules/x/index.js"); // true
 * ```
 */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exclude = !line.startsWith("!");
    if (!exclude) line = line.slice(1).trim();
    line = line.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
    if (line === "" || line === ".") continue;
    const pattern = globToRegExp(line);
    rules.push({ pattern, below: new RegExp(`${pattern.source.slice(0, -1)}/.*$`), exclude });
  }
  return rules;
}

/** Whether the `/`-separated relative path is excluded by the rules (the last matching one decides). */
export function ignored(rules: IgnoreRule[], path: string): boolean {
  let result = false;
  for (const rule of rules) if (rule.pattern.test(path) || rule.below.test(path)) result = rule.exclude;
  return result;
}

/** Whether an excluded directory may still hold a re-included path (then the walk must go in). */
const mayReinclude = (rules: IgnoreRule[]) => rules.some((rule) => !rule.exclude);

/** What {@linkcode buildContext} made. */
export interface BuildContext {
  /** The tar archive as a stream: files are read one at a time as the engine takes them. */
  stream(): ReadableStream<Uint8Array>;
  /** The Dockerfile's path inside it (for the `dockerfile` query parameter). */
  dockerfile: string;
  /** Files sent, and bytes of file data. */
  files: number;
  bytes: number;
}

/**
 * Packs `contextDir` for a build. `dockerfile` is relative to the context
 * (or absolute); the result names where it lies inside the archive.
 *
 * @example
 * ```ts
 * const context = await buildContext("/repo/app", "Dockerfile");
 * await docker.buildImage(context.stream(), new URLSearchParams({ dockerfile: context.dockerfile, t: "app:dev" }));
 * ```
 */
export async function buildContext(contextDir: string, dockerfile: string): Promise<BuildContext> {
  const root = resolve(contextDir);
  const rules = parseDockerignore(await readFile(join(root, ".dockerignore"), "utf8").catch(() => ""));
  const dockerfilePath = resolve(root, dockerfile);
  const dockerfileRel = relative(root, dockerfilePath).split(sep).join("/");
  const inside = !dockerfileRel.startsWith("../") && dockerfileRel !== "..";
  const always = new Set([".dockerignore", ...(inside ? [dockerfileRel] : [])]);
  const entries: ArchiveEntry[] = [];
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const path = join(dir, name);
      const rel = relative(root, path).split(sep).join("/");
      const info = await lstat(path);
      const excluded = ignored(rules, rel) && !always.has(rel);
      if (info.isDirectory()) {
        if (!excluded) entries.push({ name: rel, mode: info.mode & 0o7777, mtime: info.mtime, kind: "dir", read: noData });
        if (!excluded || mayReinclude(rules) || [...always].some((a) => a.startsWith(`${rel}/`))) await walk(path);
        continue;
      }
      if (excluded) continue;
      if (info.isSymbolicLink()) {
        entries.push({ name: rel, mode: 0o777, mtime: info.mtime, kind: "symlink", linkname: await readlink(path), read: noData });
      } else if (info.isFile()) {
        bytes += info.size;
        entries.push({ name: rel, mode: info.mode & 0o7777, mtime: info.mtime, kind: "file", read: () => readFile(path) });
      }
    }
  };
  await walk(root);
  let inArchive = dockerfileRel;
  if (!inside) {
    // As the Docker CLI: a Dockerfile from outside the context travels under a name of its own.
    inArchive = `.muster-dockerfile-${crypto.randomUUID().slice(0, 8)}`;
    const data = await readFile(dockerfilePath);
    bytes += data.length;
    entries.push({ name: inArchive, mode: 0o644, mtime: new Date(), kind: "file", read: async () => data });
  }
  const stream = () => {
    const chunks = tarChunks(entries);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
  };
  return { stream, dockerfile: inArchive, files: entries.filter((e) => e.kind === "file").length, bytes };
}
