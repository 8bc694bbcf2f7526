/**
 * A small, strict subset of Go's text/template, enough for Atmos workflows:
 * `{{ .vars.NAME }}`, `{{ .env.HOME }}`, `{{ .stack }}`, pipelines such as
 * `{{ .vars.region | default "us-east-1" | quote }}` and trim markers `{{-`/`-}}`.
 *
 * Unlike Go's default, a missing key is an error, never an empty string:
 * a typo in a variable name must not turn `rm -rf {{ .vars.dir }}/` into `rm -rf /`.
 * @module
 */
import { TemplateError } from "../errors.ts";
import { shellQuote } from "./shell-words.ts";

/** The data a template sees. */
export type TemplateData = Record<string, unknown>;

export { TemplateError };

const MISSING = Symbol("missing");
type Value = unknown;

interface Operand {
  kind: "field" | "literal" | "function";
  path?: string[];
  value?: unknown;
  name?: string;
}

const FUNCTIONS: Record<string, (args: Value[], source: string) => Value> = {
  quote: (args, source) => shellQuote(stringify(requireArgs("quote", args, 1, source)[0], source)),
  default: (args, source) => {
    const [fallback, value] = requireArgs("default", args, 2, source);
    return value === MISSING || value === "" || value === null || value === undefined ? fallback : value;
  },
  lower: (args, source) => stringify(requireArgs("lower", args, 1, source)[0], source).toLowerCase(),
  upper: (args, source) => stringify(requireArgs("upper", args, 1, source)[0], source).toUpperCase(),
  trim: (args, source) => stringify(requireArgs("trim", args, 1, source)[0], source).trim(),
};

/** The names of the functions templates may call. */
export const TEMPLATE_FUNCTIONS = Object.keys(FUNCTIONS);

function requireArgs(name: string, args: Value[], count: number, source: string): Value[] {
  if (args.length !== count) {
    throw new TemplateError(`"${name}" takes ${count} argument${count > 1 ? "s" : ""}, got ${args.length} in {{${source}}}`);
  }
  return args;
}

function stringify(value: Value, source: string): string {
  if (value === MISSING) throw new TemplateError(`missing value in {{${source}}}`);
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\||[^\s|"`]+)/gy;
  let match: RegExpExecArray | null;
  while (re.lastIndex < source.length && (match = re.exec(source))) tokens.push(match[1]!);
  if (source.slice(re.lastIndex).trim() !== "") {
    throw new TemplateError(`cannot parse {{${source}}}: unterminated string`);
  }
  return tokens;
}

function parseOperand(token: string, source: string): Operand {
  if (token === ".") return { kind: "field", path: [] };
  if (token.startsWith(".")) {
    const path = token.slice(1).split(".");
    if (path.some((p) => !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p))) {
      throw new TemplateError(`bad field "${token}" in {{${source}}}`);
    }
    return { kind: "field", path };
  }
  if (token.startsWith('"')) return { kind: "literal", value: JSON.parse(token) };
  if (token.startsWith("`")) return { kind: "literal", value: token.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(token)) return { kind: "literal", value: Number(token) };
  if (token === "true" || token === "false") return { kind: "literal", value: token === "true" };
  if (token in FUNCTIONS) return { kind: "function", name: token };
  throw new TemplateError(
    `unknown function "${token}" in {{${source}}} (expected a field like .vars.NAME or one of: ${TEMPLATE_FUNCTIONS.join(", ")})`,
  );
}

function lookup(data: TemplateData, path: string[]): Value {
  let value: Value = data;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return MISSING;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function evaluate(source: string, data: TemplateData): Value {
  const tokens = tokenize(source);
  if (tokens.length === 0) throw new TemplateError("empty action {{}}");
  const commands: string[][] = [[]];
  for (const token of tokens) {
    if (token === "|") commands.push([]);
    else commands.at(-1)!.push(token);
  }
  let piped: Value = MISSING;
  let first = true;
  for (const command of commands) {
    if (command.length === 0) throw new TemplateError(`empty command in pipeline {{${source}}}`);
    const operands = command.map((t) => parseOperand(t, source));
    const head = operands[0]!;
    const argValues = (ops: Operand[]) =>
      ops.map((op) => {
        if (op.kind === "function") throw new TemplateError(`function "${op.name}" used as a value in {{${source}}}`);
        return op.kind === "field" ? lookup(data, op.path!) : op.value;
      });
    if (head.kind === "function") {
      const args = argValues(operands.slice(1));
      if (!first) args.push(piped);
      piped = FUNCTIONS[head.name!]!(args, source);
    } else {
      if (operands.length > 1 || !first) {
        throw new TemplateError(`cannot parse {{${source}}}: a value cannot take arguments`);
      }
      piped = argValues([head])[0];
      if (piped === MISSING) {
        const key = head.path!.join(".");
        const isLast = commands.length === 1;
        // A missing key is only acceptable when `default` comes next.
        if (isLast || commands[1]![0] !== "default") throw missingKey(key, data);
      }
    }
    first = false;
  }
  return piped;
}

function missingKey(key: string, data: TemplateData): TemplateError {
  const [top, ...rest] = key.split(".");
  const parent = rest.length > 0 ? lookup(data, [top!]) : data;
  const known =
    parent && parent !== MISSING && typeof parent === "object"
      ? Object.keys(parent as object).map((k) => (rest.length > 0 ? `.${top}.${k}` : `.${k}`))
      : [];
  const hint = key.startsWith("vars.") ? `; pass it with --var ${rest.join(".")}=VALUE` : "";
  const known_ = known.length > 0 ? ` (known: ${known.slice(0, 12).join(", ")})` : "";
  return new TemplateError(`missing key ".${key}"${hint}${known_}`);
}

/**
 * Renders `text` against `data`.
 *
 * @example
 * ```ts
 * renderTemplate("deploy {{ .vars.env | quote }}", { vars: { env: "prod east" } });
 * // "deploy 'prod east'"
 * ```
 */
export function renderTemplate(text: string, data: TemplateData): string {
  if (!text.includes("{{")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    let literal = text.slice(i, open);
    const close = text.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError(`unclosed action "{{" at offset ${open}`);
    let inner = text.slice(open + 2, close);
    if (inner.startsWith("- ")) {
      literal = literal.trimEnd();
      inner = inner.slice(1);
    }
    let trimAfter = false;
    if (inner.endsWith(" -")) {
      trimAfter = true;
      inner = inner.slice(0, -1);
    }
    out += literal;
    out += stringify(evaluate(inner.trim(), data), inner.trim());
    i = close + 2;
    if (trimAfter) while (i < text.length && /\s/.test(text[i]!)) i++;
  }
  return out;
}
