/**
 * PowerShell: where a place in a command stands and how a value is passed
 * there as data (`${env:NAME}`, which PowerShell expands once and never
 * evaluates). Inside `'...'` nothing is expanded, and a quoted string next
 * to a variable is not reliably one argument, so those places are refused.
 * @module
 */
import type { Placement, Scanner } from "./scanner.ts";

type Frame =
  | { type: "top" | "subexpr"; depth: number }
  | { type: "double" | "single" | "here-double" | "here-single" | "comment" | "block-comment" };

const WORD_BREAK = new Set([" ", "\t", "\n", ";", "|", "(", ")", "{", "}", ""]);

/**
 * Reads PowerShell text.
 *
 * @example
 * ```ts
 * const scanner = new PwshScanner();
 * scanner.feed(`Write-Output "a `);
 * (scanner.place() as { reference(n: string): string }).reference("V"); // "${env:V}"
 * ```
 */
export class PwshScanner implements Scanner {
  #stack: Frame[] = [{ type: "top", depth: 0 }];
  #prev = "";

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const frame = this.#stack[this.#stack.length - 1]!;
      const c = text[i]!;
      const prev = this.#prev;
      this.#prev = c;
      switch (frame.type) {
        case "comment":
          if (c === "\n") this.#stack.pop();
          break;
        case "block-comment":
          if (c === "#" && text[i + 1] === ">") {
            this.#stack.pop();
            i++;
          }
          break;
        case "single":
          if (c === "'" && text[i + 1] === "'") i++;
          else if (c === "'") this.#stack.pop();
          break;
        case "here-single":
          if (c === "\n" && text.startsWith("'@", i + 1)) {
            this.#stack.pop();
            i += 2;
          }
          break;
        case "double":
        case "here-double":
          if (c === "`") i++;
          else if (frame.type === "double" && c === '"' && text[i + 1] === '"') i++;
          else if (frame.type === "double" && c === '"') this.#stack.pop();
          else if (frame.type === "here-double" && c === "\n" && text.startsWith('"@', i + 1)) {
            this.#stack.pop();
            i += 2;
          } else if (c === "$" && text[i + 1] === "(") {
            this.#stack.push({ type: "subexpr", depth: 0 });
            i++;
          }
          break;
        default:
          if (c === "`") i++;
          else if (c === "@" && (text[i + 1] === '"' || text[i + 1] === "'") && text[i + 2] === "\n") {
            this.#stack.push({ type: text[i + 1] === '"' ? "here-double" : "here-single" });
            i += 2;
          } else if (c === "'") this.#stack.push({ type: "single" });
          else if (c === '"') this.#stack.push({ type: "double" });
          else if (c === "<" && text[i + 1] === "#") {
            this.#stack.push({ type: "block-comment" });
            i++;
          } else if (c === "#" && WORD_BREAK.has(prev)) this.#stack.push({ type: "comment" });
          else if (c === "(") frame.depth++;
          else if (c === ")") {
            if (frame.depth > 0) frame.depth--;
            else if (frame.type === "subexpr") this.#stack.pop();
          }
      }
    }
  }

  wrote(): void {
    this.#prev = "a";
  }

  place(): Placement {
    const frame = this.#stack[this.#stack.length - 1]!;
    const expanded = { reference: (name: string) => `\${env:${name}}`, display: (v: string) => v.replace(/[`"$]/g, "`$&") };
    switch (frame.type) {
      case "top":
      case "subexpr":
        return { reference: (name) => `"\${env:${name}}"`, display: (v) => `'${v.replaceAll("'", "''")}'` };
      case "double":
      case "here-double":
      case "comment":
      case "block-comment":
        return expanded;
      case "single":
      case "here-single":
        return { refused: "it stands inside a '...' string, where PowerShell expands nothing (expected the text in a \"...\" string, where muster passes the value as ${env:NAME})" };
    }
  }
}
