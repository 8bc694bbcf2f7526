import { expect, test } from "bun:test";
import { hostname } from "node:os";
import { bootId, isOwnerGone, ownerLabel, ownerState, pidNamespace, processStartTime } from "./owner.ts";

const label = (pid: number, start: string, over: { host?: string; boot?: string; ns?: string } = {}) =>
  ["v2", over.host ?? hostname(), over.boot ?? bootId(), over.ns ?? pidNamespace(), pid, start].join(":");

test("our own label is alive; a dead pid and a reused pid are gone", async () => {
  expect(ownerState(ownerLabel())).toBe("alive");
  const child = Bun.spawn(["true"]);
  await child.exited;
  expect(isOwnerGone(label(child.pid, processStartTime(process.pid)))).toBe(true);
  expect(isOwnerGone(label(process.pid, "1"))).toBe(true);
});

test("owners out of sight are never judged gone: another host, another PID namespace, an older muster's label", () => {
  expect(ownerState(label(process.pid, "1", { host: "some-other-host" }))).toBe("unobservable");
  expect(ownerState(label(2, "1", { ns: "4026531999" }))).toBe("unobservable");
  expect(ownerState(`${hostname()}:2:1`)).toBe("unobservable");
  expect(isOwnerGone(`${hostname()}:2:1`)).toBe(false);
});

test("an owner from an earlier boot of this host is gone", () => {
  expect(ownerState(label(process.pid, processStartTime(process.pid), { boot: "0000earlierboot" }))).toBe("gone");
});
