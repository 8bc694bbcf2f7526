/**
 * Prints, for every workflow of the Atmos fixtures (fixtures/atmos/), each
 * step's rendered command as `describe --json` and `--dry-run` show it, one
 * line per step, so that two builds can be compared (issue 33: which
 * rendered commands change meaning when values from outside become data).
 *
 *   bun scripts/fixture-commands.ts [BIN] > after.txt
 *   diff before.txt after.txt
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const bin = resolve(process.argv[2] ?? join(import.meta.dir, "../dist/muster"));
const root = join(import.meta.dir, "../fixtures/atmos");
const vars = ["--var", "name=VALUE", "--var", "component=vpc", "--var", "environment=dev"];

/** Project directories: each folder with an atmos.yaml (and the bare workflows folder). */
function projects(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...projects(path));
    else if (entry === "atmos.yaml") found.push(dir);
  }
  return found;
}

const run = (args: string[], cwd: string) => {
  const p = Bun.spawnSync([bin, ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "", MUSTER_NO_CACHE: "1" } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};

const commandsOf = (step: Record<string, unknown>, prefix = ""): string[] => {
  const lines: string[] = [];
  const name = `${prefix}${step.name}`;
  for (const key of ["command", "argv", "stdin", "env"]) if (step[key] !== undefined) lines.push(`${name} ${key}: ${JSON.stringify(step[key])}`);
  for (const child of (step.children ?? step.steps ?? []) as Array<Record<string, unknown>>) lines.push(...commandsOf(child, `${name}/`));
  return lines;
};

const dirs = projects(root);
if (existsSync(join(root, "workflows"))) dirs.push(join(root, "workflows"));
for (const dir of dirs.sort()) {
  const list = run(["list", "--json"], dir);
  let names: Array<{ name: string; file: string }> = [];
  try {
    names = (JSON.parse(list.out) as Array<{ name: string; file: string }>);
  } catch {
    console.log(`# ${relative(root, dir)}: list failed: ${list.err.trim().split("\n")[0]}`);
    continue;
  }
  for (const { name, file } of names) {
    const where = `${relative(root, dir) || "."}:${file}:${name}`;
    const described = run(["describe", name, "-f", join(dir, file), "--json", ...vars], dir);
    if (described.code !== 0) {
      console.log(`${where} describe exit ${described.code}: ${described.err.trim().split("\n").slice(0, 2).join(" | ")}`);
      continue;
    }
    const plan = JSON.parse(described.out) as { steps: Array<Record<string, unknown>> };
    for (const line of plan.steps.flatMap((s) => commandsOf(s))) console.log(`${where} ${line}`);
    const dry = run(["workflow", name, "-f", join(dir, file), "--dry-run", ...vars], dir);
    console.log(`${where} --dry-run exit ${dry.code}${dry.code !== 0 ? `: ${dry.err.trim().split("\n").slice(-1)[0]}` : ""}`);
  }
}

