/**
 * Builds standalone executables with `bun build --compile`.
 *
 *   bun scripts/build.ts            # dist/muster, for this machine
 *   bun scripts/build.ts --all      # every release target (scripts/targets.ts) + dist/SHA256SUMS
 *   bun scripts/build.ts --all --out DIR   # the same into DIR
 *
 * Options, measured by scripts/bench/build-options.ts: --splitting keeps lazily imported
 * commands in their own chunks, so `--version` does not parse the runner, Docker client
 * and validator (about 4x faster start-up); --minify shaves a little more. --bytecode
 * (with --format=esm) ships pre-compiled JavaScriptCore bytecode, so start-up skips
 * parsing: with Bun 1.4.5 it builds for this module graph and all seven targets (issue #31;
 * cross-compiling needs Bun's runtime for each target in ~/.bun/install/cache, fetched once).
 * Fallback: a target whose bytecode cannot be generated is built without it and --all says
 * so with Bun's error; MUSTER_NO_BYTECODE=1 builds every target without.
 *
 * The bytecode is laid out by a profile (--bytecode-order): a first build for this machine
 * runs a one-step workflow, `validate` and `--version` with BUN_BYTECODE_ORDER_OUT, and every
 * target is then built with the functions those use first (~0.2 ms of every start; a profile
 * of one build applies to the others). --no-compile-autoload-* and --compile-jit-policy: see
 * compile().
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { TARGETS } from "./targets.ts";

function commit(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { stderr: "ignore" });
  const hash = git.success ? git.stdout.toString().trim() : "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { stderr: "ignore" });
  return dirty.success && dirty.stdout.toString().trim() !== "" ? `${hash}-dirty` : hash;
}

/** The bytecode order files of the last profiled build (see recordBytecodeOrder), if any. */
let bytecodeOrder: string[] = [];
/** Where they were recorded: removed at the end, also when recording failed. */
const orderDirs: string[] = [];

/**
 * Builds for this machine into a temporary file and runs what users run most (a one-step
 * workflow, `validate`, `--version`) with BUN_BYTECODE_ORDER_OUT: the order files for
 * --bytecode-order. Returns the directory holding them (removed by the caller).
 */
async function recordBytecodeOrder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "muster-bytecode-order-"));
  orderDirs.push(dir);
  const probe = join(dir, "muster");
  await compile(probe);
  await writeFile(join(dir, "one.yaml"), `workflows:\n  one:\n    steps:\n      - { name: one, type: shell, command: "true" }\n`);
  const runs = [["workflow", "one", "-f", "one.yaml"], ["validate", "-f", "one.yaml"], ["--version"]];
  bytecodeOrder = [];
  for (const [i, args] of runs.entries()) {
    const file = join(dir, `order-${i}.txt`);
    const env = { ...process.env, BUN_BYTECODE_ORDER_OUT: file, MUSTER_NO_JOURNAL: "1", MUSTER_NO_CACHE: "1", NO_COLOR: "1" };
    const run = Bun.spawnSync([probe, ...args], { cwd: dir, env, stdout: "ignore", stderr: "pipe" });
    if (run.exitCode !== 0) throw new Error(`muster ${args.join(" ")} failed while recording the bytecode order: ${run.stderr.toString().trim()}`);
    bytecodeOrder.push(file);
  }
  return dir;
}

/**
 * Compiles src/main.ts for `target` (undefined: this machine) into `outfile`, with bytecode
 * unless `bytecode` is false (laid out by the recorded order, when there is one).
 */
export async function compile(outfile: string, target?: string, extra: string[] = [], bytecode = !process.env.MUSTER_NO_BYTECODE): Promise<void> {
  const args = [
    "build", "src/main.ts", "--compile", "--minify", "--splitting",
    ...(bytecode ? ["--bytecode", "--format=esm"] : []),
    ...(bytecode && bytecodeOrder.length > 0 ? [`--bytecode-order=${bytecodeOrder.join(",")}`] : []),
    // A compiled muster is a command, not a project runner: it never reads a .env or bunfig.toml
    // where it is started (both are Bun's defaults; not reading them is also ~1 ms of every start).
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    // Run-once start-up code stays in the interpreter (~1 ms of a one-step run); platform.normalJit
    // turns the usual policy back on for large files and serve.
    "--compile-jit-policy=100",
    "--outfile", outfile,
    "--define", `MUSTER_VERSION=${JSON.stringify(pkg.version)}`,
    "--define", `MUSTER_COMMIT=${JSON.stringify(commit())}`,
    ...(target ? [`--target=${target}`] : []),
    ...extra,
  ];
  const proc = Bun.spawn([process.execPath, ...args], { stdout: "inherit", stderr: "pipe" });
  const [code, errors] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  process.stderr.write(errors);
  if (code !== 0) throw new Error(`bun ${args.join(" ")} failed: ${errors.trim().split("\n").pop() ?? ""}`);
}

/** Compiles for `target` with bytecode, else (saying why) without; returns whether bytecode was built. */
async function compileRelease(outfile: string, target: string): Promise<{ bytecode: boolean; why?: string }> {
  if (process.env.MUSTER_NO_BYTECODE) {
    await compile(outfile, target, [], false);
    return { bytecode: false, why: "MUSTER_NO_BYTECODE is set" };
  }
  try {
    await compile(outfile, target);
    return { bytecode: true };
  } catch (error) {
    const why = (error as Error).message.split(" failed: ").pop()!;
    console.log(`${target}: no bytecode (${why}); building it without`);
    await compile(outfile, target, [], false);
    return { bytecode: false, why };
  }
}

async function buildAll(dir: string): Promise<void> {
  const sums: string[] = [];
  const without: string[] = [];
  for (const target of TARGETS) {
    const out = `${dir}/${target.file}`;
    const built = await compileRelease(out, target.bun);
    if (!built.bytecode) without.push(`${target.file} (${built.why})`);
    const hash = createHash("sha256").update(await readFile(out)).digest("hex");
    sums.push(`${hash}  ${target.file}`);
    console.log(`${target.file.padEnd(26)} ${((await stat(out)).size / 1e6).toFixed(1).padStart(6)} MB  ${built.bytecode ? "bytecode" : "no bytecode"}`);
  }
  console.log(without.length === 0 ? `all ${TARGETS.length} targets built with bytecode` : `built without bytecode: ${without.join("; ")}`);
  await writeFile(`${dir}/SHA256SUMS`, `${sums.join("\n")}\n`);
  console.log(`${dir}/SHA256SUMS written`);
}

if (import.meta.main) {
  // --out DIR: build there instead of dist/ (the distribution test builds into a temp dir).
  const outIndex = process.argv.indexOf("--out");
  const dir = outIndex > 0 ? process.argv[outIndex + 1]! : "dist";
  await mkdir(dir, { recursive: true });
  // A profile that cannot be recorded (say, a machine where the probe cannot run) only costs start-up time.
  if (!process.env.MUSTER_NO_BYTECODE) {
    await recordBytecodeOrder().catch((error: Error) => {
      console.warn(`no bytecode order profile: ${error.message}; building without one`);
      bytecodeOrder = [];
    });
  }
  try {
    if (process.argv.includes("--all")) await buildAll(dir);
    else await compile(`${dir}/muster`);
  } finally {
    for (const d of orderDirs) await rm(d, { recursive: true, force: true });
  }
}
