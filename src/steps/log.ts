/**
 * `type: log`: a structured log line on stderr, `LEVEL content key=value`,
 * as Atmos' logger writes it. Levels: `trace`, `debug`, `info` (default),
 * `warn`/`warning`, `error`. Like Atmos (whose `logs.level` defaults to
 * Warning) muster shows only `warn` and `error` unless the level is lowered
 * with `ATMOS_LOGS_LEVEL` (Atmos' own variable: Trace, Debug, Info,
 * Warning, Error, Off). A hidden line still stores its content.
 * @module
 */
import * as v from "valibot";
import { expect, str, stringMap } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say, textsOf, valued } from "./message.ts";

const LEVELS = ["trace", "debug", "info", "warn", "warning", "error"] as const;
const RANK: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, warning: 3, error: 4, off: 5 };
const LABEL: Record<string, string> = { trace: "TRCE", debug: "DEBU", info: "INFO", warn: "WARN", warning: "WARN", error: "ERRO" };

/** A log step: `fields` are templates too, kept in `texts` as `fields.KEY`. */
export interface LogStep extends MessageStep {
  level: (typeof LEVELS)[number];
}

/**
 * Whether a line of `level` shows under the threshold `ATMOS_LOGS_LEVEL` sets (default Warning).
 *
 * @example
 * ```ts
 * logShows("info", undefined); // false
 * logShows("info", "Debug"); // true
 * ```
 */
export function logShows(level: string, threshold: string | undefined): boolean {
  const limit = RANK[(threshold ?? "warning").trim().toLowerCase()] ?? RANK.warning!;
  return RANK[level]! >= limit;
}

/** The log step kind. */
export const log: StepKind<LogStep, MessagePlan> = defineKind({
  type: "log",
  summary: "Write a log line with a level and fields (stderr; ATMOS_LOGS_LEVEL filters)",
  ...messageParts<LogStep>("log"),
  fields: () => ({
    content: str,
    level: v.optional(v.picklist(LEVELS, expect(`one of: ${LEVELS.join(", ")}`)), "info"),
    fields: v.optional(stringMap, {}),
  }),
  build: (fields, base) => ({
    ...base,
    type: "log",
    level: fields.level,
    texts: {
      ...textsOf(fields, ["content"]),
      ...Object.fromEntries(Object.entries(fields.fields).map(([k, text]) => [`fields.${k}`, text])),
    },
  }),
  async run(planned, ctx) {
    const { content = "", ...rest } = planned.resolved.texts;
    if (logShows(planned.step.level, ctx.run.env.ATMOS_LOGS_LEVEL)) {
      const pairs = Object.entries(rest).map(([k, value]) => `${k.slice("fields.".length)}=${/[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value}`);
      await say(ctx, 2, [LABEL[planned.step.level], content, ...pairs].join(" "));
    }
    return valued(content);
  },
});
