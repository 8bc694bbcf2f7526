/**
 * What the kinds that run a process (`shell`, `atmos`) share: their common
 * fields' templates, resolving environment and working directory with the
 * defaults handed down, and running the argv with the engine's streams.
 * @module
 */
import { isAbsolute, join } from "node:path";
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_OK } from "../exit-codes.ts";
import { platform, SpawnError } from "../platform/index.ts";
import { shellQuote } from "../util/shell-words.ts";
import type { ResultCapture } from "../engine/result-capture.ts";
import type { StepValue } from "../workflow/run-state.ts";
import type { StepBase } from "../workflow/types.ts";
import type { BuildContext, PlanScope, PlannedStep, StepContext, StepOutcome, TemplateField } from "./kind.ts";
import type { FieldsOf } from "./define-kind.ts";
import type { runFields } from "./schema.ts";
import { sandboxSettings, type SandboxPlan, type SandboxSettings, stepContainer } from "./container/fields.ts";
import { renderChecked } from "./container/render.ts";
import { type Dialect, dialectOf } from "../shell/dialect.ts";
import { DATA_VARIABLE_PREFIX } from "../shell/render-code.ts";
import { lazy } from "../util/lazy.ts";
import {
  ATTACHED_VALUE, attachTerminal, DEFAULT_TERMINAL_SIZE, EXIT_NO_PTY, hostTerminalSize, ownInterrupts, ptyRefusal, terminalLabel, type TerminalSettings,
} from "./attached-process.ts";

// Loaded on first use (once): `validate`, `describe` and runs that never reach this code do not load them.
const runProcessModule = lazy(() => import("../engine/run-process.ts"));
const processLimitModule = lazy(() => import("../engine/process-limit.ts"));
const identityModule = lazy(() => import("../engine/identity.ts"));

type RunProcessOptionsOf = import("../engine/run-process.ts").RunProcessOptions;

/** A step with the fields in `runFields`. */
export interface RunFieldsStep extends StepBase {
  stack?: string;
  env: Record<string, string>;
  workingDirectory?: string;
  /** `container:` (shell and script): false runs on the host, a map in a container of the step's own. */
  container?: false | Record<string, unknown>;
}

export type { SandboxPlan } from "./container/fields.ts";

/** A step that runs a command. */
export interface CommandStep extends RunFieldsStep {
  type: "shell" | "atmos";
  command: string;
  /** `tty` / `interactive`: the step attaches to muster's terminal (`attached-process.ts`). */
  terminal?: TerminalSettings;
}

/** A process step after planning. */
export interface ProcessPlan {
  stack?: string;
  /** The command after templating: values from outside are references to variables in `env` (see `renderCode`). */
  command: string;
  /** The command as a person reads it, each value from outside quoted in place (start lines; never run). */
  display?: string;
  /** What is executed. */
  argv: string[];
  cwd: string;
  /** Variables set on top of muster's own environment. */
  env: Record<string, string>;
  /** Text written to the process's stdin (then closed), instead of muster's own stdin. */
  stdinText?: string;
  /** Run inside this container instead of on the host. */
  sandbox?: SandboxPlan;
  /** `tty` / `interactive` (host only). */
  terminal?: TerminalSettings;
}

/**
 * Where a shell or script step runs: its own container, the workflow's
 * sandbox, or (undefined) the host. `container: false` opts out.
 */
export function planSandbox(step: RunFieldsStep, scope: PlanScope, cwd: string): SandboxPlan | undefined {
  if (step.container === false) return undefined;
  if (step.container) return { key: `step:${scope.name}`, settings: renderChecked(sandboxSettings, step.container, ["container"], scope), hostRoot: cwd, own: true };
  const shared = scope.run.workflow.container;
  if (!shared) return undefined;
  // The workspace is the directory handed down (the workflow's, for the top-level steps that use it):
  // steps in its subdirectories run in the matching place inside.
  return { key: "workflow", settings: renderChecked(sandboxSettings, shared, [], scope), hostRoot: stepDirectory(scope, undefined), own: false };
}

/** How a process (host or sandbox) ended. */
export interface ProcessEnd {
  code: number;
  canceled: boolean;
}

/**
 * Runs a planned process step's argv: on the host, or inside its sandbox
 * (the workflow's only for top-level steps: Atmos never runs group children there).
 */
