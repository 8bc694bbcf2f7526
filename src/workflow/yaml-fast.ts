/**
 * The fast path for reading a workflow file: the runtime's own YAML parser
 * (Bun.YAML, through the platform), about 20 times faster than the `yaml`
 * library, used only when it is certain to give the same result.
 *
 * The runtime's parser keeps the last of duplicate keys silently, and merges
 * `<<` keys where the `yaml` library (YAML 1.2) does not. So a file takes the
 * fast path only when a linear scan finds none of the constructs where the
 * two could differ (anchors, aliases, tags, merge keys, explicit keys,
 * directives, several documents, quoted strings over several lines, flow
 * collections over several lines) and counts exactly as many map keys in
 * the text as the parsed value holds: a duplicate key shows as one key
 * fewer, and sends the file down the full path, which reports it with its
 * position. Anything the scan is unsure of does the same.
 * @module
 */

/**
 * Counts the map keys of `text` when it uses only the simple subset; undefined when unsure.
 * Written for a cold start (it runs once per file, before the JIT has warmed up): characters are
 * looked at directly and each regular expression runs only on the lines that can match it.
 */
export function countKeys(text: string): number | undefined {
  let keys = 0;
  let blockIndent = -1; // inside a block scalar (| or >): lines indented more than this belong to it
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n]!;
    if (raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
    const indent = raw.length - raw.trimStart().length;
    if (blockIndent >= 0) {
      if (indent === raw.length || indent > blockIndent) continue;
      blockIndent = -1;
    }
    const line = raw.includes("#") || raw.includes('"') || raw.includes("'") ? stripComment(raw) : raw;
    if (line === undefined) return undefined;
    // A comment starts after whitespace, so the line keeps the raw line's indentation (or is only that).
    let rest = line.length > indent ? line.slice(indent).trimEnd() : "";
    if (rest === "") continue;
    const first = rest[0]!;
    if (n === 0 && rest === "---") continue;
    if ((first === "-" || first === ".") && /^(---|\.\.\.)(\s|$)/.test(rest)) return undefined;
    if (first === "%") return undefined;
    let column = indent;
    while (rest === "-" || rest.startsWith("- ")) {
      const after = rest.slice(1).trimStart();
      column += rest.length - after.length;
      rest = after;
    }
    if (rest === "") continue;
    if (/^[&*!?|>@`]/.test(rest) || rest.startsWith("<<")) return undefined;
    if (rest[0] === "{" || rest[0] === "[") {
      const flow = scanFlow(rest, 0);
      if (!flow || rest.slice(flow.end).trim() !== "") return undefined;
      keys += flow.keys;
      continue;
    }
    const key = scanKey(rest);
    if (key === undefined) {
      // A scalar: a sequence item or the continuation of a plain scalar; never a key.
      const quoted = rest[0] === '"' || rest[0] === "'";
      if (quoted && !closesQuote(rest)) return undefined;
      if (!quoted && rest.includes(":") && /:(\s|$)/.test(rest)) return undefined;
      continue;
    }
    keys++;
    const value = rest.slice(key).trim();
    if (value === "") continue;
    const v = value[0]!;
    if (/^[&*!?@`]/.test(value) || value.startsWith("<<")) return undefined;
    if ((v === "|" || v === ">") && /^[|>][+-]?\d?[+-]?$/.test(value)) {
      blockIndent = column;
      continue;
    }
    if (v === "{" || v === "[") {
      const flow = scanFlow(value, 0);
      if (!flow || value.slice(flow.end).trim() !== "") return undefined;
      keys += flow.keys;
      continue;
    }
    const quoted = v === '"' || v === "'";
    if (quoted && !closesQuote(value)) return undefined;
    if (!quoted && value.includes(":") && /:(\s|$)/.test(value)) return undefined;
  }
  return keys;
}

