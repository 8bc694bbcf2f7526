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
