/**
 * A small XML reader for test reports (JUnit): elements, attributes, text
 * and CDATA, the five named entities and numeric references. Comments,
 * processing instructions and doctypes are skipped. Malformed input (an
 * unclosed or mismatched tag, a stray `<`) is an error naming the line.
 * Namespaces and DTD entities are not interpreted.
 * @module
 */

/** An element: its name, attributes, child elements and text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), child elements' text excluded. */
  text: string;
}

/** Input that is not well-formed XML. */
export class XmlError extends Error {
  constructor(readonly line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = "XmlError";
  }
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string, line: () => number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const named = NAMED[ref];
    if (named === undefined) throw new XmlError(line(), `unknown entity &${ref};`);
    return named;
  });
}

const NAME = /^[A-Za-z_:][\w:.-]*/;
const ATTRIBUTE = /^\s+([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/;

/**
 * Parses a document and returns its root element.
 *
 * @example
 * ```ts
 * parseXml('<testsuite name="a"><testcase name="t"/></testsuite>').children[0]!.attributes.name; // "t"
 * ```
 */
export function parseXml(source: string): XmlElement {
  let at = 0;
  const lineAt = () => source.slice(0, at).split("\n").length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < source.length) {
    const lt = source.indexOf("<", at);
    const text = source.slice(at, lt === -1 ? source.length : lt);
    if (text.trim() !== "") {
      if (stack.length === 0) throw new XmlError(lineAt(), "text outside the root element");
      stack[stack.length - 1]!.text += decodeEntities(text, lineAt);
    }
    if (lt === -1) break;
    at = lt;
    if (source.startsWith("<!--", at)) {
      const end = source.indexOf("-->", at + 4);
      if (end === -1) throw new XmlError(lineAt(), "a comment is not closed");
      at = end + 3;
    } else if (source.startsWith("<![CDATA[", at)) {
      const end = source.indexOf("]]>", at + 9);
      if (end === -1) throw new XmlError(lineAt(), "a CDATA section is not closed");
      if (stack.length === 0) throw new XmlError(lineAt(), "CDATA outside the root element");
      stack[stack.length - 1]!.text += source.slice(at + 9, end);
      at = end + 3;
    } else if (source.startsWith("<?", at)) {
      const end = source.indexOf("?>", at + 2);
      if (end === -1) throw new XmlError(lineAt(), "a processing instruction is not closed");
      at = end + 2;
    } else if (source.startsWith("<!", at)) {
      const end = source.indexOf(">", at + 2);
      if (end === -1) throw new XmlError(lineAt(), "a declaration is not closed");
      at = end + 1;
    } else if (source.startsWith("</", at)) {
      const name = NAME.exec(source.slice(at + 2))?.[0];
      const end = source.indexOf(">", at);
      const open = stack.pop();
      if (!name || end === -1) throw new XmlError(lineAt(), "a malformed closing tag");
      if (!open || open.name !== name) throw new XmlError(lineAt(), open ? `</${name}> closes <${open.name}>` : `</${name}> closes nothing`);
      at = end + 1;
    } else {
      const rest = source.slice(at + 1);
      const name = NAME.exec(rest)?.[0];
      if (!name) throw new XmlError(lineAt(), "a < that starts no tag");
      let cursor = at + 1 + name.length;
      const attributes: Record<string, string> = {};
      for (;;) {
        const match = ATTRIBUTE.exec(source.slice(cursor, cursor + 65536));
        if (!match) break;
        attributes[match[1]!] = decodeEntities(match[3] ?? match[4] ?? "", lineAt);
        cursor += match[0].length;
      }
      const close = /^\s*(\/?)>/.exec(source.slice(cursor, cursor + 256));
      if (!close) throw new XmlError(lineAt(), `the tag <${name}> is not closed properly`);
      const element: XmlElement = { name, attributes, children: [], text: "" };
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      else if (root) throw new XmlError(lineAt(), "a second root element");
      else root = element;
      if (close[1] !== "/") stack.push(element);
      at = cursor + close[0].length;
    }
  }
  if (stack.length > 0) throw new XmlError(lineAt(), `<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) throw new XmlError(1, "no root element");
  return root;
}
