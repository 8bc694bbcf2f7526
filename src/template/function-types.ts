/**
 * What a template function is: an arity and an implementation that gets its
 * evaluated arguments and the call's context.
 * @module
 */
import { TemplateError } from "../errors.ts";
import { formatValue, goTypeName } from "./format.ts";

/** What a function call knows besides its arguments. */
export interface CallContext {
  /** The function's name, for messages. */
  name: string;
  /** Where the call is written in the template. */
  offset: number;
  /** The options of the render. */
  options: RenderOptions;
}

/** How a template is rendered. */
export interface RenderOptions {
  /**
   * `shell` (the default in `command` fields): `quote` and `squote` quote for
   * POSIX sh, so a value is always one literal word. `go`: Sprig's own
   * `quote` (`"..."`, Go-escaped) and `squote` (`'...'`).
   */
  quoteStyle?: "shell" | "go";
  /**
   * The roots whose values are written in the workflow file itself
   * (`workflow`, `step`, `matrix`). When set, every other root is data and
   * the render marks what it printed from data (`executeParts`); unset, the
   * render does not track it.
   */
  trusted?: ReadonlySet<string>;
  /** What Sprig's `env` reads (muster's own environment by default). */
  env?: Record<string, string | undefined>;
  /** The clock of `now` (tests fix it). */
  now?: () => Date;
}

/** A template function. */
export interface TemplateFunction {
  /** Fewest and most arguments (`Infinity` for variadic). */
  arity: [number, number];
  call(args: unknown[], ctx: CallContext): unknown;
}

/** Defines a function with a fixed or ranged arity. */
export function fn(arity: number | [number, number], call: TemplateFunction["call"]): TemplateFunction {
  return { arity: typeof arity === "number" ? [arity, arity] : arity, call };
}

/**
 * A value as a string argument: Go refuses maps and lists where a string is
 * expected; scalars are converted as Sprig's `toString` does.
 */
export function asString(value: unknown, ctx: CallContext, position = 1): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return formatValue(value);
  throw new TemplateError(`${ctx.name}: argument ${position} is ${goTypeName(value)} ${formatValue(value)} (expected a string)`, ctx.offset);
}

/** A value as an integer, as Sprig's `toInt64` does (strings parsed, 0 when not a number). */
export function asInt(value: unknown): number {
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const n = Number(value.trim());
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  }
  return 0;
}

/** A value as a float, as Sprig's `toFloat64` does. */
export function asFloat(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** A value as a list (Sprig accepts lists only; nil is an empty list). */
export function asList(value: unknown, ctx: CallContext, position = 1): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  throw new TemplateError(`${ctx.name}: argument ${position} is ${goTypeName(value)} ${formatValue(value)} (expected a list)`, ctx.offset);
}

/** A value as a map. */
export function asMap(value: unknown, ctx: CallContext, position = 1): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)) return value as Record<string, unknown>;
  throw new TemplateError(`${ctx.name}: argument ${position} is ${goTypeName(value)} ${formatValue(value)} (expected a map)`, ctx.offset);
}
