/**
 * muster's own progress lines on stderr: step start and finish with duration,
 * retries, errors and hints. One place decides their wording and colour.
 * @module
 */
import type { StepStatus } from "../engine/events.ts";
import { formatDuration } from "../workflow/duration.ts";
import type { OutputStream } from "./terminal.ts";

/** Writes muster's own lines. */
export class Reporter {
  #out: OutputStream;
  #quiet: boolean;

  constructor(out: OutputStream, options: { quiet?: boolean } = {}) {
    this.#out = out;
    this.#quiet = options.quiet ?? false;
  }

  /** Writes one raw line. */
  line(text: string): void | Promise<void> {
    return this.#out.write(`${text}\n`);
  }

  stepStart(name: string, detail: string): void {
    if (this.#quiet) return;
    const c = this.#out.colors;
    this.line(`${c.cyan("▸")} ${c.bold(name)} ${c.dim(detail)}`);
  }

  stepEnd(name: string, status: StepStatus, durationMs: number, detail = ""): void {
    const c = this.#out.colors;
    const took = c.dim(`in ${formatDuration(durationMs)}`);
    const extra = detail ? ` ${detail}` : "";
    switch (status) {
      case "succeeded":
        if (!this.#quiet) this.line(`${c.green("✓")} ${name} ${took}`);
        break;
      case "failed":
        this.line(`${c.red("✗")} ${name} ${c.red("failed")}${extra} ${took}`);
        break;
      case "canceled":
        if (!this.#quiet) this.line(`${c.yellow("■")} ${name} ${c.yellow("canceled")}${extra}${durationMs > 0 ? ` ${took}` : ""}`);
        break;
      case "skipped":
        if (!this.#quiet) this.line(`${c.dim("○")} ${name} ${c.dim(`skipped${extra}`)}`);
        break;
    }
  }

  info(text: string): void {
    if (!this.#quiet) this.line(`${this.#out.colors.dim("•")} ${text}`);
  }

  warn(text: string): void {
    this.line(`${this.#out.colors.yellow("!")} ${text}`);
  }

  error(text: string): void {
    this.line(`${this.#out.colors.red("error:")} ${text}`);
  }

  hint(text: string): void | Promise<void> {
    return this.line(`  ${this.#out.colors.dim(text)}`);
  }
}
