/**
 * fish: where a place in a command stands and how a value is passed there
 * as data. A variable in fish is never split or globbed, so `"$NAME"` (and,
 * inside a string, the string closed around it) is one word.
 * @module
 */
import type { Placement, Scanner } from "./scanner.ts";

type Frame = { type: "top" | "cmdsubst" | "double" | "single" | "comment" };

const WORD_BREAK = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">", ""]);

/**
 * Reads fish text.
 *
 * @example
 * ```ts
 * const scanner = new FishScanner();
 * scanner.feed(`echo "a `);
 * (scanner.place() as { reference(n: string): string }).reference("V"); // `"$V"`
 * ```
 */
export class FishScanner implements Scanner {
  #stack: Frame[] = [{ type: "top" }];
  #prev = "";

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const frame = this.#stack[this.#stack.length - 1]!;
      const c = text[i]!;
      const prev = this.#prev;
      this.#prev = c;
      if (frame.type === "comment") {
        if (c === "\n") this.#stack.pop();
      } else if (frame.type === "single") {
        if (c === "\\") i++;
        else if (c === "'") this.#stack.pop();
      } else if (frame.type === "double") {
        if (c === "\\") i++;
        else if (c === '"') this.#stack.pop();
        else if (c === "$" && text[i + 1] === "(") {
          this.#stack.push({ type: "cmdsubst" });
          i++;
        }
      } else if (c === "\\") i++;
      else if (c === "'") this.#stack.push({ type: "single" });
      else if (c === '"') this.#stack.push({ type: "double" });
      else if (c === "#" && WORD_BREAK.has(prev)) this.#stack.push({ type: "comment" });
      else if (c === "(") this.#stack.push({ type: "cmdsubst" });
      else if (c === ")" && frame.type === "cmdsubst") this.#stack.pop();
    }
  }

  wrote(): void {
    this.#prev = "a";
  }

  place(): Placement {
    const frame = this.#stack[this.#stack.length - 1]!;
    switch (frame.type) {
      case "top":
      case "cmdsubst":
        return { reference: (name) => `"$${name}"`, display: (v) => `'${v.replace(/[\\']/g, "\\$&")}'` };
      case "double":
        return { reference: (name) => `"$${name}"`, display: (v) => v.replace(/[\\"$]/g, "\\$&") };
      case "single":
        return { reference: (name) => `'"$${name}"'`, display: (v) => v.replace(/[\\']/g, "\\$&") };
      case "comment":
        return { reference: (name) => `$${name}`, display: (v) => v.replace(/\n/g, " ") };
    }
  }
}
