/**
 * Go-style durations (`500ms`, `5s`, `1m30s`), as Atmos writes them.
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go duration string into milliseconds, or returns `undefined` when
 * the text is not one. `"0"` is accepted, as in Go.
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * parseDuration("5 minutes"); // undefined
 * ```
 */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text.length === 0) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  }
  return total;
}

/**
 * Formats milliseconds for humans: `350ms`, `1.2s`, `2m05s`.
 *
 * @example
 * ```ts
 * formatDuration(1234); // "1.2s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** The phrase used in validation errors for a bad duration. */
export const DURATION_EXPECTED = 'a Go-style duration such as "500ms", "5s" or "1m30s"';
