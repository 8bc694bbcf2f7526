import { expect, test } from "bun:test";
import { LinePrefixer } from "./line-prefixer.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : "");

test("prefixes complete lines and holds partial ones", () => {
  const p = new LinePrefixer("[x] ");
  expect(dec(p.push(enc("one\ntw")))).toBe("[x] one\n");
  expect(dec(p.push(enc("o")))).toBe("");
  expect(dec(p.push(enc("\nthree\nfour\n")))).toBe("[x] two\n[x] three\n[x] four\n");
  expect(dec(p.push(enc("tail")))).toBe("");
  expect(dec(p.end())).toBe("[x] tail\n");
  expect(p.end()).toBeUndefined();
});

test("empty lines keep their prefix", () => {
  expect(dec(new LinePrefixer("> ").push(enc("\n\n")))).toBe("> \n> \n");
});

test("a partial line longer than the limit is printed as its own line", () => {
  const p = new LinePrefixer("[x] ");
  const half = new Uint8Array(600 * 1024).fill(97);
  expect(p.push(half)).toBeUndefined();
  const out = p.push(half);
  expect(out?.length).toBe(4 + 1200 * 1024 + 1);
  expect(dec(p.push(enc("tail\n")))).toBe("[x] tail\n");
});
