/**
 * The exit codes muster uses, in one place (also documented in the README).
 * @module
 */

/** Everything succeeded. */
export const EXIT_OK = 0;
/** Usage errors and invalid workflow files. */
export const EXIT_USAGE = 2;
// A step's own exit code passes through; the engine defines the ones it makes up:
// 124 for a timeout (engine/run-process.ts), 127 for a missing command
// (engine/run-step.ts), 125 for Docker engine failures (engine/services.ts).
/** Interrupted by SIGINT (Ctrl-C). */
export const EXIT_SIGINT = 130;
/** Interrupted by SIGTERM. */
export const EXIT_SIGTERM = 143;

/** Raised for bad command-line input; main prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
