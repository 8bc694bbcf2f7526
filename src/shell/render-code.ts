/**
 * The one way a command-like field (a shell command, a script, a container
 * command) is rendered: text written in the workflow file stays code, and
 * every value that came from outside it (vars, the stack, step results,
 * the environment, answers) is handed to the program out of band, as an
 * environment variable the text refers to, quoted for the dialect, so the
 * program sees exactly the value, one word, whatever characters it holds.
 * Where a dialect has no such way at that place, the render is refused with
 * the position and the reason; `validate` finds the same places statically.
 * @module
 */
import { TemplateError } from "../errors.ts";
import { DATA_FUNCTIONS, type RenderedPart } from "../template/execute.ts";
import type { Operand, Pipe, TemplateNode } from "../template/parser.ts";
import type { Dialect } from "./dialect.ts";
import { FishScanner } from "./fish-scanner.ts";
import { PosixScanner } from "./posix-scanner.ts";
import { PwshScanner } from "./pwsh-scanner.ts";
import type { Placement, Scanner } from "./scanner.ts";

/** A command field, rendered. */
export interface RenderedCode {
  /** What the program reads: the file's text with references to `env` where data stands. */
  text: string;
  /** The variables the references name, with their values (added to the process's environment). */
  env: Record<string, string>;
  /** The same command as a person reads it: each value quoted in place (shown, never run). */
  display: string;
}

/** The roots written in the workflow file itself: a value read from them is code like the rest of the file. */
export const TRUSTED_ROOTS: ReadonlySet<string> = new Set(["workflow", "step", "matrix"]);


/** The prefix of the variables that carry data into a command (`MUSTER_DATA_1`, ...). */
export const DATA_VARIABLE_PREFIX = "MUSTER_DATA_";

function scannerFor(dialect: Dialect): Scanner | { refused: string } {
  switch (dialect) {
    case "posix":
      return new PosixScanner();
    case "fish":
      return new FishScanner();
    case "pwsh":
      return new PwshScanner();
    case "cmd":
      return { refused: "cmd expands %NAME% before it parses the line, so no value can reach cmd as data (expected the value through env: and a script step with another interpreter, or a shell other than cmd)" };
    case "argv":
      throw new Error("argv words need no scanner");
    default: {
      const program = dialect.slice("program:".length);
      // (Node's spelling is built from parts: runtime globals are named only in src/platform/.)
      const read = program.startsWith("python") ? `os.environ["NAME"]` : program === "node" || program === "nodejs" ? ["process", "env", "NAME"].join(".") : "the environment variable NAME";
      return { refused: `the script is ${program} code, and a value pasted into it would become code (expected the value through env: {NAME: "{{ ... }}"} and read as ${read} in the script)` };
    }
  }
}

/**
 * Renders the pieces of a command field for `dialect`; `known` holds the
 * variables the step's other command fields already use. Throws a
 * {@linkcode TemplateError} at the action's offset when a value from
 * outside lands where the dialect has no safe way to take it, or holds a
 * NUL byte (which no process can receive).
 *
 * @example
 * ```ts
 * renderCode([{ text: "echo got=" }, { text: "$(id)", data: true, offset: 9 }], "posix");
 * // { text: 'echo got="${MUSTER_DATA_1}"', env: { MUSTER_DATA_1: "$(id)" }, display: "echo got='$(id)'" }
 * ```
 */
export function renderCode(parts: readonly RenderedPart[], dialect: Dialect, known: Readonly<Record<string, string>> = {}): RenderedCode {
  if (dialect === "argv") {
    for (const part of parts) if (part.data) refuseNul(part);
    const text = parts.map((p) => p.text).join("");
    return { text, env: {}, display: text };
  }
  const scanner = scannerFor(dialect);
  // Numbering goes on from the step's other command fields (`known`), and one value keeps one name.
  const env: Record<string, string> = {};
  const names = new Map<string, string>(Object.entries(known).map(([name, value]) => [value, name]));
  let text = "";
  let display = "";
  for (const part of parts) {
    if (!part.data) {
      text += part.text;
      display += part.text;
      if (!("refused" in scanner)) scanner.feed(part.text);
      continue;
    }
    refuseNul(part);
    const place: Placement = "refused" in scanner ? scanner : scanner.place();
    if ("refused" in place) throw new TemplateError(`a value from outside the workflow file (${describeValue(part.text)}) cannot be passed here as data: ${place.refused}`, part.offset);
    let name = names.get(part.text);
    if (!name) {
      name = `${DATA_VARIABLE_PREFIX}${names.size + 1}`;
      names.set(part.text, name);
    }
    env[name] = part.text;
    text += place.reference(name);
    display += place.display(part.text);
    (scanner as Scanner).wrote();
  }
  return { text, env, display };
}

function refuseNul(part: RenderedPart): void {
  if (part.text.includes("\u0000")) throw new TemplateError(`a value from outside the workflow file holds a NUL byte, which no process can receive (expected text without NUL)`, part.offset);
}