/** The line without its comment; undefined when a quote is left open. */
function stripComment(line: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === '"' && c === "\\") i++;
    else if (quote && c === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else quote = undefined;
    } else if (!quote && (c === '"' || c === "'") && (i === 0 || /[\s:,[{-]/.test(line[i - 1]!))) quote = c;
    else if (!quote && c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return quote ? undefined : line;
}

/** Whether a quoted scalar at the start of `text` is closed on this line. */
function closesQuote(text: string): boolean {
  const end = quotedEnd(text, 0);
  return end !== undefined;
}

/** The index after a quoted scalar starting at `at`, or undefined when it does not close. */
function quotedEnd(text: string, at: number): number | undefined {
  const quote = text[at]!;
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i]!;
    if (quote === '"' && c === "\\") i++;
    else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return undefined;
}

/** The length of `key:` at the start of `text` (a block map key), or undefined when there is none. */
function scanKey(text: string): number | undefined {
  let end: number | undefined;
  if (text[0] === '"' || text[0] === "'") end = quotedEnd(text, 0);
  else {
    // What /^[^\s:#,[\]{}][^:#]*?(?=:(\s|$))/ matches, found without the expression (it ran on every line):
    // a first character that can start a plain key, then up to the first colon, with no # before it.
    const colon = text.indexOf(":");
    const hash = text.indexOf("#");
    const plain = colon > 0 && !":#,[]{}".includes(text[0]!) && !/\s/.test(text[0]!) && (hash < 0 || hash > colon);
    end = plain ? colon : undefined;
  }
  if (end === undefined || text[end] !== ":" || (end + 1 < text.length && !/\s/.test(text[end + 1]!))) return undefined;
  return end + 1;
}

/** Scans a flow collection closed on this line; counts its map keys. */
function scanFlow(text: string, at: number): { end: number; keys: number } | undefined {
  const open = text[at]!;
  const close = open === "{" ? "}" : "]";
  let keys = 0;
  let i = at + 1;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skip();
    if (i >= text.length) return undefined;
    if (text[i] === close) return { end: i + 1, keys };
    // One entry: [key:] value
    let entryKey = false;
    const scalarOrFlow = (): boolean => {
      skip();
      const c = text[i];
      if (c === undefined) return false;
      if (c === "{" || c === "[") {
        const inner = scanFlow(text, i);
        if (!inner) return false;
        keys += inner.keys;
        i = inner.end;
        return true;
      }
      if (/[&*!?|>@`]/.test(c)) return false;
      if (c === '"' || c === "'") {
        const end = quotedEnd(text, i);
        if (end === undefined) return false;
        i = end;
        return true;
      }
      const start = i;
      while (i < text.length && !/[,\]}]/.test(text[i]!) && !(text[i] === ":" && /[\s,\]}]/.test(text[i + 1] ?? " "))) i++;
      if (text.slice(start, i).startsWith("<<")) return false;
      return true;
    };
    if (!scalarOrFlow()) return undefined;
    skip();
    if (text[i] === ":") {
      if (open !== "{") return undefined; // a single-pair map inside a list: leave it to the full parser
      entryKey = true;
      i++;
      skip();
      if (text[i] !== "," && text[i] !== close && !scalarOrFlow()) return undefined;
      skip();
    }
    if (entryKey) keys++;
    else if (open === "{") keys++; // `{ a }`: a key with a null value
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === close) return { end: i + 1, keys };
    return undefined;
  }
}

/** Counts the keys of every map in a parsed value; undefined past `maxDepth` levels. */
export function countValueKeys(value: unknown, maxDepth: number): number | undefined {
  let keys = 0;
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > maxDepth) return undefined;
    if (Array.isArray(v)) for (const item of v) stack.push({ v: item, depth: depth + 1 });
    else {
      const entries = Object.values(v as Record<string, unknown>);
      keys += entries.length;
      for (const item of entries) stack.push({ v: item, depth: depth + 1 });
    }
  }
  return keys;
}

/**
 * The value of `text` through `parse` (the runtime's YAML parser), when the
 * fast path is certain to agree with the full one; undefined otherwise.
 *
 * @example
 * ```ts
 * fastYaml("a: 1\nb: 2\n", Bun.YAML.parse, 64); // { a: 1, b: 2 }
 * fastYaml("a: 1\na: 2\n", Bun.YAML.parse, 64); // undefined (a duplicate key: the full path reports it)
 * ```
 */
export function fastYaml(text: string, parse: (text: string) => unknown, maxDepth: number): unknown {
  const expected = countKeys(text);
  if (expected === undefined) return undefined;
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    return undefined;
  }
  return countValueKeys(value, maxDepth) === expected ? value : undefined;
}
