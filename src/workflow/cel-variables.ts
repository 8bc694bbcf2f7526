/**
 * The values of a CEL condition's variables for one step, as Atmos builds
 * them (pkg/workflow/condition_context.go): `env` is the workflow's `env:`
 * overlaid with the step's, as written (not rendered, not the process
 * environment); `stack` is `-s`, else the step's, else the workflow's;
 * `os`/`arch` are Go's names. The freshness facts (`checksum.changed`,
 * `timestamp.changed`, `preconditions.success`, `sources`, `artifacts`) are
 * the step's, computed by `src/run/freshness.ts` for the facts its condition
 * mentions; without them (no `inputs`/`artifacts`/`preconditions`) they are
 * false and empty, as Atmos has them. `steps` is muster's:
 * the results of the steps that succeeded so far (templates' `.steps`).
 * @module
 */
import { arch, platform } from "node:os";
// Only a type from cel.ts: importing its code would load the CEL library for every run.
import type { CelVariables } from "./cel.ts";
import type { RunContext } from "./run-context.ts";
import type { StepBase } from "./types.ts";

/** The variables freshness fills (`src/run/freshness.ts` computes them). */
export type FreshnessVariables = Pick<CelVariables, "checksum" | "timestamp" | "preconditions" | "sources" | "artifacts">;

/**
 * The variables of `step`'s conditions (`status` and `ci` are the judge's).
 *
 * @example
 * ```ts
 * celVariables(run, step, state.steps).env; // { ...workflow env, ...step env }
 * ```
 */
export function celVariables(run: RunContext, step: StepBase, steps: Record<string, unknown>, facts?: FreshnessVariables): Omit<CelVariables, "status" | "ci"> {
  const own = step as StepBase & { env?: Record<string, string>; stack?: string };
  const { os, arch: goArch } = goPlatform(platform(), arch());
  return {
    stack: run.stackFlag || own.stack || run.workflow.stack || "",
    workflow: run.workflow.name,
    step: step.name,
    env: { ...run.workflow.env, ...own.env },
    os,
    arch: goArch,
    platform: `${os}/${goArch}`,
    checksum: facts?.checksum ?? { changed: false },
    timestamp: facts?.timestamp ?? { changed: false },
    preconditions: facts?.preconditions ?? { success: false },
    sources: facts?.sources ?? [],
    artifacts: facts?.artifacts ?? [],
    steps,
  };
}

/** Atmos' `os`/`arch` names (Go's GOOS/GOARCH) for Node's `os.platform()`/`os.arch()`. */
export function goPlatform(platform: string, arch: string): { os: string; arch: string } {
  const os = platform === "win32" ? "windows" : platform;
  const goArch = ({ x64: "amd64", ia32: "386", arm: "arm", arm64: "arm64" } as Record<string, string>)[arch] ?? arch;
  return { os, arch: goArch };
}
