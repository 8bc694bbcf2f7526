/**
 * The parse of the commonest templates without the lexer and parser: text
 * whose every action is one field chain (`{{ .step.name }}`,
 * `{{ $.vars.env }}`). `validate` of a large file parses a template per step,
 * most of them like this, and the general parser's cost per template was
 * most of its time. Anything else (a pipe, a function, a trim marker, a
 * comment, a tab inside the braces) is left to the parser: the result, when
 * there is one, is the same tree the parser builds.
 * @internal
 * @module
 */
import type { TemplateNode } from "./parser.ts";

/** `{{`, spaces, an optional `$`, one or more `.name`, spaces, `}}`: as the lexer reads names (ASCII letters, digits, `_`). */
const FIELD_ACTION = /\{\{( *)(\$?)((?:\.[A-Za-z_][A-Za-z0-9_]*)+) *\}\}/y;

/**
 * The nodes of `text` when each of its actions is a lone field chain,
 * otherwise undefined.
 *
 * @example
 * ```ts
 * fieldOnlyNodes("echo {{ .step.name }}")?.[1]; // { type: "action", pipe: { ... path: ["step", "name"] ... }, offset: 5 }
 * fieldOnlyNodes("{{ .x | upper }}"); // undefined
 * ```
 */
export function fieldOnlyNodes(text: string): TemplateNode[] | undefined {
  const nodes: TemplateNode[] = [];
  let i = 0;
  for (;;) {
    const open = text.indexOf("{{", i);
    const literalEnd = open < 0 ? text.length : open;
    if (literalEnd > i) nodes.push({ type: "text", text: text.slice(i, literalEnd), offset: i });
    if (open < 0) return nodes;
    FIELD_ACTION.lastIndex = open;
    const match = FIELD_ACTION.exec(text);
    if (!match) return undefined;
    const at = open + 2 + match[1]!.length;
    const path = match[3]!.slice(1).split(".");
    const operand = match[2] ? { type: "variable" as const, name: "$", path, offset: at } : { type: "field" as const, path, offset: at };
    nodes.push({ type: "action", pipe: { vars: [], assign: false, commands: [{ args: [operand], offset: at }], offset: at }, offset: open });
    i = FIELD_ACTION.lastIndex;
  }
}
