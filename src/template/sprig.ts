/**
 * The Sprig functions workflow files use, with Sprig's argument order (the
 * piped value comes last: `{{ .x | replace "a" "b" }}`) and Sprig's
 * conversions. `quote`/`squote` quote for the shell in command fields
 * (see {@linkcode RenderOptions.quoteStyle}).
 * @module
 */
import { platform } from "../platform/index.ts";
import { TemplateError } from "../errors.ts";
import { shellQuote } from "../util/shell-words.ts";
import { formatValue, goQuote, goTypeName, isTrue } from "./format.ts";
import { asFloat, asInt, asList, asMap, asString, type CallContext, fn, type TemplateFunction } from "./function-types.ts";
import { formatGoTime } from "./go-time.ts";

/** Sprig's `empty`: Go's zero values. */
const isEmpty = (value: unknown) => !isTrue(value);

/** Sprig's `toString` (`strval`). */
const strval = (value: unknown): string => (value === null || value === undefined ? "" : formatValue(value));

/** A Go (RE2) regular expression in JavaScript: named groups are `(?P<name>...)` in Go. */
function regex(pattern: unknown, ctx: CallContext, flags = ""): RegExp {
  const text = asString(pattern, ctx).replace(/\(\?P</g, "(?<");
  try {
    return new RegExp(text, flags);
  } catch (error) {
    throw new TemplateError(`${ctx.name}: bad regular expression ${goQuote(text)}: ${(error as Error).message}`, ctx.offset);
  }
}

/** Go's `$1`/`${1}`/`${name}` in a replacement, in JavaScript's spelling. */
const replacement = (text: string) => text.replace(/\$\{(\d+)\}/g, "$$$1").replace(/\$\{(\w+)\}/g, "$$<$1>");

function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value === undefined ? null : value, (_, v) => (v instanceof Date ? v.toISOString() : v), indent);
}

function quoteWith(ctx: CallContext, args: unknown[], single: boolean): string {
  const words = args.filter((a) => a !== null && a !== undefined).map(strval);
  if ((ctx.options.quoteStyle ?? "go") === "shell") return words.map(shellQuote).join(" ");
  return words.map((w) => (single ? `'${w}'` : goQuote(w))).join(" ");
}

function dateOf(value: unknown, ctx: CallContext): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value * 1000);
  if (typeof value === "string") {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new TemplateError(`${ctx.name}: ${goTypeName(value)} ${formatValue(value)} is not a time (expected now, a Unix time or an RFC 3339 date)`, ctx.offset);
}

const words = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^A-Za-z0-9]+/).filter(Boolean);

