/**
 * Every exit code muster makes up, in one place (the README's "Exit codes"
 * table lists the same). A step's own exit code passes through unchanged.
 * @module
 */

/** Everything succeeded. */
export const EXIT_OK = 0;
/** A generic failure (a step failed without an exit code of its own). */
export const EXIT_FAILURE = 1;
/** Usage errors, invalid workflow files, templates that cannot be resolved. */
export const EXIT_USAGE = 2;
/** A configuration muster must not trust: a state directory another user owns or can write, a symlink (EX_CONFIG of sysexits.h). */
export const EXIT_CONFIG = 78;
/** A run suspended at a prompt to wait for an answer (`MUSTER_SUSPEND_AT_PROMPTS`, under `muster serve`): EX_TEMPFAIL of sysexits.h. */
export const EXIT_WAITING = 75;
/** A step ran past its `timeout` (as coreutils' `timeout`). */
export const EXIT_TIMEOUT = 124;
/** The Docker engine failed (as `docker run`). */
export const EXIT_ENGINE = 125;
/** A command was found but could not be started. */
export const EXIT_CANNOT_EXECUTE = 126;
/** A command was not found. */
export const EXIT_NOT_FOUND = 127;
/** Stopped by SIGHUP (the terminal went away). */
export const EXIT_SIGHUP = 129;
/** Interrupted by SIGINT (Ctrl-C). */
export const EXIT_SIGINT = 130;
/** Stopped by SIGQUIT. */
export const EXIT_SIGQUIT = 131;
/** Terminated by SIGTERM. */
export const EXIT_SIGTERM = 143;

/** The exit code after muster was stopped by `signal`. */
export const exitCodeForStop = (signal: "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT"): number =>
  ({ SIGINT: EXIT_SIGINT, SIGTERM: EXIT_SIGTERM, SIGHUP: EXIT_SIGHUP, SIGQUIT: EXIT_SIGQUIT })[signal];
