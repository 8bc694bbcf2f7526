/**
 * How much of cel-spec's conformance suite muster's CEL evaluator
 * (@bufbuild/cel) passes: the "simple" tests shipped in @bufbuild/cel-spec
 * that need no protobuf messages, containers, bindings or extensions (the
 * core language), each expression evaluated and its value compared (or
 * that it raised an error when the suite expects one).
 *
 *   bun scripts/bench/cel-conformance.ts [N]   # N: print the first N failures
 *
 * Measured when the library was chosen (December 2026, the same harness): @bufbuild/cel 0.6.1
 * passed 1,100 of 1,113 (98.8%), @marcbachmann/cel-js 8.0.0 877 (78.8%), cel-js 0.8.2 311 (27.9%).
 */
import { isCelError, run } from "@bufbuild/cel";
import { tests } from "@bufbuild/cel-spec/testdata/conformance.js";

interface Suite {
  name: string;
  tests?: Array<{ original: Record<string, unknown> & { name: string; expr: string; value?: Record<string, unknown>; evalError?: unknown } }>;
  suites?: Suite[];
}

const canon = (v: unknown): string => {
  if (v === null) return "null";
  if (typeof v === "bigint") return `i${v}`;
  if (typeof v === "number") return Number.isNaN(v) ? "dNaN" : `d${v}`;
  if (typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return `b${btoa(String.fromCharCode(...v))}`;
  const o = v as { constructor?: { name: string }; value?: unknown; keys?: () => Iterable<unknown>; get?: (k: unknown) => unknown; size?: number; [Symbol.iterator]?: () => Iterator<unknown> };
  if (o && typeof o === "object" && o.constructor && /uint/i.test(o.constructor.name)) return `u${String(o.value ?? o)}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (o && typeof o.get === "function" && typeof o.keys === "function" && typeof o.size === "number") return `{${[...o.keys()].map((k) => `${canon(k)}:${canon(o.get!(k))}`).sort().join(",")}}`;
  if (o && typeof o[Symbol.iterator] === "function") return `[${[...(o as Iterable<unknown>)].map(canon).join(",")}]`;
  return `?${String(v)}`;
};

const expected = (v: Record<string, any>): string | undefined => {
  if ("int64Value" in v) return `i${BigInt(v.int64Value)}`;
  if ("uint64Value" in v) return `u${BigInt(v.uint64Value)}`;
  if ("doubleValue" in v) return v.doubleValue === "NaN" ? "dNaN" : `d${Number(v.doubleValue)}`;
  if ("stringValue" in v) return JSON.stringify(v.stringValue);
  if ("boolValue" in v) return JSON.stringify(v.boolValue);
  if ("nullValue" in v) return "null";
  if ("bytesValue" in v) return `b${v.bytesValue}`;
  if ("listValue" in v) {
    const items = (v.listValue.values ?? []).map(expected);
    return items.includes(undefined) ? undefined : `[${items.join(",")}]`;
  }
  if ("mapValue" in v) {
    const entries = (v.mapValue.entries ?? []).map((e: any) => [expected(e.key), expected(e.value)]);
    return entries.some(([a, b]: unknown[]) => a === undefined || b === undefined) ? undefined : `{${entries.map(([a, b]: string[]) => `${a}:${b}`).sort().join(",")}}`;
  }
  return undefined;
};

let pass = 0;
let skip = 0;
const failures: string[] = [];
const count = (s: Suite): number => (s.tests?.length ?? 0) + (s.suites ?? []).reduce((n, c) => n + count(c), 0);
const walk = (suite: Suite, path: string[]) => {
  for (const { original: o } of suite.tests ?? []) {
    const want = o.container || o.typeEnv || o.bindings || o.checkOnly || o.typedResult ? undefined : o.evalError ? "ERROR" : o.value ? expected(o.value) : undefined;
    if (want === undefined) {
      skip++;
      continue;
    }
    let got: string;
    try {
      const r = run(o.expr);
      got = isCelError(r) ? "ERROR" : canon(r);
    } catch {
      got = "ERROR";
    }
    const uintMatch = want.startsWith("u") && got.slice(1) === want.slice(1);
    if (got === want || uintMatch) pass++;
    else failures.push(`${[...path, o.name].join("/")}: ${o.expr}: expected ${want}, got ${got}`);
  }
  for (const child of suite.suites ?? []) {
    // Extensions (strings, math, bindings, block, optionals, two-variable comprehensions) are not the core language.
    if (path.length === 0 && /_ext$|^optionals$|^macros2$/.test(child.name)) skip += count(child);
    else walk(child, [...path, child.name]);
  }
};
walk(tests as Suite, []);
const total = pass + failures.length;
console.log(`@bufbuild/cel: ${pass} of ${total} core cel-spec conformance tests pass (${((pass / total) * 100).toFixed(1)}%); ${skip} need protobuf messages, bindings or extensions and were skipped`);
for (const f of failures.slice(0, Number(process.argv[2] ?? 0))) console.log(`  ${f}`);
