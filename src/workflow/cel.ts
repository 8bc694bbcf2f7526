/**
 * CEL in `when:` and `continue:`, on @bufbuild/cel (which passes 98.8% of
 * cel-spec's core conformance suite; see the README's "CEL conditions").
 * This module is imported only when a file has a CEL condition
 * (`loadCel()` in condition.ts), so files without one never load the
 * library.
 *
 * The variables are Atmos' (pkg/condition/cel.go), with its types, plus
 * muster's `steps`. @bufbuild/cel type-checks nothing before evaluation, so
 * what cel-go's checker refuses when Atmos compiles a condition is checked
 * here on the parsed expression: undeclared variables and functions, `==`
 * between values of different primitive types, and a result that is not a
 * bool. Where a type is only known at run time (`dyn`: `steps`, `answers`,
 * `sources`) the check passes and the run decides.
 * @module
 */
import { celEnv, CelScalar, type CelType, isCelError, listType, mapType, parse, plan } from "@bufbuild/cel";

type Expr = ReturnType<typeof parse>["expr"];

/** Atmos' condition variables and their CEL types (pkg/condition/cel.go), and muster's `steps`. */
const VARIABLES = {
  ci: CelScalar.BOOL,
  status: CelScalar.STRING,
  stack: CelScalar.STRING,
  component: CelScalar.STRING,
  workflow: CelScalar.STRING,
  step: CelScalar.STRING,
  hook: CelScalar.STRING,
  event: CelScalar.STRING,
  env: mapType(CelScalar.STRING, CelScalar.STRING),
  answers: mapType(CelScalar.STRING, CelScalar.DYN),
  os: CelScalar.STRING,
  arch: CelScalar.STRING,
  platform: CelScalar.STRING,
  checksum: mapType(CelScalar.STRING, CelScalar.BOOL),
  timestamp: mapType(CelScalar.STRING, CelScalar.BOOL),
  preconditions: mapType(CelScalar.STRING, CelScalar.BOOL),
  sources: listType(mapType(CelScalar.STRING, CelScalar.DYN)),
  artifacts: listType(mapType(CelScalar.STRING, CelScalar.DYN)),
  matrix: mapType(CelScalar.STRING, CelScalar.STRING),
  steps: mapType(CelScalar.STRING, CelScalar.DYN),
} as const;

/** The variables a workflow step leaves empty, as in Atmos (they are for hooks, scaffolds, custom commands). */
const EMPTY = { component: "", hook: "", event: "", answers: {}, matrix: {} };

/** A file's facts in `sources`/`artifacts` (Atmos' FileFact). */
export interface CelFileFact {
  path: string;
  mtime: number;
  checksum: string;
}

/** The values of the variables, as plain data (maps as records). */
export interface CelVariables {
  ci: boolean;
  status: string;
  stack: string;
  workflow: string;
  step: string;
  env: Record<string, string>;
  os: string;
  arch: string;
  platform: string;
  checksum: { changed: boolean };
  timestamp: { changed: boolean };
  preconditions: { success: boolean };
  sources: CelFileFact[];
  artifacts: CelFileFact[];
  /** muster's: the results of the steps that succeeded so far (`.steps` of templates). */
  steps: Record<string, unknown>;
}

/** A read of `steps.NAME` (`.KEY`, `.SUB`): `offsets` are where each name of `path` starts in the expression. */
export interface CelStepRead {
  path: string[];
  offsets: number[];
}

/** A compiled condition. */
export interface CompiledCel {
  /** Whether it holds, or why it could not be evaluated (a missing key, a bad regex). */
  evaluate(variables: CelVariables): { value: boolean } | { error: string };
  /** Its reads of `steps.NAME`, for the static check; `whole` when it reads `steps` other than by a constant name. */
  stepReads: CelStepRead[];
  readsWholeSteps: boolean;
}

/** Why an expression does not compile, at `offset` of it. */
export interface CelCompileProblem {
  problem: string;
  offset: number;
}

let environment: ReturnType<typeof celEnv> | undefined;
const env = () => (environment ??= celEnv({ variables: VARIABLES }));

/** A static type: a CEL type name (`bool`, `string`, `map`...), or `dyn` when only the run knows. */
type StaticType = string;

const typeName = (type: CelType): StaticType => {
  const name = String(type);
  if (name.startsWith("map")) return "map";
  if (name.startsWith("list")) return "list";
  return name === "dyn" ? "dyn" : name;
};

