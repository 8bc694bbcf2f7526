/**
 * The import rule (CONTRIBUTING.md, "Layout"): no import circle anywhere in
 * `src/`, and the layers point one way. Every `import … from`, `export … from`,
 * side-effect `import "…"` and dynamic `import("…")` of every `src/**\/*.ts`
 * counts, `import type` included: a type-only circle still means the two
 * files can only be read, changed and reviewed together, which is what the
 * rule is for. Exits 1 listing each circle (a strongly connected component)
 * and each import across a layer the wrong way (tests are exempt from the
 * layer rule, not from the circle rule).
 *
 * Usage: bun scripts/check-imports.ts [--quiet]
 * Web-standard code and `node:fs`/`node:path` only, so it also runs under Deno.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const src = join(root, "src");

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s[^"'`;]*?\sfrom\s*["']([^"']+)["']|(?:^|[\s;}])import\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Strips comments, so an example in a doc comment is not an import. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

export function importsOf(file: string, text: string): string[] {
  const found = new Set<string>();
  for (const match of code(text).matchAll(SPECIFIER)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec === undefined || !spec.startsWith(".")) continue;
    found.add(resolve(dirname(file), spec));
  }
  return [...found];
}

/** Tarjan's strongly connected components of size > 1 (and self-imports). */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) out.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return out;
}

/**
 * Folders that may not import from the named folders (the layers, bottom up:
 * model and engine primitives know no kind; the kinds know no loader or runner).
 */
const FORBIDDEN: Record<string, string[]> = {
  "engine": ["steps", "run", "load", "cli", "serve", "output"],
  "workflow": ["steps", "run", "load", "cli", "serve", "engine", "output"],
  "template": ["steps", "run", "load", "cli", "serve", "engine", "workflow", "output"],
  "steps": ["run", "load", "cli", "serve"],
  "load": ["run", "cli", "serve"],
  "run": ["cli", "serve"],
  // The run journal stores what the runner hands it: it knows no command, no dispatch runner, no renderer.
  "journal": ["cli", "serve", "output", "steps", "load"],
};

/**
 * Imports against the layers that are known and allowed for now, each with
 * why; a new one fails. `serve/address-policy.ts` imports nothing of serve's
 * (only node:dns and node:net): it belongs in a lower folder, which the serve
 * work in progress will do.
 */
const ALLOWED = new Set(["steps/http-redirects.ts → serve/address-policy.ts"]);

function folderOf(srcDir: string, file: string): string {
  const rel = relative(srcDir, file);
  return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : "";
}

/** What the check finds under `srcDir`: each circle, and each import against the layers (`from → to`, tests exempt). */
export function checkImports(srcDir: string): { files: number; circles: string[][]; upward: string[] } {
  const files = walk(srcDir);
  const graph = new Map<string, string[]>();
  for (const file of files) graph.set(file, importsOf(file, readFileSync(file, "utf8")));
  const upward: string[] = [];
  for (const [file, targets] of graph) {
    // A test may load its module through the layers above it (a kind's test through the parser).
    if (file.endsWith(".test.ts")) continue;
    const banned = FORBIDDEN[folderOf(srcDir, file)] ?? [];
    for (const target of targets) {
      const edge = `${relative(srcDir, file)} → ${relative(srcDir, target)}`;
      if (banned.includes(folderOf(srcDir, target)) && !ALLOWED.has(edge)) upward.push(edge);
    }
  }
  return { files: files.length, circles: circles(graph).map((c) => c.map((f) => relative(srcDir, f))), upward };
}

if (import.meta.main) {
  const { files, circles: found, upward } = checkImports(src);
  const inCircles = found.reduce((n, c) => n + c.length, 0);
  for (const component of found) {
    console.error(`check-imports: a circle of ${component.length} files:`);
    for (const file of component) console.error(`  src/${file}`);
  }
  for (const line of upward) console.error(`check-imports: against the layers: src/${line}`);
  if (found.length > 0 || upward.length > 0) {
    console.error(`check-imports: ${found.length} circle(s), ${inCircles} files in circles, ${upward.length} import(s) against the layers (see CONTRIBUTING.md, "Layout")`);
    process.exit(1);
  }
  console.log(`check-imports: ok (${files} files, no circle, layers one way)`);
}
