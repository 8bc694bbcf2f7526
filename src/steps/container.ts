/**
 * `type: container`: a container from an image, run to completion in the
 * foreground, or started as a background service (`background: true`) that
 * gates later steps until it is ready and is always torn down.
 * The runner is `engine/services.ts`, over muster's own Engine API client.
 * @module
 */
import * as v from "valibot";
import type { ContainerSpec } from "../docker/container-spec.ts";
import { formatDuration } from "../workflow/duration.ts";
import { containerWith, expect, mapOf, str, stringMap } from "../workflow/schema.ts";
import { shellQuote, splitShellWords } from "../workflow/shell-words.ts";
import type { StepBase } from "../workflow/types.ts";
import type { StepKind } from "./kind.ts";

/** A container step. */
export interface ContainerStep extends StepBase {
  type: "container";
  action: "run";
  background: boolean;
  container: ContainerSpec;
}

/** The container step kind. */
export const container: StepKind<ContainerStep, ContainerSpec> = {
  type: "container",
  summary: "Run a container in the foreground, or start a background service",
  behaviours: { timeout: true, retry: true, gated: true, concurrent: false, interactive: false, usesEngine: true, usesStreams: false, hasChildren: false },
  fields: () => ({
    action: v.optional(str, "run"),
    background: v.optional(v.boolean(expect("true or false")), false),
    // Variables for the container, under its `with.env`.
    env: v.optional(stringMap, {}),
    with: mapOf(v.string(), v.unknown(), "a map of container settings"),
  }),
  build(fields, base, ctx) {
    if (fields.action !== "run") {
      ctx.report(["action"], `container action "${fields.action}" is not supported (expected: run)`);
      return undefined;
    }
    const background = fields.background as boolean;
    if (background && base.retry) {
      ctx.report(["retry"], `"retry" is not allowed on a background container (expected retry on foreground containers only: a service is started once and judged by its health check)`, "key");
      return undefined;
    }
    const spec = ctx.check(containerWith, fields.with, ["with"]);
    if (!spec) return undefined;
    const words = (value: string | string[] | undefined, field: string): string[] | undefined => {
      if (value === undefined || Array.isArray(value)) return value;
      try {
        return splitShellWords(value);
      } catch (error) {
        ctx.report(["with", field], `field "with.${field}": ${(error as Error).message} (expected balanced quotes)`);
        return undefined;
      }
    };
    let healthcheck: ContainerSpec["healthcheck"];
    if (spec.healthcheck) {
      const test = typeof spec.healthcheck.test === "string" ? ["CMD-SHELL", spec.healthcheck.test] : spec.healthcheck.test;
      if (!["CMD", "CMD-SHELL", "NONE"].includes(test[0]!)) {
        ctx.report(["with", "healthcheck", "test"], `field "with.healthcheck.test": the list starts with ${JSON.stringify(test[0])} (expected CMD, CMD-SHELL or NONE first)`);
        return undefined;
      }
      healthcheck = {
        test,
        intervalMs: spec.healthcheck.interval,
        timeoutMs: spec.healthcheck.timeout,
        retries: spec.healthcheck.retries,
        startPeriodMs: spec.healthcheck.start_period,
        startIntervalMs: spec.healthcheck.start_interval,
      };
    }
    const spec_: ContainerSpec = {
      image: spec.image,
      command: words(spec.command, "command"),
      entrypoint: words(spec.entrypoint, "entrypoint"),
      env: { ...(fields.env as Record<string, string>), ...spec.env },
      ports: spec.ports.map((p) => ({ host: p.host, container: p.container, protocol: p.protocol, hostIp: p.host_ip })),
      volumes: spec.volumes.map((m) => ({ source: m.source, target: m.target, readOnly: m.read_only })),
      workdir: spec.workdir,
      user: spec.user,
      labels: spec.labels,
      pull: spec.pull,
      healthcheck,
      stopTimeoutMs: spec.stop_timeout,
      readyTimeoutMs: spec.ready_timeout,
    };
    return { ...base, type: "container", action: "run", background, container: spec_ };
  },
  gates: (step) => !step.background,
  services: { starts: (step) => (step.background ? step.name : undefined) },
  templates: () => [],
  plan: (step) => step.container,
  describe: (planned) => `container ${planned.resolved.image}${planned.step.background ? " (background)" : ""}`,
  view: (planned) => ({ name: planned.name, type: "container", container: { ...planned.resolved, background: planned.step.background }, timeout_ms: planned.step.timeoutMs, retry: planned.step.retry }),
  viewText(planned) {
    const c = planned.resolved;
    const lines = [`image ${c.image} (pull ${c.pull})${c.command ? ` command ${c.command.map(shellQuote).join(" ")}` : ""}`];
    if (c.entrypoint) lines.push(`entrypoint ${c.entrypoint.map(shellQuote).join(" ")}`);
    for (const p of c.ports) lines.push(`port ${p.hostIp}:${p.host ?? "(random)"} -> ${p.container}/${p.protocol}`);
    for (const m of c.volumes) lines.push(`volume ${m.source} -> ${m.target}${m.readOnly ? " (read-only)" : ""}`);
    for (const [k, val] of Object.entries(c.env)) lines.push(`env ${k}=${val}`);
    for (const [k, val] of Object.entries(c.labels)) lines.push(`label ${k}=${val}`);
    if (c.workdir) lines.push(`workdir ${c.workdir}`);
    if (c.user) lines.push(`user ${c.user}`);
    if (c.healthcheck) {
      const h = c.healthcheck;
      lines.push(`healthcheck ${h.test.join(" ")}${h.intervalMs !== undefined ? ` every ${formatDuration(h.intervalMs)}` : ""}${h.retries !== undefined ? `, ${h.retries} retries` : ""}`);
    }
    lines.push(`stop timeout ${formatDuration(c.stopTimeoutMs)}${c.readyTimeoutMs !== undefined ? `, ready timeout ${formatDuration(c.readyTimeoutMs)}` : ""}`);
    return { head: `container${planned.step.background ? ", background" : ""}`, lines };
  },
  run: (planned, ctx) => ctx.services().run(planned, ctx),
};