/** The Sprig functions. */
export const SPRIG: Record<string, TemplateFunction> = {
  // Defaults and conditions
  default: fn(2, ([fallback, value]) => (isEmpty(value) ? fallback : value)),
  empty: fn(1, ([value]) => isEmpty(value)),
  coalesce: fn([0, Infinity], (args) => args.find((a) => !isEmpty(a)) ?? null),
  ternary: fn(3, ([whenTrue, whenFalse, cond]) => (isTrue(cond) ? whenTrue : whenFalse)),
  required: fn(2, ([message, value], ctx) => {
    if (value === null || value === undefined || value === "") throw new TemplateError(asString(message, ctx), ctx.offset);
    return value;
  }),
  fail: fn(1, ([message], ctx) => {
    throw new TemplateError(asString(message, ctx), ctx.offset);
  }),

  // Strings
  quote: fn([0, Infinity], (args, ctx) => quoteWith(ctx, args, false)),
  // muster's own: a value's whitespace-separated words. In a command each word is passed as data of its own
  // (the one way to have a value split into several arguments); elsewhere a list.
  words: fn(1, ([value]) => strval(value).split(/\s+/).filter(Boolean)),
  squote: fn([0, Infinity], (args, ctx) => quoteWith(ctx, args, true)),
  upper: fn(1, ([s], ctx) => asString(s, ctx).toUpperCase()),
  lower: fn(1, ([s], ctx) => asString(s, ctx).toLowerCase()),
  title: fn(1, ([s], ctx) => asString(s, ctx).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase())),
  untitle: fn(1, ([s], ctx) => asString(s, ctx).replace(/(^|\s)(\p{L})/gu, (_, sep: string, c: string) => sep + c.toLowerCase())),
  trim: fn(1, ([s], ctx) => asString(s, ctx).trim()),
  trimAll: fn(2, ([cut, s], ctx) => {
    const chars = [...asString(cut, ctx)];
    let text = asString(s, ctx, 2);
    while (text && chars.includes(text[0]!)) text = text.slice(1);
    while (text && chars.includes(text.at(-1)!)) text = text.slice(0, -1);
    return text;
  }),
  trimPrefix: fn(2, ([prefix, s], ctx) => {
    const p = asString(prefix, ctx);
    const text = asString(s, ctx, 2);
    return p && text.startsWith(p) ? text.slice(p.length) : text;
  }),
  trimSuffix: fn(2, ([suffix, s], ctx) => {
    const p = asString(suffix, ctx);
    const text = asString(s, ctx, 2);
    return p && text.endsWith(p) ? text.slice(0, -p.length) : text;
  }),
  replace: fn(3, ([from, to, s], ctx) => asString(s, ctx, 3).split(asString(from, ctx)).join(asString(to, ctx, 2))),
  repeat: fn(2, ([count, s], ctx) => asString(s, ctx, 2).repeat(Math.max(0, asInt(count)))),
  substr: fn(3, ([start, end, s], ctx) => {
    const text = asString(s, ctx, 3);
    const from = asInt(start);
    const to = asInt(end);
    return from < 0 ? text.slice(0, to < 0 ? undefined : to) : text.slice(from, to < 0 || to > text.length ? undefined : to);
  }),
  trunc: fn(2, ([count, s], ctx) => {
    const text = asString(s, ctx, 2);
    const n = asInt(count);
    return n >= 0 ? text.slice(0, n) : text.slice(Math.max(0, text.length + n));
  }),
  nospace: fn(1, ([s], ctx) => asString(s, ctx).replace(/\s+/g, "")),
  indent: fn(2, ([count, s], ctx) => {
    const pad = " ".repeat(Math.max(0, asInt(count)));
    return pad + asString(s, ctx, 2).replaceAll("\n", `\n${pad}`);
  }),
  nindent: fn(2, ([count, s], ctx) => {
    const pad = " ".repeat(Math.max(0, asInt(count)));
    return `\n${pad}${asString(s, ctx, 2).replaceAll("\n", `\n${pad}`)}`;
  }),
  contains: fn(2, ([needle, s], ctx) => asString(s, ctx, 2).includes(asString(needle, ctx))),
  hasPrefix: fn(2, ([prefix, s], ctx) => asString(s, ctx, 2).startsWith(asString(prefix, ctx))),
  hasSuffix: fn(2, ([suffix, s], ctx) => asString(s, ctx, 2).endsWith(asString(suffix, ctx))),
  cat: fn([0, Infinity], (args) => args.filter((a) => a !== null && a !== undefined).map(strval).join(" ")),
  snakecase: fn(1, ([s], ctx) => words(asString(s, ctx)).map((w) => w.toLowerCase()).join("_")),
  kebabcase: fn(1, ([s], ctx) => words(asString(s, ctx)).map((w) => w.toLowerCase()).join("-")),
  camelcase: fn(1, ([s], ctx) => words(asString(s, ctx)).map((w) => w[0]!.toUpperCase() + w.slice(1)).join("")),
  split: fn(2, ([sep, s], ctx) => Object.fromEntries(asString(s, ctx, 2).split(asString(sep, ctx)).map((part, i) => [`_${i}`, part]))),
  splitList: fn(2, ([sep, s], ctx) => asString(s, ctx, 2).split(asString(sep, ctx))),
  splitn: fn(3, ([sep, count, s], ctx) => {
    const parts = asString(s, ctx, 3).split(asString(sep, ctx));
    const n = asInt(count);
    const kept = n > 0 && parts.length > n ? [...parts.slice(0, n - 1), parts.slice(n - 1).join(asString(sep, ctx))] : parts;
    return Object.fromEntries(kept.map((part, i) => [`_${i}`, part]));
  }),
  join: fn(2, ([sep, list], ctx) => {
    const items = Array.isArray(list) ? list : typeof list === "string" ? [list] : asList(list, ctx, 2);
    return items.map(strval).join(asString(sep, ctx));
  }),
  toString: fn(1, ([value]) => strval(value)),
  toStrings: fn(1, ([list], ctx) => asList(list, ctx).map(strval)),
  atoi: fn(1, ([s], ctx) => {
    const n = Number.parseInt(asString(s, ctx), 10);
    return Number.isNaN(n) || !/^\s*[+-]?\d+\s*$/.test(asString(s, ctx)) ? 0 : n;
  }),
  int: fn(1, ([value]) => asInt(value)),
  int64: fn(1, ([value]) => asInt(value)),
  float64: fn(1, ([value]) => asFloat(value)),
  toDecimal: fn(1, ([value], ctx) => Number.parseInt(asString(value, ctx), 8) || 0),
  // Regular expressions
  regexMatch: fn(2, ([pattern, s], ctx) => regex(pattern, ctx).test(asString(s, ctx, 2))),
  regexFind: fn(2, ([pattern, s], ctx) => regex(pattern, ctx).exec(asString(s, ctx, 2))?.[0] ?? ""),
  regexFindAll: fn(3, ([pattern, s, count], ctx) => {
    const all = [...asString(s, ctx, 2).matchAll(regex(pattern, ctx, "g"))].map((m) => m[0]);
    const n = asInt(count);
    return n < 0 ? all : all.slice(0, n);
  }),
  regexReplaceAll: fn(3, ([pattern, s, repl], ctx) => asString(s, ctx, 2).replace(regex(pattern, ctx, "g"), replacement(asString(repl, ctx, 3)))),
  regexReplaceAllLiteral: fn(3, ([pattern, s, repl], ctx) => asString(s, ctx, 2).replace(regex(pattern, ctx, "g"), () => asString(repl, ctx, 3))),
  regexSplit: fn(3, ([pattern, s, count], ctx) => {
    const parts = asString(s, ctx, 2).split(regex(pattern, ctx));
    const n = asInt(count);
    return n < 0 ? parts : parts.slice(0, n);
  }),
  // Encodings and hashes
  b64enc: fn(1, ([s], ctx) => btoa(String.fromCharCode(...new TextEncoder().encode(asString(s, ctx))))),
  b64dec: fn(1, ([s], ctx) => {
    const text = asString(s, ctx);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return `illegal base64 data at input byte ${text.search(/[^A-Za-z0-9+/=]/) >= 0 ? text.search(/[^A-Za-z0-9+/=]/) : text.length}`;
    return new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
  }),
  sha1sum: fn(1, ([s], ctx) => platform.digest("sha1", asString(s, ctx))),
  sha256sum: fn(1, ([s], ctx) => platform.digest("sha256", asString(s, ctx))),
  toJson: fn(1, ([value]) => toJson(value)),
  toPrettyJson: fn(1, ([value]) => toJson(value, 2)),
  toRawJson: fn(1, ([value]) => toJson(value)),
  fromJson: fn(1, ([s], ctx) => {
    try {
      return JSON.parse(asString(s, ctx));
    } catch {
      return {};
    }
  }),
  mustFromJson: fn(1, ([s], ctx) => {
    try {
      return JSON.parse(asString(s, ctx));
    } catch (error) {
      throw new TemplateError(`mustFromJson: ${(error as Error).message}`, ctx.offset);
    }
  }),
  // Lists
  list: fn([0, Infinity], (args) => [...args]),
  first: fn(1, ([list], ctx) => asList(list, ctx)[0] ?? null),
  last: fn(1, ([list], ctx) => asList(list, ctx).at(-1) ?? null),
  rest: fn(1, ([list], ctx) => asList(list, ctx).slice(1)),
  initial: fn(1, ([list], ctx) => asList(list, ctx).slice(0, -1)),
  append: fn(2, ([list, value], ctx) => [...asList(list, ctx), value]),
  prepend: fn(2, ([list, value], ctx) => [value, ...asList(list, ctx)]),
  concat: fn([0, Infinity], (args, ctx) => args.flatMap((a, i) => asList(a, ctx, i + 1))),
  reverse: fn(1, ([list], ctx) => [...asList(list, ctx)].reverse()),
  uniq: fn(1, ([list], ctx) => {
    const out: unknown[] = [];
    for (const item of asList(list, ctx)) if (!out.some((o) => toJson(o) === toJson(item))) out.push(item);
    return out;
  }),
  compact: fn(1, ([list], ctx) => asList(list, ctx).filter((a) => !isEmpty(a))),
  has: fn(2, ([needle, list], ctx) => asList(list, ctx, 2).some((a) => toJson(a) === toJson(needle))),
  without: fn([1, Infinity], ([list, ...drop], ctx) => asList(list, ctx).filter((a) => !drop.some((d) => toJson(d) === toJson(a)))),
  sortAlpha: fn(1, ([list], ctx) => asList(list, ctx).map(strval).sort()),
  until: fn(1, ([count]) => Array.from({ length: Math.max(0, asInt(count)) }, (_, i) => i)),
  untilStep: fn(3, ([start, stop, step]) => {
    const out: number[] = [];
    const [a, b, s] = [asInt(start), asInt(stop), asInt(step)];
    if (s === 0) return out;
    for (let i = a; s > 0 ? i < b : i > b; i += s) out.push(i);
    return out;
  }),
  // Maps
  dict: fn([0, Infinity], (args, ctx) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 2) out[asString(args[i], ctx, i + 1)] = i + 1 < args.length ? args[i + 1] : "";
    return out;
  }),
  get: fn(2, ([map, key], ctx) => {
    const m = asMap(map, ctx);
    const k = asString(key, ctx, 2);
    return Object.hasOwn(m, k) ? m[k] : "";
  }),
  set: fn(3, ([map, key, value], ctx) => {
    const m = asMap(map, ctx);
    m[asString(key, ctx, 2)] = value;
    return m;
  }),
  unset: fn(2, ([map, key], ctx) => {
    const m = asMap(map, ctx);
    delete m[asString(key, ctx, 2)];
    return m;
  }),
  hasKey: fn(2, ([map, key], ctx) => Object.hasOwn(asMap(map, ctx), asString(key, ctx, 2))),
  keys: fn([1, Infinity], (maps, ctx) => maps.flatMap((m, i) => Object.keys(asMap(m, ctx, i + 1)))),
  values: fn(1, ([map], ctx) => Object.values(asMap(map, ctx))),
  pluck: fn([1, Infinity], ([key, ...maps], ctx) => maps.map((m, i) => asMap(m, ctx, i + 2)).filter((m) => Object.hasOwn(m, asString(key, ctx))).map((m) => m[asString(key, ctx)])),
  pick: fn([1, Infinity], ([map, ...keys], ctx) => {
    const m = asMap(map, ctx);
    return Object.fromEntries(keys.map((k) => asString(k, ctx)).filter((k) => Object.hasOwn(m, k)).map((k) => [k, m[k]]));
  }),
  omit: fn([1, Infinity], ([map, ...keys], ctx) => {
    const drop = new Set(keys.map((k) => asString(k, ctx)));
    return Object.fromEntries(Object.entries(asMap(map, ctx)).filter(([k]) => !drop.has(k)));
  }),
  merge: fn([1, Infinity], ([target, ...sources], ctx) => {
    const out = asMap(target, ctx);
    for (const [i, source] of sources.entries()) for (const [k, v] of Object.entries(asMap(source, ctx, i + 2))) if (!Object.hasOwn(out, k)) out[k] = v;
    return out;
  }),
  // Numbers
  add: fn([0, Infinity], (args) => args.reduce<number>((sum, a) => sum + asInt(a), 0)),
  add1: fn(1, ([a]) => asInt(a) + 1),
  sub: fn(2, ([a, b]) => asInt(a) - asInt(b)),
  mul: fn([1, Infinity], (args) => args.reduce<number>((p, a) => p * asInt(a), 1)),
  div: fn(2, ([a, b], ctx) => {
    if (asInt(b) === 0) throw new TemplateError("div: integer divide by zero", ctx.offset);
    return Math.trunc(asInt(a) / asInt(b));
  }),
  mod: fn(2, ([a, b], ctx) => {
    if (asInt(b) === 0) throw new TemplateError("mod: integer divide by zero", ctx.offset);
    return asInt(a) % asInt(b);
  }),
  max: fn([1, Infinity], (args) => Math.max(...args.map(asInt))),
  min: fn([1, Infinity], (args) => Math.min(...args.map(asInt))),
  floor: fn(1, ([a]) => Math.floor(asFloat(a))),
  ceil: fn(1, ([a]) => Math.ceil(asFloat(a))),
  round: fn([2, 3], ([a, places]) => {
    const p = 10 ** asInt(places);
    return Math.round(asFloat(a) * p) / p;
  }),
  // Paths
  base: fn(1, ([p], ctx) => {
    const text = asString(p, ctx).replace(/\/+$/, "");
    return text === "" ? (asString(p, ctx) ? "/" : ".") : text.slice(text.lastIndexOf("/") + 1);
  }),
  dir: fn(1, ([p], ctx) => {
    const text = asString(p, ctx);
    const i = text.lastIndexOf("/");
    return i < 0 ? "." : i === 0 ? "/" : text.slice(0, i);
  }),
  ext: fn(1, ([p], ctx) => {
    const name = asString(p, ctx).slice(asString(p, ctx).lastIndexOf("/") + 1);
    const i = name.lastIndexOf(".");
    return i < 0 ? "" : name.slice(i);
  }),
  // Environment, time and identity
  env: fn(1, ([name], ctx) => (ctx.options.env ?? {})[asString(name, ctx)] ?? ""),
  expandenv: fn(1, ([s], ctx) => asString(s, ctx).replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => (ctx.options.env ?? {})[a ?? b] ?? "")),
  now: fn(0, (_, ctx) => (ctx.options.now ?? (() => new Date()))()),
  date: fn(2, ([layout, when], ctx) => formatGoTime(dateOf(when, ctx), asString(layout, ctx))),
  dateInZone: fn(3, ([layout, when], ctx) => formatGoTime(dateOf(when, ctx), asString(layout, ctx))),
  unixEpoch: fn(1, ([when], ctx) => Math.floor(dateOf(when, ctx).getTime() / 1000)),
  uuidv4: fn(0, () => crypto.randomUUID()),
  typeOf: fn(1, ([value]) => goTypeName(value)),
  kindIs: fn(2, ([kind, value], ctx) => kindOf(value) === asString(kind, ctx)),
  kindOf: fn(1, ([value]) => kindOf(value)),
  deepEqual: fn(2, ([a, b]) => toJson(a) === toJson(b)),
};

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "invalid";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return "slice";
  if (value instanceof Date) return "struct";
  return "map";
}
