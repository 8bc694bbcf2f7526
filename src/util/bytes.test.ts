import { expect, test } from "bun:test";
import { readAtMost } from "./bytes.ts";

const stream = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("readAtMost: the whole stream when it fits, exactly at the limit too", async () => {
  const all = await readAtMost(stream("ab", "cd"), 4);
  expect([text(all.bytes), all.overflow]).toEqual(["abcd", false]);
});

test("readAtMost: past the limit, the first limit bytes and overflow", async () => {
  const cut = await readAtMost(stream("ab", "cdef", "gh"), 3);
  expect([text(cut.bytes), cut.overflow]).toEqual(["abc", true]);
});
