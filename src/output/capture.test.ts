import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OutputCapture, TAIL_BYTES } from "./capture.ts";

const enc = (s: string) => new TextEncoder().encode(s);

async function replayed(capture: OutputCapture): Promise<string> {
  const parts: string[] = [];
  await capture.replay((stream, data) => void parts.push(`${stream}:${new TextDecoder().decode(data)}`));
  return parts.join("|");
}

test("keeps chunks in order with their stream", async () => {
  const capture = new OutputCapture();
  await capture.append(1, enc("out"));
  await capture.append(2, enc("err"));
  expect(await replayed(capture)).toBe("1:out|2:err");
  expect(capture.spilled).toBe(false);
  await capture.dispose();
});

test("spills past the threshold, replays the same, and removes its file", async () => {
  // A TMPDIR of this test's own (tmpdir() reads it on each call): the spill must land there, and go.
  const own = mkdtempSync(join(tmpdir(), "muster-capture-test-"));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = own;
  try {
    const capture = new OutputCapture({ threshold: 10 });
    await capture.append(1, enc("0123456"));
    await capture.append(2, enc("789abc"));
    await capture.append(1, enc("tail"));
    expect(capture.spilled).toBe(true);
    expect(readdirSync(own).filter((d) => d.startsWith("muster-capture-")).length).toBe(1);
    expect(await replayed(capture)).toBe("1:0123456|2:789abc|1:tail");
    await capture.dispose();
    expect(readdirSync(own)).toEqual([]);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(own, { recursive: true, force: true });
  }
});

test("the tail keeps the last 64 KiB only", async () => {
  const capture = new OutputCapture({ keepAll: false });
  for (let i = 0; i < 100; i++) await capture.append(1, new Uint8Array(4096).fill(65 + (i % 26)));
  const tail = capture.tail();
  expect(tail.length).toBe(TAIL_BYTES);
  expect(tail.at(-1)).toBe(65 + (99 % 26));
  expect(capture.size).toBe(409_600);
  await capture.dispose();
});
