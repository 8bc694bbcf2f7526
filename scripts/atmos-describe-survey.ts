/**
 * Runs `muster describe` on every workflow of every `workflows:` file in an
 * Atmos checkout and prints the ones that fail, with the first error line.
 *
 *   bun scripts/atmos-describe-survey.ts /tmp/atmos-src        # uses dist/muster (MUSTER_BIN to change)
 *   bun scripts/atmos-describe-survey.ts fixtures/atmos        # the copies kept here (test/atmos-describe.e2e.test.ts)
 *
 * Get a checkout from the fetched mirror with `git -C <dir> archive HEAD | tar -x -C /tmp/atmos-src`
 * (or `git show` per file when the mirror lacks blobs). Exit 1 when any workflow fails
 * other than the two Atmos' own tests expect to fail.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";

const root = process.argv[2] ?? "/tmp/atmos-src";
const bin = process.env.MUSTER_BIN ?? join(import.meta.dir, "../dist/muster");
/** Atmos' own tests expect these two of tests/fixtures/scenarios/workflows/stacks/workflows/test.yaml to be refused (tests/test-cases/workflows.yaml; fixtures/atmos/workflows/test.yaml here). */
const expectedBroken = (file: string, name: string) => /(^|\/)workflows\/test\.yaml$/.test(file) && (name === "no-steps" || name === "invalid-step-type");

function* yamlFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === ".git") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(entry) && /^workflows:/m.test(readFileSync(path, "utf8"))) yield path;
  }
}

/** Workflow names of a file, read leniently (tags as plain values). */
function workflowNames(text: string): string[] {
  const customTags = ["!env", "!exec", "!cel", "!include", "!include.raw", "!repo-root", "!literal", "!store", "!terraform.output", "!git.root"].map((tag) => ({ tag, resolve: (s: string) => s }));
  try {
    const doc = parse(text, { customTags, logLevel: "silent" }) as { workflows?: Record<string, unknown> };
    // atmos.yaml has a `workflows:` settings section too: a workflow is a map with steps.
    return Object.entries(doc?.workflows ?? {}).filter(([, w]) => w !== null && typeof w === "object" && "steps" in w).map(([name]) => name);
  } catch {
    return [];
  }
}

let total = 0;
const failures: string[] = [];
const unexpected: string[] = [];
for (const file of [...yamlFiles(root)].sort()) {
  const rel = relative(root, file);
  for (const name of workflowNames(readFileSync(file, "utf8"))) {
    total++;
    const proc = Bun.spawnSync([bin, "describe", name, "-f", file], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    if (proc.exitCode === 0) continue;
    const first = proc.stderr.toString().split("\n").filter((l) => l.trim() !== "" && !/^muster: \d+ problems? in/.test(l)).slice(0, 2).join(" | ") || `exit ${proc.exitCode}`;
    const key = `${rel}#${name}`;
    failures.push(`${key}: ${first}`);
    if (!expectedBroken(rel, name)) unexpected.push(key);
  }
}
console.log(`${total - failures.length} of ${total} workflows planned`);
for (const line of failures) console.log(`  ${line}`);
process.exit(unexpected.length === 0 ? 0 : 1);
