/**
 * Atmos' output modes and `show` settings for one step
 * (pkg/runner/step/output_mode.go, show_config.go): what the engine and the
 * renderers do with a step's stdout and stderr.
 *
 * - `raw`: both stream as they come (muster's default for every kind but
 *   `script`).
 * - `log`: both are kept while the step runs and printed when it ends,
 *   all of stdout (to stdout), then all of stderr (to stderr); `script`'s
 *   default, as in Atmos.
 * - `viewport`: on a terminal, a bounded live region of the step's last
 *   lines (`viewport.height`, default 10) while it runs; the output is not
 *   printed when the step succeeds (Atmos shows it in a pager), and printed
 *   as `log` when it fails. Without a terminal (stdout or stderr), `log`.
 * - `none`: nothing is shown; the output is still the step's result and in
 *   `--log-dir`.
 *
 * The mode is the step's `output`, else the workflow's, else `viewport`
 * when `ATMOS_PAGER` turns the pager on (and `NO_PAGER` is unset) for a
 * kind whose default is `log`, else the kind's default. A step attached to
 * the terminal (`tty`, `interactive`) has no mode: it writes there itself.
 * @module
 */
import * as v from "valibot";
import { expect, wholeNumber } from "../workflow/schema.ts";
import type { WorkflowShow } from "../workflow/types.ts";

/** Atmos' output modes. */
export type OutputMode = "raw" | "log" | "viewport" | "none";

/** Atmos' `show:` keys (the model's type: a workflow's and a step's `show` are of it). */
export type ShowSettings = WorkflowShow;

/** Atmos' defaults: every key off but `labels`. */
export const SHOW_DEFAULTS: ShowSettings = { header: false, flags: false, command: false, count: false, progress: false, labels: true };

const flag = v.optional(v.boolean(expect("true or false")));
/** `show:` as written (each key optional: unset keys come from the workflow's, then the defaults). */
export const showSettings = v.strictObject(
  { header: flag, flags: flag, command: flag, count: flag, progress: flag, labels: flag },
  expect("a map of header, flags, command, count, progress, labels to true or false"),
);
/** `output:` of a step that has output. */
export const outputModeField = v.picklist(["raw", "log", "viewport", "none"], expect("one of: raw, log, viewport, none"));
/** `viewport:` (the live region's size). */
export const viewportSettings = v.strictObject({ height: v.optional(wholeNumber(1)), width: v.optional(wholeNumber(1)) }, expect("a map with height and width"));

/** The kinds whose output the modes apply to (a group's children have the group's own modes). */
export const OUTPUT_KINDS: ReadonlySet<string> = new Set(["shell", "atmos", "script", "container"]);

/** Kinds whose default mode is `log` (Atmos' OutputModeWriter default); the others stream (`raw`). */
const LOG_BY_DEFAULT: ReadonlySet<string> = new Set(["script"]);

/**
 * `show` of a step: the workflow's merged with the step's, key by key
 * (Atmos' GetShowConfig), over the defaults.
 *
 * @example
 * ```ts
 * mergeShow({ labels: false, count: true }, { labels: true }); // { ...SHOW_DEFAULTS, count: true, labels: true }
 * ```
 */
export function mergeShow(workflow: Partial<ShowSettings> | undefined, step: Partial<ShowSettings> | undefined): ShowSettings {
  const defined = (s: Partial<ShowSettings> | undefined) => Object.fromEntries(Object.entries(s ?? {}).filter(([, value]) => value !== undefined));
  return { ...SHOW_DEFAULTS, ...defined(workflow), ...defined(step) };
}

/** Whether Atmos' `ATMOS_PAGER` turns the pager on (and `NO_PAGER` does not turn it off): Atmos' envPagerEnabled. */
export function pagerEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_PAGER) return false;
  const value = (env.ATMOS_PAGER ?? "").trim().toLowerCase();
  return !["", "false", "off", "no", "n", "0"].includes(value);
}

/**
 * The mode a step's output is shown in: as written (step, then workflow),
 * else Atmos' default for its kind.
 *
 * @example
 * ```ts
 * effectiveOutput("script", undefined, {}); // "log"
 * effectiveOutput("shell", undefined, { ATMOS_PAGER: "true" }); // "raw"
 * ```
 */
export function effectiveOutput(kind: string, written: OutputMode | undefined, env: Readonly<Record<string, string | undefined>>, attached = false): OutputMode | undefined {
  // A step attached to the terminal (tty, interactive) writes to it itself: Atmos captures nothing there either.
  if (!OUTPUT_KINDS.has(kind) || attached) return undefined;
  if (written) return written;
  if (!LOG_BY_DEFAULT.has(kind)) return "raw";
  return pagerEnabled(env) ? "viewport" : "log";
}
