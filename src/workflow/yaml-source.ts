/**
 * YAML parsing that remembers where every key and value was written, so that
 * validation errors can point at FILE:LINE:COL.
 * @module
 */
import { suggest } from "../util/suggest.ts";
import { applyAtmosTags, ATMOS_TAGS } from "./yaml-tags.ts";
import type { LineCounter, Node, Pair } from "yaml";
import { yamlLibrary } from "./yaml-library.ts";

/** Workflow files larger than this are refused: they are programs' output, not workflows. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Maps and lists nested deeper than this are refused (a recursion bomb, never a workflow). */
export const MAX_DEPTH = 64;
/** Aliases resolved at most (a "billion laughs" file expands exponentially). */
export const MAX_ALIASES = 100;

/** A problem with the YAML syntax itself. */
export interface YamlSyntaxError {
  line: number;
  col: number;
  message: string;
}

/** A parsed YAML document with position look-ups. */
export class YamlSource {
  readonly value: unknown;
  readonly syntaxErrors: YamlSyntaxError[];
  #text: string;
  #parsed?: { root: Node | null; lines: LineCounter };

  /**
   * Parses `text`. With `knownValue` (the value this exact text parsed to
   * before, see parse-cache.ts) the YAML parser runs only if a position is
   * ever asked for: a valid file never needs one.
   */
  constructor(text: string, knownValue?: unknown) {
    this.#text = text;
    if (knownValue !== undefined) {
      this.value = knownValue;
      this.syntaxErrors = [];
      return;
    }
    if (text.length > MAX_FILE_BYTES) {
      this.syntaxErrors = [{ line: 1, col: 1, message: `the file is ${(text.length / 1024 / 1024).toFixed(1)} MiB (expected at most ${MAX_FILE_BYTES / 1024 / 1024} MiB for a workflow file)` }];
      this.value = undefined;
      return;
    }
    const { doc, lines } = this.#parse();
    this.syntaxErrors = doc.errors.map((error) => {
      const pos = lines.linePos(error.pos[0]);
      // The library appends a code excerpt after the first line; keep the sentence.
      const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      return { line: pos.line, col: pos.col, message };
    });
    if (this.syntaxErrors.length === 0) this.syntaxErrors = structureErrors(doc.contents as Node | null, lines);
    if (this.syntaxErrors.length === 0) {
      this.syntaxErrors = applyAtmosTags(doc.contents as Node | null).map(({ node, tag }) => {
        // The node starts at its value: the tag is written just before it.
        const start = node.range?.[0] ?? 0;
        const at = text.lastIndexOf(tag, start);
        const pos = lines.linePos(at >= 0 ? at : start);
        const hint = suggest(tag, ATMOS_TAGS);
        return { line: pos.line, col: pos.col, message: `unknown YAML tag ${tag}${hint ? `; did you mean ${hint}?` : ""} (expected one of Atmos' tags, such as !env NAME or !exec COMMAND, or a YAML tag such as !!str)` };
      });
    }
    if (this.syntaxErrors.length > 0) {
      this.value = undefined;
      return;
    }
    try {
      this.value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (error) {
      // The library refuses alias expansion past the limit; point at the first alias.
      const alias = firstAlias(doc.contents as Node | null);
      const pos = lines.linePos(alias?.range?.[0] ?? 0);
      this.syntaxErrors = [{ line: pos.line, col: pos.col, message: `aliases expand too far (${(error as Error).message.split("\n")[0]}) (expected at most ${MAX_ALIASES} alias expansions)` }];
      this.value = undefined;
    }
  }

  #parse() {
    const lines = new (yamlLibrary().LineCounter)();
    // Duplicate keys are found by structureErrors in linear time: the library's own check is quadratic.
    // logLevel "error": the library would print its own warnings (a map used as a key) on stderr; ours are positioned.
    const doc = yamlLibrary().parseDocument(this.#text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, logLevel: "error" });
    this.#parsed = { root: (doc.contents as Node | null) ?? null, lines };
    return { doc, lines };
  }

  /**
   * The 1-based position of character `offset` of the string at `path`:
   * exact for one-line plain and quoted scalars and for `|` blocks, the
   * scalar's start otherwise (folded `>` blocks, escapes before the offset).
   */
  positionInValue(path: ReadonlyArray<string | number>, offset: number): { line: number; col: number } {
    const start = this.position(path);
    const { node, complete } = this.#walk(path);
    if (!complete || !yamlLibrary().isScalar(node) || !node.range || typeof node.value !== "string") return start;
    const raw = this.#text.slice(node.range[0], node.range[1]);
    const value = node.value;
    // A scalar with one of Atmos' tags loads as "<tag> <value>" (yaml-tags.ts): an offset into that text is moved back onto the written value.
    const tag = (node as { tag?: string }).tag;
    if (tag?.startsWith("!") && !tag.startsWith("!!") && tag !== "!literal") offset = Math.max(0, offset - tag.length - 1);
    const before = value.slice(0, offset);
    if (node.type === "PLAIN" || node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE") {
      // Escapes and folded lines move characters: then the scalar's start is the best answer.
      if (/[\r\n]/.test(raw) || (node.type === "QUOTE_DOUBLE" && raw.includes("\\")) || (node.type === "QUOTE_SINGLE" && raw.slice(1, -1).includes("''"))) return start;
      return { line: start.line, col: start.col + offset + (node.type === "PLAIN" ? 0 : 1) };
    }
    if (node.type === "BLOCK_LITERAL") {
      // The header (`|`, `|-`) ends its line; content lines follow, indented alike.
      const lines = raw.split("\n");
      const content = lines.slice(1);
      const indent = Math.min(...content.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
      const line = before.split("\n").length - 1;
      const col = offset - (before.lastIndexOf("\n") + 1);
      return { line: start.line + 1 + line, col: (Number.isFinite(indent) ? indent : 0) + col + 1 };
    }
    return start;
  }

  /**
   * The text a scalar at `path` is written as (`1.10`, `0x1F`, `yes`), or
   * undefined when there is no scalar there: what Atmos' decoder puts in a
   * string field.
   */
  sourceText(path: ReadonlyArray<string | number>): string | undefined {
    const { node, complete } = this.#walk(path);
    if (!complete || !yamlLibrary().isScalar(node) || !node.range) return undefined;
    return this.#text.slice(node.range[0], node.range[1]);
  }

  /**
   * The 1-based position of the value at `path` (or of its key, with `part: "key"`).
   * Falls back to the nearest existing ancestor when the path does not exist.
   */
  position(path: ReadonlyArray<string | number>, part: "key" | "value" = "value"): { line: number; col: number } {
    const { node, pair } = this.#walk(path);
    const target = part === "key" && pair ? (pair.key as Node) : node;
    return this.#parsed!.lines.linePos(target?.range?.[0] ?? 0);
  }

  /**
   * Follows `path` from the root as far as it exists: the node reached, the
   * map entry of its last step, and whether every step found a value.
   */
  #walk(path: ReadonlyArray<string | number>): { node: Node | null; pair: Pair | null; complete: boolean } {
    if (!this.#parsed) this.#parse();
    let node: Node | null = this.#parsed!.root;
    let pair: Pair | null = null;
    for (const key of path) {
      let next: Node | null = null;
      let hasValue = false;
      pair = null;
      if (yamlLibrary().isMap(node)) {
        const found = node.items.find((item) => yamlLibrary().isPair(item) && yamlLibrary().isScalar(item.key) && String(item.key.value) === String(key));
        if (found) {
          pair = found as Pair;
          hasValue = found.value !== null && found.value !== undefined;
          // A key without a value is positioned at the key.
          next = (found.value as Node | null) ?? (found.key as Node);
        }
      } else if (yamlLibrary().isSeq(node) && typeof key === "number") {
        next = (node.items[key] as Node | undefined) ?? null;
        hasValue = next !== null;
      }
      if (!next) return { node, pair, complete: false };
      node = next;
      if (!hasValue) return { node, pair, complete: false };
    }
    return { node, pair, complete: true };
  }
}

/**
 * Problems the YAML library does not report (or reports in quadratic time):
 * duplicate keys in a map, and nesting deeper than {@linkcode MAX_DEPTH}.
 * One pass over the tree, iterative, so depth costs no stack.
 */
function structureErrors(root: Node | null, lines: LineCounter): YamlSyntaxError[] {
  const errors: YamlSyntaxError[] = [];
  const at = (node: Node | null | undefined, message: string) => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    errors.push({ line: pos.line, col: pos.col, message });
  };
  const stack: Array<{ node: Node | null; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0 && errors.length < 20) {
    const { node, depth } = stack.pop()!;
    if (!yamlLibrary().isMap(node) && !yamlLibrary().isSeq(node)) continue;
    if (depth > MAX_DEPTH) {
      at(node, `maps and lists nested ${depth} deep (expected at most ${MAX_DEPTH} levels)`);
      continue;
    }
    if (yamlLibrary().isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        const key = yamlLibrary().isScalar(item.key) ? String(item.key.value) : undefined;
        if (key !== undefined && key !== "<<") {
          if (seen.has(key)) at(item.key as Node, "Map keys must be unique");
          seen.add(key);
        }
        stack.push({ node: item.value as Node | null, depth: depth + 1 });
      }
    } else {
      for (const item of node.items) stack.push({ node: item as Node | null, depth: depth + 1 });
    }
  }
  return errors.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The first alias (`*name`) in the document. */
function firstAlias(root: Node | null): Node | undefined {
  const stack: Array<Node | null> = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (yamlLibrary().isAlias(node)) return node;
    if (yamlLibrary().isMap(node)) for (const item of [...node.items].reverse()) stack.push(item.value as Node | null, item.key as Node | null);
    else if (yamlLibrary().isSeq(node)) for (const item of [...node.items].reverse()) stack.push(item as Node | null);
  }
  return undefined;
}