export async function runStepProcess(
  planned: PlannedStep<StepBase, ProcessPlan>,
  ctx: StepContext,
  io: {
    stdout: "inherit" | ((data: Uint8Array) => void | Promise<void>);
    stderr: "inherit" | ((data: Uint8Array) => void | Promise<void>);
    stdin: "inherit" | "null";
    /** On a pseudo-terminal of its own (`tty: true`); `stdout` must then be a sink. */
    terminal?: RunProcessOptionsOf["terminal"];
    /** Called with the child's pid once it runs. */
    onSpawn?: (pid: number) => void;
  },
): Promise<ProcessEnd> {
  const r = planned.resolved;
  if (r.sandbox && (r.sandbox.own || ctx.path.length === 1)) {
    const argv = planned.step.type === "shell" ? [r.sandbox.settings.shell, "-c", r.command] : r.argv;
    const sink = (stream: 1 | 2) => {
      const target = stream === 1 ? io.stdout : io.stderr;
      return typeof target === "function" ? target : (data: Uint8Array) => ctx.write(stream, data);
    };
    return ctx.services().sandboxExec(r.sandbox, { argv, env: r.env, cwd: r.cwd, stdinText: r.stdinText, step: planned.name }, { stdout: sink(1), stderr: sink(2) }, ctx.cancellation);
  }
  const { runProcess } = await runProcessModule();
  const { limitStep } = await processLimitModule();
  // A process budget of its own: a fork bomb in the step exhausts the step, not muster.
  const limit = limitStep(r.argv);
  try {
    const outcome = await runProcess(limit.argv, {
      cwd: r.cwd,
      env: await (await identityModule()).processEnv(planned.step, r.env, ctx.run, ctx.cancellation, ctx.identities),
      stdout: io.stdout,
      stderr: io.stderr,
      stdin: r.stdinText === undefined ? io.stdin : { text: r.stdinText },
      terminal: io.terminal,
      onSpawn: io.onSpawn,
      graceMs: ctx.graceMs,
      cancellation: ctx.cancellation,
    });
    return { code: outcome.code, canceled: outcome.canceled };
  } finally {
    limit.release();
  }
}

/** The common fields of a built step with `runFields`. */
export function runFieldsOf(fields: FieldsOf<typeof runFields>): Pick<RunFieldsStep, "stack" | "env" | "workingDirectory"> {
  return { stack: fields.stack, env: fields.env, workingDirectory: fields.working_directory };
}

/**
 * A step's `container:` (shell, script), checked against `stepContainer`
 * but kept as written: the plan renders its templates and checks it again.
 * `null` when it is invalid (reported through `ctx`).
 */
