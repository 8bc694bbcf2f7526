/**
 * Raw key input over a Node-style `process.stdin`, which both runtimes
 * implement (Bun natively, Deno through `node:process`): raw mode on while a
 * prompt reads, off and paused after, so that a later step that inherits
 * stdin (`read`, an editor) gets every key. Shared by both adapters.
 * @internal
 * @module
 */
import type { InputReader, Keyboard } from "./types.ts";

/** The part of `process.stdin` used here. */
export interface NodeStdin {
  isTTY?: boolean;
  setRawMode(mode: boolean): unknown;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  off(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  off(event: "end", listener: () => void): unknown;
  resume(): unknown;
  pause(): unknown;
  /** True once the stream has ended (a pipe read to its end by an earlier step). */
  readableEnded?: boolean;
}

const encoder = new TextEncoder();

/** Opens `stdin` as a keyboard; undefined when it is not a terminal. */
export function openNodeKeyboard(stdin: NodeStdin): Keyboard | undefined {
  if (stdin.isTTY !== true) return undefined;
  let handler: ((chunk: Uint8Array) => void) | undefined;
  const listener = (chunk: Uint8Array | string) => handler?.(typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk));
  stdin.setRawMode(true);
  stdin.on("data", listener);
  stdin.resume();
  let closed = false;
  return {
    onData: (fn) => void (handler = fn),
    close() {
      if (closed) return;
      closed = true;
      stdin.off("data", listener);
      stdin.setRawMode(false);
      stdin.pause();
    },
  };
}

/**
 * Reads `stdin` as it comes (a terminal in raw mode when `raw`, a pipe or a
 * file as it is), for a step that owns muster's input (`interactive: true`
 * on a terminal step or an attached container). Closing pauses it again.
 */
export function openNodeInput(stdin: NodeStdin, options: { raw: boolean }): InputReader {
  let handler: ((chunk: Uint8Array) => void) | undefined;
  let endHandler: (() => void) | undefined;
  let ended = stdin.readableEnded === true;
  const listener = (chunk: Uint8Array | string) => handler?.(typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk));
  const onEnd = () => {
    ended = true;
    endHandler?.();
  };
  const raw = options.raw && stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  stdin.on("data", listener);
  stdin.on("end", onEnd);
  stdin.resume();
  let closed = false;
  return {
    onData: (fn) => void (handler = fn),
    onEnd(fn) {
      endHandler = fn;
      if (ended) fn();
    },
    close() {
      if (closed) return;
      closed = true;
      stdin.off("data", listener);
      stdin.off("end", onEnd);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    },
  };
}
