import { expect, test } from "bun:test";
import { Redactor } from "./redact.ts";

test("every registered secret is hidden, short values are not treated as secrets", () => {
  const key = "-----BEGIN KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAA\nBBBBBBBBBBBBBBBBBBBBBBBB\n-----END KEY-----";
  const r = new Redactor().add("token-123456", key, "ab", undefined);
  expect(r.redact("Bearer token-123456 and ab")).toBe("Bearer [redacted] and ab");
  expect(r.redact(`dump: ${key}`)).toBe("dump: [redacted]");
  expect(r.redact("line BBBBBBBBBBBBBBBBBBBBBBBB seen")).toBe("line [redacted] seen");
  expect(r.with("callback-secret").redact("callback-secret token-123456")).toBe("[redacted] [redacted]");
  expect(r.redact("callback-secret")).toBe("callback-secret");
});
