/**
 * Builds the standalone executable for this machine: `dist/muster`.
 *
 *   bun scripts/build.ts            # dist/muster
 *   bun scripts/build.ts --all      # every release target (see targets.ts)
 */
import { mkdir } from "node:fs/promises";
import pkg from "../package.json" with { type: "json" };

function commit(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { stderr: "ignore" });
  const hash = git.success ? git.stdout.toString().trim() : "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { stderr: "ignore" });
  return dirty.success && dirty.stdout.toString().trim() !== "" ? `${hash}-dirty` : hash;
}

/** Compiles src/main.ts for `target` (undefined: this machine) into `outfile`. */
export async function compile(outfile: string, target?: string, extra: string[] = []): Promise<void> {
  const args = [
    "build", "src/main.ts", "--compile", "--minify", "--outfile", outfile,
    "--define", `MUSTER_VERSION=${JSON.stringify(pkg.version)}`,
    "--define", `MUSTER_COMMIT=${JSON.stringify(commit())}`,
    ...(target ? [`--target=${target}`] : []),
    ...extra,
  ];
  const proc = Bun.spawn([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) throw new Error(`bun ${args.join(" ")} failed`);
}

if (import.meta.main) {
  await mkdir("dist", { recursive: true });
  await compile("dist/muster");
}
