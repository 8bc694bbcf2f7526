/**
 * Usage text that reads well in a narrow terminal: citty pads every option
 * line to the widest one, which a terminal then breaks mid-word with an
 * empty line after each entry. Trailing padding goes, and long lines wrap at
 * word boundaries with the description's indent kept.
 * @module
 */

/**
 * Wraps `usage` to `width` columns.
 *
 * @example
 * ```ts
 * wrapUsage("  -q, --quiet    Only print failures and the final result   ", 30);
 * // "  -q, --quiet    Only print\n                 failures and the\n                 final result"
 * ```
 */
export function wrapUsage(usage: string, width: number): string {
  // deno-lint-ignore no-control-regex
  const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "").length;
  return usage
    .split("\n")
    .flatMap((raw) => {
      const line = raw.trimEnd();
      if (visible(line) <= width) return [line];
      const match = /^(\s*\S.*?\S)(\s{2,})(\S.*)$/.exec(line);
      const indent = match ? visible(match[1]!) + match[2]!.length : (/^\s*/.exec(line)?.[0].length ?? 0);
      const head = match ? match[1]! + match[2]! : line.slice(0, indent);
      const words = (match ? match[3]! : line.slice(indent)).split(" ");
      const out: string[] = [];
      let current = head;
      let currentWidth = visible(head);
      let empty = true;
      for (const word of words) {
        const w = visible(word);
        if (!empty && currentWidth + 1 + w > width) {
          out.push(current);
          current = " ".repeat(indent) + word;
          currentWidth = indent + w;
        } else {
          current += (empty ? "" : " ") + word;
          currentWidth += (empty ? 0 : 1) + w;
        }
        empty = false;
      }
      out.push(current);
      return out;
    })
    .join("\n");
}