export function containerOf(value: unknown, ctx: BuildContext): Pick<RunFieldsStep, "container"> | null {
  if (value === undefined) return {};
  if (ctx.check(stepContainer, value, ["container"]) === undefined) return null;
  return { container: value === false ? false : isMap(value) ? value : undefined };
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The templates of the common fields (`stack` is rendered by the planner, which knows the precedence). */
export function runFieldTemplates(step: RunFieldsStep): TemplateField[] {
  const fields: TemplateField[] = Object.entries(step.env).map(([key, text]) => ({ field: `env.${key}`, path: ["env", key], text }));
  if (step.workingDirectory !== undefined) fields.push({ field: "working_directory", path: ["working_directory"], text: step.workingDirectory });
  return fields;
}

/**
 * Resolves environment and working directory. The environment is, in
 * Atmos' order: the workflow's (and groups') `env`, then what exported
 * `type: env` steps set, then the step's own `env`.
 */
export function planRunFields(step: RunFieldsStep, scope: PlanScope): { env: Record<string, string>; cwd: string } {
  const env: Record<string, string> = {};
  for (const [key, text] of Object.entries(scope.inherited.env)) env[key] = scope.render({ field: `env.${key}`, path: [], text });
  Object.assign(env, scope.exported);
  for (const field of runFieldTemplates(step)) if (field.field.startsWith("env.")) env[field.field.slice(4)] = scope.render(field);
  const own = step.workingDirectory !== undefined ? scope.render({ field: "working_directory", path: ["working_directory"], text: step.workingDirectory }) : undefined;
  return { env, cwd: stepDirectory(scope, own) };
}

/**
 * The directory a step's processes run in and its relative paths start
 * from: its own `working_directory` (`own`, already rendered), else the one
 * handed down (rendered here), else the project's base path.
 */
export function stepDirectory(scope: PlanScope, own: string | undefined): string {
  const inherited = scope.inherited.workingDirectory;
  const dir = own ?? (inherited !== undefined ? scope.render({ field: "working_directory", path: [], text: inherited }) : undefined);
  const base = scope.run.baseDir;
  return dir === undefined ? base : isAbsolute(dir) ? dir : join(base, dir);
}

/** The dialect of the host's shell (`sh -c`, `cmd /C` on Windows). */
export function hostShellDialect(): Dialect {
  return platform.os === "windows" ? "cmd" : "posix";
}

/** The templates of a step whose `command` runs with the shell (`shell`, `exec`, `spin`). */
export function shellCommandTemplates(step: RunFieldsStep & { command: string }): TemplateField[] {
  return [{ field: "command", path: ["command"], text: step.command, quoteStyle: "shell", code: hostShellDialect() }, ...runFieldTemplates(step)];
}

/**
 * Plans a step whose `command` runs with the shell: environment and
 * directory, then the command, which sees its own step's environment in
 * `.env` (as in Atmos), for that field only.
 */
export function planShellCommand(step: RunFieldsStep & { command: string; terminal?: TerminalSettings }, scope: PlanScope): ProcessPlan {
  const { env, cwd } = planRunFields(step, scope);
  const sandbox = step.type === "shell" ? planSandbox(step, scope, cwd) : undefined;
  const code = sandbox ? dialectOf(sandbox.settings.shell) : dialectOf(scope.run.shell[0] ?? "sh");
  const rendered = scope.renderCode({ field: "command", path: ["command"], text: step.command, quoteStyle: "shell", code }, env);
  const command = rendered.text;
  const terminal = step.terminal;
  return { stack: scope.stack, command, display: rendered.display, argv: [...scope.run.shell, command], cwd, env: { ...env, ...rendered.env }, sandbox, ...(terminal ? { terminal } : {}) };
}

/** Why a `tty` / `interactive` step cannot run where it is planned to: in a container sandbox, which has no terminal of muster's to attach. */
function sandboxRefusal(planned: PlannedStep<StepBase, ProcessPlan>, ctx: StepContext, terminal: TerminalSettings): string | undefined {
  const sandbox = planned.resolved.sandbox;
  if (!sandbox || !(sandbox.own || ctx.path.length === 1)) return undefined;
  const key = terminal.tty ? "tty" : "interactive";
  return `"${key}: true" attaches muster's terminal to a host process, and this step runs in a container (expected container: false on the step, or a type: container step with ${key}: true)`;
}

/**
 * What a process step stores from its kept output: the stdout as its value
 * (trimmed for shell and atmos, as is for spin and script), with `stdout`,
 * `stderr` and `exit_code`; a warning when the result limit cut a stream.
 */
export async function capturedValue(capture: ResultCapture, ctx: StepContext, name: string, options: { trim: boolean }): Promise<StepValue> {
  const stdout = capture.text(1);
  const stderr = capture.text(2);
  for (const stream of [1, 2] as const) {
    if (!capture.truncated(stream)) continue;
    const what = stream === 1 ? "stdout" : "stderr";
    await ctx.emit({ type: "message", level: "warn", text: `step "${name}": its ${what} (${capture.total(stream)} bytes) outgrew the result limit; .steps.${name}.${what} keeps the last ${capture.limit} bytes (MUSTER_RESULT_LIMIT sets the limit)` });
  }
  return { value: options.trim ? stdout.trim() : stdout, values: [], metadata: { stdout, stderr, exit_code: 0 } };
}

/** The plan view shared by process steps. */
export function processView(planned: PlannedStep<StepBase, ProcessPlan>) {
  const r = planned.resolved;
  return { stack: r.stack, command: r.command, ...(r.display !== undefined && r.display !== r.command ? { display: r.display } : {}), argv: r.argv, cwd: r.cwd, env: r.env, ...(r.terminal ? { terminal: r.terminal } : {}) };
}

/**
 * `$ command` for a start line: only the first line of a multi-line command.
 *
 * @example
 * ```ts
 * commandLine("set -e\nmake\nmake test"); // "$ set -e … (2 more lines)"
 * ```
 */
export function commandLine(text: string): string {
  const lines = text.split("\n");
  return lines.length > 1 ? `$ ${lines[0]} … (${lines.length - 1} more line${lines.length > 2 ? "s" : ""})` : `$ ${text}`;
}

/** The describe/dry-run text of a process step. */
export function processViewText(planned: PlannedStep<StepBase, ProcessPlan>): { head: string; lines: string[] } {
  const r = planned.resolved;
  const lines: string[] = [];
  if (planned.needs.length > 0) lines.push(`needs: ${planned.needs.join(", ")}`);
  lines.push(`$ ${r.argv.map(shellQuote).join(" ")}`);
  if (r.terminal) lines.push(`attached to the terminal: ${terminalLabel(r.terminal)}`);
  // The values a command refers to: what the program will see, exactly.
  for (const [key, value] of Object.entries(r.env)) if (key.startsWith(DATA_VARIABLE_PREFIX)) lines.push(`${key}=${shellQuote(value)}`);
  return { head: `${planned.step.type}${r.stack ? `, stack ${r.stack}` : ""}`, lines };
}

/** The metadata keys a process step stores (`.steps.NAME.stdout`). */
export const PROCESS_RESULT_KEYS = ["stdout", "stderr", "exit_code"] as const;

/**
 * Runs a planned process step once. When a later template reads its result
 * (`ctx.capture`), its output is kept as it streams: `value` is the trimmed
 * stdout; `stdout`, `stderr` and `exit_code` go to the metadata.
 */
export async function runPlannedProcess(planned: PlannedStep<StepBase, ProcessPlan>, ctx: StepContext): Promise<StepOutcome> {
  if (planned.resolved.terminal) return runAttached(planned, ctx, planned.resolved.terminal);
  // A fresh capture per attempt (the engine's): a retried step stores its last attempt's output.
  const capture = ctx.capture;
  try {
    const outcome = await runStepProcess(planned, ctx, { stdout: ctx.streams.stdout, stderr: ctx.streams.stderr, stdin: ctx.stdin });
    if (outcome.canceled) return { status: "canceled", exitCode: outcome.code };
    if (outcome.code !== EXIT_OK) return { status: "failed", exitCode: outcome.code };
    if (!capture) return { status: "succeeded", exitCode: EXIT_OK };
    return { status: "succeeded", exitCode: EXIT_OK, value: await capturedValue(capture, ctx, planned.name, { trim: true }) };
  } catch (error) {
    if (error instanceof SpawnError) {
      return { status: "failed", exitCode: error.code === "ENOENT" ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, error: error.message };
    }
    throw error;
  }
}

/**
 * Runs a `tty` / `interactive` process step (see `attached-process.ts`):
 * on a pseudo-terminal of its own with `tty`, with muster's stdin and
 * Ctrl-C with `interactive`. Its value is "" (nothing is captured).
 */
async function runAttached(planned: PlannedStep<StepBase, ProcessPlan>, ctx: StepContext, terminal: TerminalSettings): Promise<StepOutcome> {
  const refused = sandboxRefusal(planned, ctx, terminal) ?? (terminal.tty ? ptyRefusal() : undefined);
  if (refused) return { status: "failed", exitCode: EXIT_NO_PTY, error: refused };
  const stdin = terminal.interactive ? ctx.stdin : "null";
  let pid: number | undefined;
  // The step owns Ctrl-C: a SIGINT muster gets goes to its group, and the run goes on.
  const release = terminal.interactive ? ownInterrupts(() => pid !== undefined && platform.killGroup(pid, "SIGINT")) : () => {};
  const out = ctx.streams.stdout;
  try {
    const outcome = await runStepProcess(planned, ctx, {
      stdout: terminal.tty ? (out === "inherit" ? (data) => platform.write(1, data) : out) : out,
      stderr: ctx.streams.stderr,
      stdin: terminal.tty ? "null" : stdin,
      terminal: terminal.tty
        ? { size: hostTerminalSize() ?? DEFAULT_TERMINAL_SIZE, attach: (child) => attachTerminal(child, { forwardInput: stdin === "inherit" }) }
        : undefined,
      onSpawn: (spawned) => void (pid = spawned),
    });
    if (outcome.canceled) return { status: "canceled", exitCode: outcome.code };
    if (outcome.code !== EXIT_OK) return { status: "failed", exitCode: outcome.code };
    return { status: "succeeded", exitCode: EXIT_OK, ...(ctx.capture ? { value: ATTACHED_VALUE } : {}) };
  } catch (error) {
    if (error instanceof SpawnError) return { status: "failed", exitCode: error.code === "ENOENT" ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, error: error.message };
    throw error;
  } finally {
    release();
  }
}