function describeValue(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

/** A place where a command field would refuse data, or uses `words`, known before the run. */
export interface CodeFinding {
  offset: number;
  /** `refused`: a problem; `words`: a notice (validate names each use of the word-splitting opt-out). */
  kind: "refused" | "words";
  message: string;
}

/**
 * Whether any action of `nodes` may print a value from outside, erring
 * towards yes: what {@linkcode codeFindings} asks first, since most command
 * fields read only literals and the trusted roots, and scanning their shell
 * text (the costly part) cannot find anything then. Any variable but `$`
 * counts as outside; the dot stays trusted, since with no outside value in a
 * `with`/`range` pipe it is trusted inside as well.
 */
function mayReadOutside(nodes: readonly TemplateNode[]): boolean {
  const operandOutside = (op: Operand): boolean => {
    switch (op.type) {
      case "field":
        return !TRUSTED_ROOTS.has(op.path[0]!);
      case "variable":
        return op.name !== "$" || op.path.length === 0 || !TRUSTED_ROOTS.has(op.path[0]!);
      case "pipe":
        return pipeOutside(op.pipe);
      case "function":
        return DATA_FUNCTIONS.has(op.name);
      default:
        return false;
    }
  };
  const pipeOutside = (pipe: Pipe): boolean => pipe.commands.some((c) => c.args.some(operandOutside));
  return nodes.some((node) => {
    switch (node.type) {
      case "action":
        return pipeOutside(node.pipe);
      case "if":
      case "with":
      case "range":
        return pipeOutside(node.pipe) || mayReadOutside(node.list) || (node.elseList !== undefined && mayReadOutside(node.elseList));
      default:
        return false;
    }
  });
}

/**
 * What `validate` can tell about a command field's template without
 * running it: each action that may print a value from outside and stands
 * where `dialect` has no safe way to take one, and each use of `words`.
 * An action is taken as data unless it reads only literals and the trusted
 * roots (the run itself refuses what this cannot see).
 *
 * @example
 * ```ts
 * codeFindings(parse("cat <<'EOF'\n{{ .vars.x }}\nEOF\n", isFunction), "posix")[0]!.kind; // "refused"
 * ```
 */
export function codeFindings(nodes: readonly TemplateNode[], dialect: Dialect): CodeFinding[] {
  const findings: CodeFinding[] = [];
  // Both findings need an action that may print a value from outside: without one, no scan.
  if (dialect === "argv" || !mayReadOutside(nodes)) return findings;
  const scanner = scannerFor(dialect);
  const tainted = new Map<string, boolean>([["$", true]]);
  const mayBeData = (pipe: Pipe, dotTainted: boolean): boolean => pipe.commands.some((c) => c.args.some((op) => operandData(op, dotTainted)));
  const operandData = (op: Operand, dotTainted: boolean): boolean => {
    switch (op.type) {
      case "field":
        return dotTainted || !TRUSTED_ROOTS.has(op.path[0]!);
      case "variable":
        return op.name === "$" ? op.path.length === 0 || !TRUSTED_ROOTS.has(op.path[0]!) : tainted.get(op.name) ?? true;
      case "dot":
        return dotTainted;
      case "pipe":
        return mayBeData(op.pipe, dotTainted);
      case "function":
        return DATA_FUNCTIONS.has(op.name);
      default:
        return false;
    }
  };
  const walk = (list: readonly TemplateNode[], dotTainted: boolean) => {
    for (const node of list) {
      switch (node.type) {
        case "text":
          if (!("refused" in scanner)) scanner.feed(node.text);
          break;
        case "action": {
          const data = mayBeData(node.pipe, dotTainted);
          if (node.pipe.vars.length > 0) {
            for (const name of node.pipe.vars) tainted.set(name, data);
            break;
          }
          const last = node.pipe.commands.at(-1)?.args[0];
          if (data && last?.type === "function" && last.name === "words") {
            findings.push({ offset: node.offset, kind: "words", message: "splits a value from outside into words (words): each word is passed as data of its own" });
          }
          if (!data) break;
          const place = "refused" in scanner ? scanner : scanner.place();
          if ("refused" in place) findings.push({ offset: node.offset, kind: "refused", message: `this value may come from outside the workflow file, and cannot be passed here as data: ${place.refused}` });
          else (scanner as Scanner).wrote();
          break;
        }
        case "if":
          walk(node.list, dotTainted);
          if (node.elseList) walk(node.elseList, dotTainted);
          break;
        case "with":
        case "range": {
          const data = mayBeData(node.pipe, dotTainted);
          for (const name of node.pipe.vars) tainted.set(name, data);
          walk(node.list, data);
          if (node.elseList) walk(node.elseList, dotTainted);
          break;
        }
      }
    }
  };
  walk(nodes, false);
  return findings;
}
