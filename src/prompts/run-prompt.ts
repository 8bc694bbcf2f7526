/**
 * Runs one prompt on the terminal: raw keys from stdin, frames on stderr,
 * until the user answers, aborts (Esc, Ctrl-C: the terminal is in raw mode,
 * so Ctrl-C arrives as a key, not a signal) or the run is canceled. The
 * terminal is always given back in line mode with its cursor shown.
 * @module
 */
import type { Colors } from "../output/colors.ts";
import type { Keyboard } from "../platform/types.ts";
import { parseKeys } from "./keys.ts";
import { PromptScreen } from "./screen.ts";
import { type PromptView, summaryLine } from "./view.ts";

/** What a prompt is run with. */
export interface PromptIO {
  keyboard: Keyboard;
  /** Writes to the terminal (stderr). */
  write(text: string): void | Promise<void>;
  columns: number;
  colors: Colors;
  /** Canceling the run ends the prompt. */
  signal: AbortSignal;
}

/** How a prompt ended. */
export type PromptEnd<T> = { status: "answered"; value: T } | { status: "aborted" } | { status: "canceled" };

/**
 * Shows `view` until it ends; the summary line (`✔ prompt · answer`) stays
 * on screen. The keyboard is closed before this returns.
 *
 * @example
 * ```ts
 * const end = await runPrompt("Deploy?", new ConfirmView("Deploy?", false), io);
 * if (end.status === "answered") end.value; // true or false
 * ```
 */
export function runPrompt<T>(title: string, view: PromptView<T>, io: PromptIO): Promise<PromptEnd<T>> {
  const screen = new PromptScreen(io.write, io.columns);
  const decoder = new TextDecoder();
  return new Promise((resolve) => {
    let ended = false;
    const end = (result: PromptEnd<T>) => {
      if (ended) return;
      ended = true;
      io.signal.removeEventListener("abort", onAbort);
      io.keyboard.close();
      const outcome = result.status === "answered" ? { answer: view.shown() } : { aborted: result.status === "aborted" ? "aborted" : "canceled" };
      void Promise.resolve(screen.finish([summaryLine(title, io.colors, outcome)])).then(() => resolve(result));
    };
    const onAbort = () => end({ status: "canceled" });
    if (io.signal.aborted) return end({ status: "canceled" });
    io.signal.addEventListener("abort", onAbort, { once: true });
    io.keyboard.onData((chunk) => {
      if (ended) return;
      for (const key of parseKeys(decoder.decode(chunk, { stream: true }))) {
        const result = view.key(key);
        if (result === "submit") return end({ status: "answered", value: view.answer() });
        if (result === "abort") return end({ status: "aborted" });
      }
      void screen.draw(view.frame(io.colors, screen.width));
    });
    void screen.draw(view.frame(io.colors, screen.width));
  });
}
