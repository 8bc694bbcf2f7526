/**
 * A styled block of text, as lipgloss draws one for Atmos' `style` step:
 * text wrapped to a width, aligned, padded, framed by a border, surrounded
 * by a margin, with colours and text attributes as SGR codes (only when
 * colour is on: without it the same box is drawn in plain characters).
 * @module
 */

/** How to draw a box. Spacing is top, right, bottom, left. */
export interface BoxStyle {
  border?: "none" | "hidden" | "normal" | "rounded" | "thick" | "double";
  padding?: Spacing;
  margin?: Spacing;
  /** Width of the block inside the border (padding included), as lipgloss counts it. */
  width?: number;
  /** Height of the block inside the border (padding included). */
  height?: number;
  align?: "left" | "center" | "right";
  foreground?: string;
  background?: string;
  borderForeground?: string;
  borderBackground?: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  strikethrough?: boolean;
  faint?: boolean;
}

/** Top, right, bottom, left. */
export type Spacing = [number, number, number, number];

const BORDERS = {
  normal: ["┌", "─", "┐", "│", "┘", "─", "└", "│"],
  rounded: ["╭", "─", "╮", "│", "╯", "─", "╰", "│"],
  thick: ["┏", "━", "┓", "┃", "┛", "━", "┗", "┃"],
  double: ["╔", "═", "╗", "║", "╝", "═", "╚", "║"],
  hidden: [" ", " ", " ", " ", " ", " ", " ", " "],
} as const;

/**
 * Reads CSS-like spacing: "1", "1 2", "1 2 3" or "1 2 3 4" (as lipgloss does; other text is 0).
 *
 * @example
 * ```ts
 * parseSpacing("1 2"); // [1, 2, 1, 2]
 * ```
 */
export function parseSpacing(text: string | number): Spacing {
  const v = String(text).trim().split(/\s+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
  if (v.length === 1) return [v[0]!, v[0]!, v[0]!, v[0]!];
  if (v.length === 2) return [v[0]!, v[1]!, v[0]!, v[1]!];
  if (v.length === 3) return [v[0]!, v[1]!, v[2]!, v[1]!];
  if (v.length === 4) return [v[0]!, v[1]!, v[2]!, v[3]!];
  return [0, 0, 0, 0];
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/** Columns a line takes on screen (escape codes take none). */
export const visibleWidth = (line: string) => [...line.replace(ANSI, "")].length;

const NAMED: Record<string, number> = { black: 0, red: 1, green: 2, yellow: 3, blue: 4, magenta: 5, cyan: 6, white: 7, gray: 8, grey: 8 };

/**
 * The SGR parameters of a colour: `#rrggbb`/`#rgb` (24-bit), `0`-`255` (the 256-colour palette) or a basic name.
 *
 * @example
 * ```ts
 * colourCode("#ff0000", "fg"); // "38;2;255;0;0"
 * colourCode("212", "bg"); // "48;5;212"
 * ```
 */
export function colourCode(colour: string, layer: "fg" | "bg"): string | undefined {
  const base = layer === "fg" ? 38 : 48;
  const c = colour.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(c)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((d) => d + d).join("") : hex;
    return `${base};2;${parseInt(full.slice(0, 2), 16)};${parseInt(full.slice(2, 4), 16)};${parseInt(full.slice(4, 6), 16)}`;
  }
  if (/^\d+$/.test(c) && Number(c) <= 255) return `${base};5;${c}`;
  if (c in NAMED) return `${base};5;${NAMED[c]}`;
  return undefined;
}

/** Wraps one line at spaces to `width` columns (a word longer than that is cut). */
function wrap(line: string, width: number): string[] {
  if (visibleWidth(line) <= width) return [line];
  const out: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    let w = word;
    while (visibleWidth(w) > width) {
      if (current) out.push(current), (current = "");
      out.push([...w].slice(0, width).join(""));
      w = [...w].slice(width).join("");
    }
    if (!current) current = w;
    else if (visibleWidth(current) + 1 + visibleWidth(w) <= width) current += ` ${w}`;
    else out.push(current), (current = w);
  }
  out.push(current);
  return out;
}

/**
 * Draws `content` in a box.
 *
 * @example
 * ```ts
 * drawBox("hi", { border: "rounded", padding: [0, 1, 0, 1] }, false);
 * // "╭────╮\n│ hi │\n╰────╯"
 * ```
 */
export function drawBox(content: string, style: BoxStyle, colour: boolean): string {
  const [pt, pr, pb, pl] = style.padding ?? [0, 0, 0, 0];
  const [mt, mr, mb, ml] = style.margin ?? [0, 0, 0, 0];
  const textWidth = style.width !== undefined ? Math.max(1, style.width - pl - pr) : undefined;
  let lines = content.replace(/\n+$/, "").split("\n").map((l) => l.replace(/\t/g, "    "));
  if (textWidth !== undefined) lines = lines.flatMap((l) => wrap(l, textWidth));
  const inner = textWidth ?? Math.max(0, ...lines.map(visibleWidth));
  if (style.height !== undefined) while (lines.length < style.height - pt - pb) lines.push("");
  const sgr = (codes: Array<string | undefined>) => {
    const set = codes.filter(Boolean);
    return colour && set.length > 0 ? [`\x1b[${set.join(";")}m`, "\x1b[0m"] : ["", ""];
  };
  const [textOn, textOff] = sgr([
    style.bold ? "1" : undefined,
    style.faint ? "2" : undefined,
    style.italic ? "3" : undefined,
    style.underline ? "4" : undefined,
    style.strikethrough ? "9" : undefined,
    style.foreground ? colourCode(style.foreground, "fg") : undefined,
    style.background ? colourCode(style.background, "bg") : undefined,
  ]);
  const [bgOn, bgOff] = sgr([style.background ? colourCode(style.background, "bg") : undefined]);
  const align = (line: string) => {
    const gap = inner - visibleWidth(line);
    const left = style.align === "right" ? gap : style.align === "center" ? Math.floor(gap / 2) : 0;
    return `${" ".repeat(left)}${textOn}${line}${textOff}${bgOn}${" ".repeat(gap - left)}${bgOff}`;
  };
  const blank = `${bgOn}${" ".repeat(inner + pl + pr)}${bgOff}`;
  let body = [
    ...Array.from({ length: pt }, () => blank),
    ...lines.map((l) => `${bgOn}${" ".repeat(pl)}${bgOff}${align(l)}${bgOn}${" ".repeat(pr)}${bgOff}`),
    ...Array.from({ length: pb }, () => blank),
  ];
  const kind = style.border ?? "none";
  if (kind !== "none") {
    const [tl, t, tr, r, br, b, bl, l] = BORDERS[kind];
    const [on, off] = sgr([style.borderForeground ? colourCode(style.borderForeground, "fg") : undefined, style.borderBackground ? colourCode(style.borderBackground, "bg") : undefined]);
    const width = inner + pl + pr;
    body = [`${on}${tl}${t.repeat(width)}${tr}${off}`, ...body.map((line) => `${on}${l}${off}${line}${on}${r}${off}`), `${on}${bl}${b.repeat(width)}${br}${off}`];
  }
  const outer = [...Array.from({ length: mt }, () => ""), ...body.map((line) => `${" ".repeat(ml)}${line}${" ".repeat(mr)}`), ...Array.from({ length: mb }, () => "")];
  return outer.map((line) => line.trimEnd() === "" && !colour ? "" : line).join("\n");
}
