/**
 * How Go prints values: `fmt`'s `%v` (what `{{ .x }}` and `print` write),
 * `Sprint`'s spacing rule, `printf`'s verbs, and template truthiness. Values
 * are JavaScript's: strings, numbers, booleans, null, arrays, plain objects
 * (Go maps) and Dates (Go times).
 * @module
 */
import { TemplateError } from "../errors.ts";
import { formatGoTime } from "./go-time.ts";

/**
 * A value as Go's `%v` prints it: maps as `map[a:1 b:2]` (sorted keys),
 * lists as `[a b]`, nil as `<nil>`.
 *
 * @example
 * ```ts
 * formatValue({ b: 2, a: [1, "x"] }); // "map[a:[1 x] b:2]"
 * ```
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return formatGoTime(value, "2006-01-02 15:04:05.999999999 -0700 MST");
  if (value instanceof Uint8Array) return `[${[...value].join(" ")}]`;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(" ")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${formatValue((value as Record<string, unknown>)[k])}`).join(" ")}]`;
  }
  return String(value);
}

/** A number as Go prints an int or a float64 with `%v`. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  if (Object.is(n, -0)) return "-0";
  const text = String(n);
  // Go writes exponents with at least two digits and an explicit sign.
  return text.replace(/e([+-])(\d)$/, "e$10$2");
}

/**
 * Go's `fmt.Sprint`: spaces between operands when neither side is a string.
 *
 * @example
 * ```ts
 * sprint([1, 2, "a", 3]); // "1 2a3"
 * ```
 */
export function sprint(args: unknown[]): string {
  let out = "";
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(arg);
  });
  return out;
}

/**
 * Go's `fmt.Sprintf` for the verbs workflow files use: `%v %s %d %q %f %e
 * %g %x %X %o %b %t %c %T %%`, with flags `-+ 0#`, width and precision.
 *
 * @example
 * ```ts
 * sprintf("%-5s|%03d|%.2f", ["ab", 7, 3.14159]); // "ab   |007|3.14"
 * ```
 */
export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argIndex = 0;
  const re = /%([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+)?)?([a-zA-Z%])/g;
  let last = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(format))) {
    out += format.slice(last, match.index);
    last = re.lastIndex;
    const [, flags = "", widthText, precisionText, verb] = match;
    if (verb === "%") {
      out += "%";
      continue;
    }
    const width = widthText === "*" ? Number(args[argIndex++]) : widthText ? Number(widthText) : undefined;
    const precision = precisionText === "*" ? Number(args[argIndex++]) : precisionText !== undefined ? Number(precisionText) : match[0].includes(".") ? 0 : undefined;
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++];
    let text = formatVerb(verb!, arg, flags, precision);
    if (width !== undefined && text.length < width) {
      const pad = width - text.length;
      if (flags.includes("-")) text += " ".repeat(pad);
      else if (flags.includes("0") && /[dfeEgGxXob]/.test(verb!) && typeof arg === "number") {
        const sign = /^[+-]/.test(text) ? text[0]! : "";
        text = sign + "0".repeat(pad) + text.slice(sign.length);
      } else text = " ".repeat(pad) + text;
    }
    out += text;
  }
  out += format.slice(last);
  if (argIndex < args.length) out += `%!(EXTRA ${args.slice(argIndex).map((a) => `${goTypeName(a)}=${formatValue(a)}`).join(", ")})`;
  return out;
}

function formatVerb(verb: string, arg: unknown, flags: string, precision: number | undefined): string {
  const signed = (n: number, text: string) => (n >= 0 && flags.includes("+") ? "+" : n >= 0 && flags.includes(" ") ? " " : "") + text;
  switch (verb) {
    case "v":
      if (flags.includes("#") && typeof arg === "string") return JSON.stringify(arg);
      return typeof arg === "number" ? signed(arg, formatNumber(arg)) : formatValue(arg);
    case "s": {
      const text = formatValue(arg);
      return precision !== undefined ? [...text].slice(0, precision).join("") : text;
    }
    case "q":
      if (typeof arg === "number") return `'${String.fromCodePoint(arg)}'`;
      return flags.includes("#") && !String(arg).includes("`") ? `\`${formatValue(arg)}\`` : goQuote(formatValue(arg));
    case "d":
      if (typeof arg !== "number") return `%!d(${goTypeName(arg)}=${formatValue(arg)})`;
      return signed(arg, Math.trunc(arg).toString());
    case "f":
    case "F":
      if (typeof arg !== "number") return `%!f(${goTypeName(arg)}=${formatValue(arg)})`;
      return signed(arg, arg.toFixed(precision ?? 6));
    case "e":
    case "E": {
      if (typeof arg !== "number") return `%!e(${goTypeName(arg)}=${formatValue(arg)})`;
      const text = arg.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      return signed(arg, verb === "E" ? text.toUpperCase() : text);
    }
    case "g":
    case "G":
      if (typeof arg !== "number") return `%!g(${goTypeName(arg)}=${formatValue(arg)})`;
      return signed(arg, precision === undefined ? formatNumber(arg) : Number(arg.toPrecision(precision)).toString());
    case "x":
    case "X": {
      const text = typeof arg === "number"
        ? Math.trunc(arg).toString(16)
        : [...new TextEncoder().encode(formatValue(arg))].map((b) => b.toString(16).padStart(2, "0")).join("");
      return verb === "X" ? text.toUpperCase() : text;
    }
    case "o":
      return typeof arg === "number" ? Math.trunc(arg).toString(8) : `%!o(${goTypeName(arg)}=${formatValue(arg)})`;
    case "b":
      return typeof arg === "number" ? Math.trunc(arg).toString(2) : `%!b(${goTypeName(arg)}=${formatValue(arg)})`;
    case "t":
      return typeof arg === "boolean" ? String(arg) : `%!t(${goTypeName(arg)}=${formatValue(arg)})`;
    case "c":
      return typeof arg === "number" ? String.fromCodePoint(arg) : `%!c(${goTypeName(arg)}=${formatValue(arg)})`;
    case "T":
      return goTypeName(arg);
    default:
      return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
  }
}

/** The Go type a value stands for, as `%T` and error messages name it. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Date) return "time.Time";
  if (Array.isArray(value)) return "[]interface {}";
  if (typeof value === "object") return "map[string]interface {}";
  return typeof value;
}

/** `strconv.Quote`: a double-quoted Go string literal. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * Go template truth: false, 0, nil and empty strings, lists and maps are false.
 *
 * @example
 * ```ts
 * isTrue([]); // false
 * ```
 */
export function isTrue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Date) return true;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** Go's `len`. */
export function lengthOf(value: unknown, offset?: number): number {
  if (typeof value === "string") return new TextEncoder().encode(value).length;
  if (Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) return Object.keys(value).length;
  throw new TemplateError(`len of type ${goTypeName(value)}`, offset);
}
