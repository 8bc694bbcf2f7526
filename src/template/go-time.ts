/**
 * Go's time layouts (`2006-01-02T15:04:05Z07:00`), for Sprig's `date` and
 * for printing a time. Times are formatted in UTC unless a layout asks for
 * the zone, which then prints as `UTC`/`+0000`: a run's times are UTC.
 * @module
 */

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// Longest tokens first, as Go's layout parser matches them.
const TOKENS = [
  "January", "Monday", "2006", "Jan", "Mon", "MST", "Z07:00:00", "-07:00:00", "Z07:00", "-07:00", "Z0700", "-0700", "Z07", "-07",
  ".000000000", ".999999999", ".000000", ".999999", ".000", ".999", "002", "__2", "01", "02", "03", "04", "05", "06", "15", "_2", "1", "2", "3", "4", "5", "PM", "pm",
];

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * Formats `date` (in UTC) with a Go layout.
 *
 * @example
 * ```ts
 * formatGoTime(new Date(Date.UTC(2026, 10, 23, 5, 4, 3)), "2006-01-02 15:04:05"); // "2026-11-23 05:04:03"
 * ```
 */
export function formatGoTime(date: Date, layout: string): string {
  let out = "";
  let i = 0;
  const ms = date.getUTCMilliseconds();
  outer: while (i < layout.length) {
    for (const token of TOKENS) {
      if (!layout.startsWith(token, i)) continue;
      // "1" and "2" and friends only count as tokens in Go when they are not part of a longer number.
      out += piece(token, date, ms);
      i += token.length;
      continue outer;
    }
    out += layout[i++];
  }
  return out;
}

function piece(token: string, d: Date, ms: number): string {
  const hour = d.getUTCHours();
  switch (token) {
    case "January":
      return MONTHS[d.getUTCMonth()]!;
    case "Jan":
      return MONTHS[d.getUTCMonth()]!.slice(0, 3);
    case "Monday":
      return DAYS[d.getUTCDay()]!;
    case "Mon":
      return DAYS[d.getUTCDay()]!.slice(0, 3);
    case "2006":
      return String(d.getUTCFullYear());
    case "06":
      return pad(d.getUTCFullYear() % 100);
    case "01":
      return pad(d.getUTCMonth() + 1);
    case "1":
      return String(d.getUTCMonth() + 1);
    case "02":
      return pad(d.getUTCDate());
    case "_2":
      return String(d.getUTCDate()).padStart(2, " ");
    case "2":
      return String(d.getUTCDate());
    case "002": {
      const start = Date.UTC(d.getUTCFullYear(), 0, 1);
      return pad(Math.floor((d.getTime() - start) / 86400000) + 1, 3);
    }
    case "__2": {
      const start = Date.UTC(d.getUTCFullYear(), 0, 1);
      return String(Math.floor((d.getTime() - start) / 86400000) + 1).padStart(3, " ");
    }
    case "15":
      return pad(hour);
    case "03":
      return pad(hour % 12 || 12);
    case "3":
      return String(hour % 12 || 12);
    case "04":
      return pad(d.getUTCMinutes());
    case "4":
      return String(d.getUTCMinutes());
    case "05":
      return pad(d.getUTCSeconds());
    case "5":
      return String(d.getUTCSeconds());
    case "PM":
      return hour >= 12 ? "PM" : "AM";
    case "pm":
      return hour >= 12 ? "pm" : "am";
    case "MST":
      return "UTC";
    case "Z07:00:00":
    case "Z07:00":
    case "Z0700":
    case "Z07":
      return "Z";
    case "-07:00:00":
      return "+00:00:00";
    case "-07:00":
      return "+00:00";
    case "-0700":
      return "+0000";
    case "-07":
      return "+00";
    default: {
      // Fractional seconds: .000 keeps zeros, .999 drops trailing zeros.
      const digits = token.length - 1;
      const fraction = pad(ms, 3).padEnd(9, "0").slice(0, digits);
      return token[1] === "9" ? (fraction.replace(/0+$/, "") ? `.${fraction.replace(/0+$/, "")}` : "") : `.${fraction}`;
    }
  }
}
