/**
 * muster's errors carry their exit code, as go-task's `TaskError` does:
 * `main` maps `instanceof MusterError` to `exitCode` and never matches names.
 * Messages state the value and the rule it broke.
 *
 * This module is tiny and dependency-free so that importing it never costs
 * start-up time.
 * @module
 */
import { EXIT_ENGINE, EXIT_FAILURE, EXIT_SIGINT, EXIT_SIGTERM, EXIT_USAGE } from "./exit-codes.ts";

/** A problem position in a workflow file. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** `<where>: <what is wrong> (<what was expected>)` */
  message: string;
}

/**
 * The base of every error muster reports on purpose.
 *
 * @example
 * ```ts
 * try { run(); } catch (e) { if (e instanceof MusterError) exit(e.exitCode); }
 * ```
 */
export class MusterError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command-line input (exit 2). */
export class UsageError extends MusterError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** A workflow file or project that cannot be found or loaded (exit 2). */
export class DiscoveryError extends MusterError {
  constructor(message: string, readonly diagnostics: Diagnostic[] = []) {
    super(message, EXIT_USAGE);
  }
}

/** A template that cannot be parsed or rendered (exit 2). */
export class TemplateError extends MusterError {
  /** Where in the template text the problem is (0-based), when known. */
  readonly offset?: number;
  constructor(message: string, offset?: number) {
    super(message, EXIT_USAGE);
    this.offset = offset;
  }
}

/**
 * A step that cannot be planned (a template refers to a missing key, a
 * command has unbalanced quotes): exit 2, positioned at the step.
 *
 * @example
 * ```ts
 * new PlanError("deploy", 'field "command": missing key ".vars.env"').message;
 * // 'step "deploy": field "command": missing key ".vars.env"'
 * ```
 */
export class PlanError extends MusterError {
  constructor(readonly step: string, message: string, readonly position?: Diagnostic) {
    super(`step "${step}": ${message}`, EXIT_USAGE);
  }
}

/** A step failed with a message and an exit code of its own choosing. */
export class StepFailure extends MusterError {}

/** The Docker engine failed or refused a request (exit 125). */
export class EngineError extends MusterError {
  constructor(message: string) {
    super(message, EXIT_ENGINE);
  }
}

/** The run was interrupted (130 for SIGINT, 143 for SIGTERM). */
export class InterruptError extends MusterError {
  constructor(readonly signal: "SIGINT" | "SIGTERM", message = signal === "SIGINT" ? "interrupted" : "terminated") {
    super(message, signal === "SIGINT" ? EXIT_SIGINT : EXIT_SIGTERM);
  }
}

/** The exit code an arbitrary thrown value maps to: its own, or 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof MusterError ? error.exitCode : EXIT_FAILURE;
}

/** A one-line message for an arbitrary thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
