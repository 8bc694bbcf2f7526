/**
 * YAML parsing that remembers where every key and value was written, so that
 * validation errors can point at FILE:LINE:COL.
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from "yaml";

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
    const { doc, lines } = this.#parse();
    this.syntaxErrors = doc.errors.map((error) => {
      const pos = lines.linePos(error.pos[0]);
      // The library appends a code excerpt after the first line; keep the sentence.
      const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      return { line: pos.line, col: pos.col, message };
    });
    this.value = this.syntaxErrors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 });
  }

  #parse() {
    const lines = new LineCounter();
    const doc = parseDocument(this.#text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    this.#parsed = { root: (doc.contents as Node | null) ?? null, lines };
    return { doc, lines };
  }

  /**
   * The 1-based position of the value at `path` (or of its key, with `part: "key"`).
   * Falls back to the nearest existing ancestor when the path does not exist.
   */
  position(path: ReadonlyArray<string | number>, part: "key" | "value" = "value"): { line: number; col: number } {
    if (!this.#parsed) this.#parse();
    const { root, lines } = this.#parsed!;
    let node: Node | null = root;
    let pair: Pair | null = null;
    for (const key of path) {
      let next: Node | null = null;
      pair = null;
      if (isMap(node)) {
        const found = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key));
        if (found) {
          pair = found as Pair;
          next = (found.value as Node | null) ?? (found.key as Node);
        }
      } else if (isSeq(node) && typeof key === "number") {
        next = (node.items[key] as Node | undefined) ?? null;
      }
      if (!next) break;
      node = next;
    }
    const target = part === "key" && pair ? (pair.key as Node) : node;
    const offset = target?.range?.[0] ?? 0;
    return lines.linePos(offset);
  }
}
