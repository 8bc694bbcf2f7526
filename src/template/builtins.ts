/**
 * Go text/template's predefined functions: `and or not len index slice
 * print printf println eq ne lt le gt ge html js urlquery`. (`and` and `or`
 * short-circuit: the executor evaluates their arguments one by one.)
 * @module
 */
import { TemplateError } from "../errors.ts";
import { formatValue, goTypeName, isTrue, lengthOf, sprint, sprintf } from "./format.ts";
import { type CallContext, fn, type TemplateFunction } from "./function-types.ts";

type Kind = "number" | "string" | "bool" | "nil";

function basicKind(value: unknown, ctx: CallContext): Kind {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  throw new TemplateError(`${ctx.name}: non-comparable type ${goTypeName(value)} ${formatValue(value)}`, ctx.offset);
}

function equal(a: unknown, b: unknown, ctx: CallContext): boolean {
  const ka = basicKind(a, ctx);
  const kb = basicKind(b, ctx);
  if (ka === "nil" || kb === "nil") return ka === kb;
  if (ka !== kb) throw new TemplateError(`${ctx.name}: incompatible types for comparison: ${goTypeName(a)} ${formatValue(a)} and ${goTypeName(b)} ${formatValue(b)}`, ctx.offset);
  return a === b;
}

function compare(a: unknown, b: unknown, ctx: CallContext): number {
  const ka = basicKind(a, ctx);
  const kb = basicKind(b, ctx);
  if (ka !== kb || ka === "bool" || ka === "nil") {
    throw new TemplateError(`${ctx.name}: incompatible types for comparison: ${goTypeName(a)} ${formatValue(a)} and ${goTypeName(b)} ${formatValue(b)}`, ctx.offset);
  }
  return (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
}

/** Go's `index`: `index x 1 "k"` is x[1]["k"]; a missing map key gives nil. */
function index(args: unknown[], ctx: CallContext): unknown {
  let value = args[0];
  for (const key of args.slice(1)) {
    if (Array.isArray(value) || typeof value === "string") {
      const i = asIndex(key, ctx);
      if (i < 0 || i >= value.length) throw new TemplateError(`index: index out of range: ${i}`, ctx.offset);
      value = typeof value === "string" ? value.charCodeAt(i) : value[i];
    } else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      if (typeof key !== "string") throw new TemplateError(`index: value has type ${goTypeName(key)}; should be string`, ctx.offset);
      value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    } else if (value === null || value === undefined) {
      throw new TemplateError(`index: index of untyped nil (looking up ${formatValue(key)})`, ctx.offset);
    } else {
      throw new TemplateError(`index: can't index item of type ${goTypeName(value)}`, ctx.offset);
    }
  }
  return value;
}

function asIndex(key: unknown, ctx: CallContext): number {
  if (typeof key !== "number" || !Number.isInteger(key)) throw new TemplateError(`${ctx.name}: cannot index slice/array with type ${goTypeName(key)}`, ctx.offset);
  return key;
}

/** The predefined functions. */
export const BUILTINS: Record<string, TemplateFunction> = {
  and: fn([1, Infinity], (args) => args.find((a) => !isTrue(a)) ?? args.at(-1)),
  or: fn([1, Infinity], (args) => args.find((a) => isTrue(a)) ?? args.at(-1)),
  not: fn(1, ([a]) => !isTrue(a)),
  len: fn(1, ([a], ctx) => lengthOf(a, ctx.offset)),
  index: fn([1, Infinity], index),
  slice: fn([1, 4], ([value, ...indexes], ctx) => {
    if (typeof value !== "string" && !Array.isArray(value)) throw new TemplateError(`slice: can't slice item of type ${goTypeName(value)}`, ctx.offset);
    const [from = 0, to = value.length] = indexes.map((i) => asIndex(i, ctx));
    if (from < 0 || to > value.length || from > to) throw new TemplateError(`slice: index out of range: [${from}:${to}] with length ${value.length}`, ctx.offset);
    return value.slice(from, to);
  }),
  print: fn([0, Infinity], (args) => sprint(args)),
  printf: fn([1, Infinity], ([format, ...args], ctx) => {
    if (typeof format !== "string") throw new TemplateError(`printf: the format is ${goTypeName(format)} (expected a string)`, ctx.offset);
    return sprintf(format, args);
  }),
  println: fn([0, Infinity], (args) => args.map(formatValue).join(" ") + "\n"),
  eq: fn([2, Infinity], ([a, ...rest], ctx) => rest.some((b) => equal(a, b, ctx))),
  ne: fn(2, ([a, b], ctx) => !equal(a, b, ctx)),
  lt: fn(2, ([a, b], ctx) => compare(a, b, ctx) < 0),
  le: fn(2, ([a, b], ctx) => compare(a, b, ctx) <= 0),
  gt: fn(2, ([a, b], ctx) => compare(a, b, ctx) > 0),
  ge: fn(2, ([a, b], ctx) => compare(a, b, ctx) >= 0),
  html: fn([0, Infinity], (args) =>
    sprint(args).replace(/[&'<>"\0]/g, (c) => ({ "&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "\0": "\uFFFD" })[c]!)),
  js: fn([0, Infinity], (args) =>
    sprint(args).replace(/[\\'"<>&=\n\r\t]/g, (c) => (c === "\\" || c === "'" || c === '"' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`))),
  urlquery: fn([0, Infinity], (args) => encodeURIComponent(sprint(args)).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)),
};
