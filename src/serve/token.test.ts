import { expect, test } from "bun:test";
import { TokenChecker } from "./token.ts";

test("accepts any configured token, rejects the rest", async () => {
  const check = new TokenChecker(["first-token-aaaaaaaa", "second-token-bbbbbbbb"]);
  expect(await check.authorize("Bearer first-token-aaaaaaaa")).toBe(true);
  expect(await check.authorize("bearer second-token-bbbbbbbb")).toBe(true);
  for (const bad of [null, "", "Bearer", "Bearer ", "Bearer first-token-aaaaaaa", "Bearer first-token-aaaaaaaaX", "Basic first-token-aaaaaaaa", "Bearer x"]) {
    expect(await check.authorize(bad)).toBe(false);
  }
});
