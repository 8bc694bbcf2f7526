/**
 * The engine policy (`docker/engine-policy.ts`) applied to a container
 * step's `with:` as written or as planned, with the path of the field each
 * refusal is about: `validate` and the plan report them at their position,
 * before anything runs. Templated values are checked once rendered, and
 * every container body again when it is created.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { buildProblem, type EnginePolicy, enginePolicy, mountProblem, runArgsProblems } from "../../docker/engine-policy.ts";
import { platform } from "../../platform/index.ts";
import { isTemplated } from "./fields.ts";
import type { FieldPath } from "../kind.ts";

/** A refusal at a field of the step. */
export interface FieldRefusal {
  path: FieldPath;
  text: string;
}

type Mount = { type?: string; source?: string };

/**
 * The engine policy of this process (MUSTER_CONFINE under serve,
 * MUSTER_RESTRICT_HOST=1): what `validate` can judge as written.
 * `judgePaths` says whether relative paths can be judged (only under a confinement root).
 */
export function parsePolicy(): { policy: EnginePolicy; judgePaths: boolean } {
  const env = platform.env();
  return { policy: enginePolicy(env, env.MUSTER_CONFINE || "/"), judgePaths: Boolean(env.MUSTER_CONFINE) };
}

/**
 * The refusals of a `run` (or sandbox) `with:` under `policy`. `dir` is the
 * folder relative bind sources are taken from, when known (at parse time
 * only absolute ones are judged).
 *
 * @example
 * ```ts
 * runRefusals({ run_args: ["--privileged"] }, policy);
 * // [{ path: ["with", "run_args", 0], text: 'field "with.run_args[0]": --privileged "true" is not allowed: … (… MUSTER_ALLOW_PRIVILEGED=1)' }]
 * ```
 */
export function runRefusals(spec: { run_args?: string[]; mounts?: Mount[]; volumes?: Mount[] }, policy: EnginePolicy, dir?: string, judgePaths = true, volumesDir = dir): FieldRefusal[] {
  if (!policy.restricted) return [];
  const refusals: FieldRefusal[] = [];
  const args = spec.run_args ?? [];
  if (!args.some(isTemplated)) {
    for (const p of runArgsProblems(args, policy)) refusals.push({ path: ["with", "run_args", p.index], text: `field "with.run_args[${p.index}]": ${p.text}` });
  }
  const mounts = (key: "mounts" | "volumes") => (spec[key] ?? []).forEach((m, i) => {
    const source = m.source ?? "";
    const type = m.type ?? "bind";
    if (isTemplated(source) || (type === "bind" && /^[~$]/.test(source))) return; // judged once rendered and expanded
    const base = key === "volumes" ? volumesDir : dir;
    if (type === "bind" && (!judgePaths || (!isAbsolute(source) && base === undefined))) return;
    const p = mountProblem({ type, source: type === "bind" ? resolve(base ?? "/", source) : source }, policy);
    if (p) refusals.push({ path: ["with", key, i, "source"], text: `field "with.${key}[${i}].source": ${p.text}` });
  });
  mounts("mounts");
  mounts("volumes");
  return refusals;
}

/**
 * The refusal of a `build` `with:` under `policy`: `context` resolved in
 * `dir` (the step's directory; at parse time only absolute paths are judged).
 * A `.dockerignore` that leads out is refused as the `context`.
 *
 * @example
 * ```ts
 * buildRefusal({ context: ".", dockerfile: "/etc/shadow" }, policy, "/repo");
 * // { path: ["with", "dockerfile"], text: 'field "with.dockerfile": build dockerfile "/etc/shadow" is not allowed: … MUSTER_ALLOW_HOST_MOUNTS …' }
 * ```
 */
export function buildRefusal(spec: { context?: string; dockerfile?: string }, policy: EnginePolicy, dir?: string): FieldRefusal | undefined {
  if (!policy.restricted) return undefined;
  const context = spec.context ?? ".";
  const dockerfile = spec.dockerfile ?? "Dockerfile";
  if (isTemplated(context) || isTemplated(dockerfile)) return undefined;
  if (dir === undefined && !isAbsolute(context)) {
    // Only the Dockerfile can be judged without the step's directory, when absolute.
    if (!isAbsolute(dockerfile)) return undefined;
    const p = buildProblem({ context: policy.boundary, dockerfile }, policy);
    return p?.field === "dockerfile" ? { path: ["with", "dockerfile"], text: `field "with.dockerfile": ${p.text}` } : undefined;
  }
  const p = buildProblem({ context: resolve(dir ?? "/", context), dockerfile }, policy);
  if (!p) return undefined;
  const field = p.field === "dockerfile" ? "dockerfile" : "context";
  return { path: ["with", field], text: `field "with.${field}": ${p.text}` };
}
