/**
 * A serve setting that is wrong: config and run limits both raise it.
 * @module
 */
/** Raised for an invalid configuration; the message names the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}
