/**
 * ANSI colours that are only used where a human will see them: on a TTY,
 * unless `NO_COLOR` is set; `FORCE_COLOR` (not "0") forces them on.
 * @module
 */

/** A function that wraps text in one colour (or returns it unchanged). */
export type Paint = (text: string) => string;

/** The palette for one stream. */
export interface Colors {
  enabled: boolean;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  cyan: Paint;
  magenta: Paint;
  dim: Paint;
  bold: Paint;
  /** A stable colour per index, for telling concurrent prefixes apart. */
  rotating(index: number): Paint;
}

/**
 * Decides whether to colour a stream.
 *
 * @example
 * ```ts
 * shouldColor({ NO_COLOR: "1" }, true); // false
 * shouldColor({ FORCE_COLOR: "1" }, false); // true
 * ```
 */
export function shouldColor(env: Record<string, string | undefined>, isTerminal: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return isTerminal && env.TERM !== "dumb";
}

const code = (open: number, close: number, enabled: boolean): Paint =>
  enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;

/**
 * Builds a palette.
 *
 * @example
 * ```ts
 * createColors(false).red("x"); // "x"
 * ```
 */
export function createColors(enabled: boolean): Colors {
  const rotation = [36, 35, 33, 34, 32, 96, 95, 93, 94, 92].map((n) => code(n, 39, enabled));
  return {
    enabled,
    red: code(31, 39, enabled),
    green: code(32, 39, enabled),
    yellow: code(33, 39, enabled),
    blue: code(34, 39, enabled),
    cyan: code(36, 39, enabled),
    magenta: code(35, 39, enabled),
    dim: code(2, 22, enabled),
    bold: code(1, 22, enabled),
    rotating: (index) => rotation[index % rotation.length]!,
  };
}
