/**
 * Hints for the classic YAML mistakes, added to the first problem each one
 * causes: a tab in the indentation, a key without a space after its colon,
 * an unquoted `{{` at the start of a value, and list items (`-`) that do not
 * line up.
 *
 * @example
 * ```ts
 * withYamlHints("workflows:\n\t- a\n", [{ file: "w.yaml", line: 2, col: 1, message: "invalid YAML: Tabs are not allowed as indentation" }])[0]!.message;
 * // "invalid YAML: Tabs are not allowed as indentation (hint: line 2 is indented with a tab; YAML indents with spaces only)"
 * ```
 * @module
 */
import type { Diagnostic } from "../errors.ts";

const TAB_INDENT = /^ *\t/;
const NO_SPACE_AFTER_COLON = /^\s*(?:-\s+)?([A-Za-z_][\w.-]*):([^\s:/"'][^\s]*)/;
const UNQUOTED_TEMPLATE = /^\s*(?:-\s+)?([A-Za-z_][\w.-]*):\s+(\{\{.*)$/;
const DASH = /^( *)- /;

function hintFor(lines: readonly string[], d: Diagnostic): string | undefined {
  const at = d.line - 1;
  const line = lines[at] ?? "";
  // The line itself, then the one before (YAML often notices a mistake one line late).
  for (const i of [at, at - 1]) {
    const text = lines[i];
    if (text === undefined) continue;
    if (TAB_INDENT.test(text)) return `line ${i + 1} is indented with a tab; YAML indents with spaces only`;
    const colon = NO_SPACE_AFTER_COLON.exec(text);
    if (colon && d.message.startsWith("invalid YAML")) return `"${colon[1]}:${colon[2]}" needs a space after the colon ("${colon[1]}: ${colon[2]}"); without one YAML reads a single string`;
  }
  const template = UNQUOTED_TEMPLATE.exec(line);
  if (template) return `a value that starts with {{ must be quoted, or YAML reads a map: ${template[1]}: "${(template[2] ?? "").replace(/"/g, '\\"')}"`;
  if (/sequence|Sequence/.test(d.message)) {
    const dash = DASH.exec(line);
    for (let i = at - 1; dash && i >= 0; i--) {
      const other = DASH.exec(lines[i] ?? "");
      if (other && other[1]!.length !== dash[1]!.length && Math.abs(other[1]!.length - dash[1]!.length) <= 2) {
        return `the "-" on line ${d.line} is in column ${dash[1]!.length + 1}, the one on line ${i + 1} in column ${other[1]!.length + 1}; items of one list start in the same column`;
      }
      if (other) break;
    }
  }
  return undefined;
}

/**
 * `diagnostics` with a hint added to the first problem of each classic YAML
 * mistake found on (or just before) its line in `text`.
 */
export function withYamlHints(text: string, diagnostics: Diagnostic[]): Diagnostic[] {
  const lines = text.split(/\r?\n/);
  const given = new Set<string>();
  return diagnostics.map((d) => {
    const hint = hintFor(lines, d);
    if (!hint || given.has(hint)) return d;
    given.add(hint);
    return { ...d, message: `${d.message} (hint: ${hint})` };
  });
}
