/**
 * The step kinds muster knows, in the order error messages list them.
 * Adding a step type is one file under `src/steps/` and one entry here.
 * @module
 */
import { alert } from "./alert.ts";
import { archive } from "./archive.ts";
import { atmos } from "./atmos.ts";
import { cancel } from "./cancel.ts";
import { choose } from "./choose.ts";
import { clear } from "./clear.ts";
import { confirm } from "./confirm.ts";
import { container } from "./container.ts";
import { emulator } from "./emulator.ts";
import { dependency } from "./dependency.ts";
import { env } from "./env.ts";
import { exec } from "./exec.ts";
import { exit } from "./exit.ts";
import { file } from "./file.ts";
import { filter } from "./filter.ts";
import { format } from "./format.ts";
import { hint } from "./hint.ts";
import { http, webhook } from "./http.ts";
import { input } from "./input.ts";
import { join } from "./join.ts";
import { junit } from "./junit.ts";
import { linebreak } from "./linebreak.ts";
import { log } from "./log.ts";
import { markdown } from "./markdown.ts";
import type { AnyKind } from "./kind.ts";
import { matrix } from "./matrix.ts";
import { pager } from "./pager.ts";
import { parallel } from "./parallel.ts";
import { assertStep, requireStep } from "./require.ts";
import { shell } from "./shell.ts";
import { sayStep } from "./say.ts";
import { script } from "./script.ts";
import { sleep } from "./sleep.ts";
import { spin } from "./spin.ts";
import { stage } from "./stage.ts";
import { store } from "./store.ts";
import { style } from "./style.ts";
import { table } from "./table.ts";
import { tflint } from "./tflint.ts";
import { title } from "./title.ts";
import { toast } from "./toast.ts";
import { wait } from "./wait.ts";
import { waitAll } from "./wait-all.ts";
import { write } from "./write.ts";

/** Every step kind. */
export const KINDS: readonly AnyKind[] = [
  atmos, shell, sleep, env, parallel, matrix, container, wait, waitAll, cancel,
  toast, log, hint, format, alert, stage, linebreak, clear, title, join, exit, requireStep, assertStep, sayStep, markdown, table, style, pager, spin, script,
  input, confirm, choose, filter, file, write, archive, junit, http, webhook, emulator, store, tflint, exec, dependency,
];

const BY_TYPE = new Map(KINDS.map((kind) => [kind.type, kind]));

/**
 * The kind of a step type, or undefined for an unknown type.
 *
 * @example
 * ```ts
 * kindOf("shell")?.behaviours.retry; // true
 * ```
 */
export function kindOf(type: string): AnyKind | undefined {
  return BY_TYPE.get(type);
}

/** The kind of a step that was built by the parser (its type is known). */
export function kindOfStep(step: { type: string }): AnyKind {
  const kind = BY_TYPE.get(step.type);
  if (!kind) throw new Error(`no step kind "${step.type}"`);
  return kind;
}

/** The step types, for "expected one of: ..." messages. */
export const STEP_TYPES: readonly string[] = KINDS.filter((kind) => !kind.internal).map((kind) => kind.type);

/**
 * Step types that only Atmos can run (no atmos command does the same work):
 * refused at validation with why and what to do instead.
 */
export const ATMOS_ONLY: Readonly<Record<string, string>> = {
  workdir: "vendors a source into a working directory through Atmos' provisioner, which has no atmos command muster could run",
  cast: "records the workflow's own terminal session as an asciicast from inside Atmos",
  simulate: "is a child of cast, which records a terminal session from inside Atmos",
};

/** The step types allowed inside `parallel`/`matrix`. */
export const CHILD_STEP_TYPES: readonly string[] = KINDS.filter((kind) => kind.behaviours.concurrent && !kind.internal).map((kind) => kind.type);