/** Functions whose result type does not depend on their arguments. */
const RESULT_TYPES: Record<string, StaticType> = {
  "_==_": "bool", "_!=_": "bool", "_<_": "bool", "_<=_": "bool", "_>_": "bool", "_>=_": "bool", "@in": "bool",
  "_&&_": "bool", "_||_": "bool", "!_": "bool", "@not_strictly_false": "bool",
  startsWith: "bool", endsWith: "bool", contains: "bool", matches: "bool",
  size: "int", int: "int", uint: "uint", double: "double", string: "string", bool: "bool", bytes: "bytes",
  timestamp: "google.protobuf.Timestamp", duration: "google.protobuf.Duration",
};

const PRIMITIVES = new Set(["bool", "string", "bytes", "null_type"]);
const NUMBERS = new Set(["int", "uint", "double"]);

/**
 * Compiles `expr` as Atmos does (a syntax error, an undeclared name, a
 * type mismatch or a non-bool result is refused), or says why not.
 *
 * @example
 * ```ts
 * const c = compileCel(`stack == "prod" && ci`);
 * if ("evaluate" in c) c.evaluate(vars); // { value: true }
 * ```
 */
export function compileCel(expr: string): CompiledCel | CelCompileProblem {
  // Atmos renders no template in a condition either; the answer is CEL's own reads.
  const template = expr.indexOf("{{");
  if (template >= 0) return { problem: `a condition is not a template (expected CEL, e.g. steps.approve.value == "yes" for a step's result, env.NAME for the workflow's env)`, offset: template };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expr);
  } catch (error) {
    const e = error as { rawMessage?: string; message?: string; location?: { start?: { offset?: number } } };
    return { problem: `syntax error: ${e.rawMessage ?? e.message ?? String(error)}`, offset: e.location?.start?.offset ?? 0 };
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const at = (e: Expr) => positions[String(e.id)] ?? 0;
  const stepReads: CelStepRead[] = [];
  let readsWholeSteps = false;
  let problem: CelCompileProblem | undefined;
  const refuse = (e: Expr, text: string) => {
    // An operator is positioned at the blank before it: the column names the operator itself.
    let offset = at(e);
    while (expr[offset] === " ") offset++;
    problem ??= { problem: text, offset };
    return "dyn";
  };

  /** The `steps.NAME.KEY.SUB` chain `e` reads, if it is one (innermost first), else undefined. */
  const stepsChain = (e: Expr, bound: ReadonlyMap<string, StaticType>): CelStepRead | undefined => {
    const path: string[] = [];
    const offsets: number[] = [];
    let node: Expr | undefined = e;
    while (node) {
      const k: Expr["exprKind"] = node.exprKind;
      if (k.case === "selectExpr") {
        path.unshift(k.value.field);
        // A select is positioned at its dot; has(x.f) at "has".
        offsets.unshift(k.value.testOnly ? Math.max(0, expr.indexOf(k.value.field, at(node))) : at(node) + 1);
        node = k.value.operand;
      } else if (k.case === "callExpr" && k.value.function === "_[_]" && k.value.args.length === 2) {
        const key = k.value.args[1]!.exprKind;
        if (key.case !== "constExpr" || key.value.constantKind.case !== "stringValue") return undefined;
        path.unshift(key.value.constantKind.value);
        offsets.unshift(at(k.value.args[1]!) + 1);
        node = k.value.args[0];
      } else if (k.case === "identExpr") {
        return k.value.name === "steps" && !bound.has("steps") ? { path, offsets } : undefined;
      } else {
        return undefined;
      }
    }
    return undefined;
  };

  /** The static type of `e`, refusing what cel-go's checker refuses. */
  const infer = (e: Expr, bound: ReadonlyMap<string, StaticType>): StaticType => {
    const k: Expr["exprKind"] = e.exprKind;
    switch (k.case) {
      case "constExpr": {
        const c = k.value.constantKind.case;
        return c === "boolValue" ? "bool" : c === "stringValue" ? "string" : c === "int64Value" ? "int" : c === "uint64Value" ? "uint" : c === "doubleValue" ? "double" : c === "bytesValue" ? "bytes" : c === "nullValue" ? "null_type" : "dyn";
      }
      case "identExpr": {
        const name = k.value.name;
        if (bound.has(name)) return bound.get(name)!;
        const declared = (VARIABLES as Record<string, CelType>)[name];
        if (!declared) return refuse(e, `undeclared reference to '${name}' (expected one of: ${Object.keys(VARIABLES).join(", ")})`);
        if (name === "steps") readsWholeSteps = true;
        return typeName(declared);
      }
      case "selectExpr": {
        const chain = stepsChain(e, bound);
        if (chain && chain.path.length > 0) {
          stepReads.push(chain);
          return k.value.testOnly ? "bool" : "dyn";
        }
        const operand = infer(k.value.operand!, bound);
        if (k.value.testOnly) return "bool";
        const root = k.value.operand!.exprKind;
        // A map's value type, for the declared variables (`env.X` is a string, `checksum.changed` a bool).
        if (root.case === "identExpr" && !bound.has(root.value.name)) {
          const declared = String((VARIABLES as Record<string, CelType>)[root.value.name] ?? "");
          const value = /^map\(string, (\w+)\)$/.exec(declared)?.[1];
          if (value) return value;
        }
        return operand === "map" || operand === "dyn" ? "dyn" : refuse(e, `type '${operand}' does not support field selection`);
      }
      case "callExpr": {
        const fn = k.value.function;
        if (fn === "_[_]") {
          const chain = stepsChain(e, bound);
          if (chain && chain.path.length > 0) {
            stepReads.push(chain);
            return "dyn";
          }
        }
        if (k.value.target) infer(k.value.target, bound);
        const args = k.value.args.map((a) => infer(a, bound));
        if (!fn.startsWith("_") && !fn.startsWith("@") && env().funcs.find(fn) === undefined) return refuse(e, `undeclared reference to '${fn}'`);
        if ((fn === "_==_" || fn === "_!=_") && args.length === 2) {
          const [a, b] = args as [StaticType, StaticType];
          const kind = (t: StaticType) => (NUMBERS.has(t) ? "number" : PRIMITIVES.has(t) ? t : undefined);
          if (kind(a) && kind(b) && kind(a) !== kind(b) && a !== "null_type" && b !== "null_type") {
            return refuse(e, `found no matching overload for '${fn}' applied to '(${a}, ${b})'`);
          }
        }
        if ((fn === "_&&_" || fn === "_||_" || fn === "!_") && args.some((t) => t !== "bool" && t !== "dyn")) {
          return refuse(e, `found no matching overload for '${fn}' applied to '(${args.join(", ")})'`);
        }
        if (fn === "_?_:_") return args[1] === args[2] ? args[1]! : "dyn";
        if (fn === "_+_" || fn === "_-_" || fn === "_*_" || fn === "_/_" || fn === "_%_" || fn === "-_") {
          if (args.length === 1 || args[0] === args[1]) return args[0]!;
          if (args.every((t) => t !== "dyn")) return refuse(e, `found no matching overload for '${fn}' applied to '(${args.join(", ")})'`);
          return "dyn";
        }
        return RESULT_TYPES[fn] ?? "dyn";
      }
      case "comprehensionExpr": {
        const c = k.value;
        infer(c.iterRange!, bound);
        const inner = new Map(bound);
        inner.set(c.iterVar, "dyn");
        if (c.iterVar2) inner.set(c.iterVar2, "dyn");
        inner.set(c.accuVar, infer(c.accuInit!, bound));
        infer(c.loopCondition!, inner);
        infer(c.loopStep!, inner);
        return infer(c.result!, inner);
      }
      case "listExpr":
        k.value.elements.forEach((x) => infer(x, bound));
        return "list";
      case "structExpr":
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === "mapKey") infer(entry.keyKind.value, bound);
          if (entry.value) infer(entry.value, bound);
        }
        return k.value.messageName ? k.value.messageName : "map";
      default:
        return "dyn";
    }
  };

  const result = infer(parsed.expr, new Map());
  if (problem) return problem;
  if (result !== "bool" && result !== "dyn") return { problem: `the expression returns ${result}, expected bool`, offset: 0 };
  const program = plan(env(), parsed);
  return {
    stepReads,
    readsWholeSteps,
    evaluate(variables) {
      let value: unknown;
      try {
        value = program(Object.fromEntries(Object.entries({ ...EMPTY, ...variables }).map(([k, v]) => [k, toCel(v)])) as never);
      } catch (error) {
        return { error: (error as Error).message };
      }
      if (isCelError(value)) return { error: value.message };
      if (typeof value !== "boolean") return { error: `it returned ${typeof value === "bigint" ? "int" : typeof value}, expected bool` };
      return { value };
    },
  };
}

/** Plain data as the library takes it: records become Maps (CEL maps), arrays stay lists, numbers are doubles (a file's `mtime` is an int, as in Atmos). */
function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (isFileFact(value)) return new Map<string, unknown>([["path", value.path], ["mtime", BigInt(Math.trunc(value.mtime))], ["checksum", value.checksum]]);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value ?? null;
}

function isFileFact(value: unknown): value is CelFileFact {
  const v = value as CelFileFact | null;
  return v !== null && typeof v === "object" && typeof v.mtime === "number" && typeof v.path === "string" && typeof v.checksum === "string" && Object.keys(v).length === 3;
}
