/**
 * Raw key input over a Node-style `process.stdin`, which both runtimes
 * implement (Bun natively, Deno through `node:process`): raw mode on while a
 * prompt reads, off and paused after, so that a later step that inherits
 * stdin (`read`, an editor) gets every key. Shared by both adapters.
 * @internal
 * @module
 */
import type { Keyboard } from "./types.ts";

/** The part of `process.stdin` used here. */
export interface NodeStdin {
  isTTY?: boolean;
  setRawMode(mode: boolean): unknown;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  off(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
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
