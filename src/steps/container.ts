/**
 * `type: container`: Atmos' container actions, over muster's own Engine API
 * client. `action: run` (the default) runs a container to completion in the
 * foreground, or starts a background service (`background: true`) that
 * gates later steps until it is ready and is always torn down. `build`
 * builds an image from a context, `push` pushes it, `inspect` shows an
 * image's metadata. Every string under `with:` is a template.
 *
 * This file holds what all actions share (the step's own fields, the
 * checks across them, the templates); each action is one object in
 * `container/actions.ts` (`run.ts`, `build.ts`, `push.ts`, `inspect.ts`),
 * and the run's containers are `container/registry.ts`.
 * @module
 */
import * as v from "valibot";
import { expect, mapOf, str, stringMap } from "../workflow/schema.ts";
import { ACTIONS, actionOf } from "./container/actions.ts";
import { stringLeaves } from "./container/render.ts";
import type { ContainerAction, ContainerPlan, ContainerStep } from "./container/types.ts";
import { LEAF } from "./behaviours.ts";
import { defineKind } from "./define-kind.ts";
import type { StepKind, TemplateField } from "./kind.ts";
import { PROCESS_RESULT_KEYS } from "./process.ts";

export type { BuildPlan, ContainerAction, ContainerPlan, ContainerStep } from "./container/types.ts";

/** The schema of `with:` for each action (`muster schema` reads it too). */
export const SCHEMAS = { run: ACTIONS.run.schema, build: ACTIONS.build.schema, push: ACTIONS.push.schema, inspect: ACTIONS.inspect.schema } as const;

/** The container step kind. */
export const container: StepKind<ContainerStep, ContainerPlan> = defineKind({
  type: "container",
  summary: "Run a container (foreground, or a background service), or build, push or inspect an image",
  behaviours: { ...LEAF, concurrent: false, usesEngine: true },
  fields: {
    action: v.optional(v.picklist(["run", "build", "push", "inspect", ""], expect("one of: run, build, push, inspect")), "run"),
    background: v.optional(v.boolean(expect("true or false")), false),
    env: v.optional(stringMap, {}),
    working_directory: v.optional(str),
    stack: v.optional(str),
    // Atmos reads these on the step and on `with:`; muster talks to whatever engine DOCKER_HOST names.
    provider: v.optional(v.picklist(["auto", "docker", "podman"], expect("one of: auto, docker, podman"))),
    runtime_auto_start: v.optional(v.boolean(expect("true or false"))),
    // The container attaches to muster's terminal (container/attach.ts).
    tty: v.optional(v.boolean(expect("true or false"))),
    interactive: v.optional(v.boolean(expect("true or false"))),
    with: mapOf(v.string(), v.unknown(), "a map of container settings"),
  },
  build(fields, base, ctx) {
    // Atmos writes an empty action for the default.
    const action: ContainerAction = fields.action === "" ? "run" : fields.action;
    const background = fields.background;
    const attached = fields.tty === true ? "tty" : fields.interactive === true ? "interactive" : undefined;
    // As in Atmos: a service runs detached, and only a run has a process to attach to.
    if (attached && background) {
      ctx.report([attached], `"${attached}: true" is not allowed on a background container (expected a foreground run: a service runs detached, with no terminal)`, "key");
      return undefined;
    }
    if (attached && action !== "run") {
      ctx.report([attached], `"${attached}: true" applies to action: run only (expected no ${attached} on a ${action})`, "key");
      return undefined;
    }
    if (background && action !== "run") {
      ctx.report(["background"], `"background" applies to action: run only (expected no background on a ${action})`, "key");
      return undefined;
    }
    if (background && base.retry) {
      ctx.report(["retry"], `"retry" is not allowed on a background container (expected retry on foreground containers only: a service is started once and judged by its health check)`, "key");
      return undefined;
    }
    const def = ACTIONS[action];
    const w = ctx.check(def.schema, fields.with, ["with"]);
    if (w === undefined) return undefined;
    const found = def.problems(w, { background, provider: fields.provider });
    for (const warning of found.filter((p) => p.warning)) ctx.warn(warning.path, warning.text, warning.part);
    const problems = found.filter((p) => !p.warning);
    for (const problem of problems) ctx.report(problem.path, problem.text, problem.part);
    if (problems.length > 0) return undefined;
    return {
      ...base,
      type: "container",
      action,
      background,
      env: fields.env,
      workingDirectory: fields.working_directory,
      stack: fields.stack,
      with: fields.with,
      ...(attached ? { terminal: { tty: fields.tty === true, interactive: fields.interactive === true } } : {}),
    };
  },
  attaches: (step) => step.terminal !== undefined,
  gates: (step) => !step.background,
  // A service says "starting" and then "✓ service NAME ready": no ✓ for merely starting it.
  quietStart: (step) => step.background,
  services: { starts: (step) => (step.background ? step.name : undefined) },
  produces: [...PROCESS_RESULT_KEYS, "container_id", "image", "image_id", "repo_tags", "repo_digests", "digest", "push_results", "size", "created", "architecture", "os"],
  templates(step) {
    const codeOf = ACTIONS[step.action].codeOf?.(step);
    const fields: TemplateField[] = stringLeaves(step.with, ["with"]).map(({ path, text }) => ({ field: path.join("."), path, text, code: codeOf?.(path) }));
    for (const [key, text] of Object.entries(step.env)) fields.push({ field: `env.${key}`, path: ["env", key], text });
    if (step.workingDirectory !== undefined) fields.push({ field: "working_directory", path: ["working_directory"], text: step.workingDirectory });
    return fields;
  },
  plan: (step, scope): ContainerPlan => ACTIONS[step.action].plan(step, scope),
  describe: (planned) => actionOf(planned.resolved).describe(planned.resolved),
  view: (planned) => ({ name: planned.name, type: "container", action: planned.step.action, container: planned.resolved, timeout_ms: planned.step.timeoutMs, retry: planned.step.retry }),
  viewText: (planned) => actionOf(planned.resolved).viewText(planned.resolved),
  run: (planned, ctx) => actionOf(planned.resolved).run(planned.name, planned.resolved, ctx),
});
