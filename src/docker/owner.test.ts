import { expect, test } from "bun:test";
import { hostname } from "node:os";
import { isOwnerGone, ownerLabel, processStartTime } from "./owner.ts";

test("our own label is alive; a dead pid, a reused pid and another host are judged right", async () => {
  expect(isOwnerGone(ownerLabel())).toBe(false);
  const child = Bun.spawn(["true"]);
  await child.exited;
  expect(isOwnerGone(`${hostname()}:${child.pid}:${processStartTime(process.pid)}`)).toBe(true);
  expect(isOwnerGone(`${hostname()}:${process.pid}:1`)).toBe(true);
  expect(isOwnerGone(`some-other-host:${child.pid}:1`)).toBe(false);
});
