import { expect, test } from "bun:test";
import { demuxLogs, jsonLines } from "./streams.ts";

const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({ start(c) { for (const chunk of chunks) c.enqueue(chunk); c.close(); } });
const enc = (s: string) => new TextEncoder().encode(s);
const frame = (type: number, text: string) => {
  const body = enc(text);
  const out = new Uint8Array(8 + body.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, body.length);
  out.set(body, 8);
  return out;
};

test("jsonLines splits across chunk boundaries", async () => {
  const values = [];
  for await (const v of jsonLines(streamOf(enc('{"a":1}\n{"b'), enc('":2}\n'), enc('{"c":3}')))) values.push(v);
  expect(values).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
});

test("demuxLogs splits frames, even when a frame is cut across chunks", async () => {
  const whole = new Uint8Array([...frame(1, "out\n"), ...frame(2, "err\n"), ...frame(1, "more")]);
  const chunks = [whole.slice(0, 5), whole.slice(5, 15), whole.slice(15)];
  const out: string[] = [];
  for await (const c of demuxLogs(streamOf(...chunks), false)) out.push(`${c.stream}:${new TextDecoder().decode(c.data)}`);
  expect(out).toEqual(["1:out\n", "2:err\n", "1:more"]);
});

test("a TTY stream is raw", async () => {
  const out: string[] = [];
  for await (const c of demuxLogs(streamOf(enc("raw")), true)) out.push(new TextDecoder().decode(c.data));
  expect(out).toEqual(["raw"]);
});
