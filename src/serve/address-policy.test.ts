import { describe, expect, test } from "bun:test";
import { CallbackRefused, callbackUrlProblem, checkCallbackUrl, isBlockedAddress } from "./address-policy.ts";

describe("isBlockedAddress", () => {
  test("blocks loopback, private, link-local, unique-local and mapped forms", () => {
    for (const ip of ["127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
      "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:a9fe:a9fe", "64:ff9b::7f00:1", "2002:7f00:1::1"]) {
      expect(isBlockedAddress(ip)).toBe(true);
    }
  });
  test("allows public addresses", () => {
    for (const ip of ["93.184.216.34", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]) expect(isBlockedAddress(ip)).toBe(false);
  });
});

describe("checkCallbackUrl", () => {
  const none = new Set<string>();
  const publicDns = async () => [{ address: "93.184.216.34", family: 4 }];
  test("refuses loopback in every spelling", async () => {
    for (const url of ["https://127.0.0.1/cb", "https://2130706433/cb", "https://0x7f.1/cb", "https://[::ffff:127.0.0.1]/cb", "https://[::1]/cb", "https://169.254.169.254/latest", "https://017700000001/"]) {
      await expect(checkCallbackUrl(url, none)).rejects.toBeInstanceOf(CallbackRefused);
    }
  });
  test("refuses names that resolve to private addresses, and plain http", async () => {
    await expect(checkCallbackUrl("https://internal.example/cb", none, async () => [{ address: "10.1.2.3", family: 4 }])).rejects.toThrow("resolves to 10.1.2.3");
    await expect(checkCallbackUrl("http://hooks.example/cb", none, publicDns)).rejects.toThrow("must use https");
    await expect(checkCallbackUrl("https://user:pw@hooks.example/cb", none, publicDns)).rejects.toThrow("credentials");
  });
  test("pins the checked address; allow-listed hosts may be http and private", async () => {
    expect(await checkCallbackUrl("https://hooks.example/cb", none, publicDns)).toMatchObject({ hostname: "hooks.example", address: "93.184.216.34" });
    expect((await checkCallbackUrl("http://127.0.0.1:9000/cb", new Set(["127.0.0.1"]))).address).toBe("127.0.0.1");
  });
});

describe("the IANA special-purpose ranges the review found open", () => {
  test("SIIT, Teredo, site-local, discard, 6to4 relays, segment routing, ORCHID, documentation and AS112 are blocked", () => {
    for (const ip of ["::ffff:0:7f00:1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "fec0::1", "100::1", "192.88.99.1", "5f00::1", "2001:20::1", "3fff::1", "192.175.48.1", "192.31.196.1", "64:ff9b:1::1"]) {
      expect([ip, isBlockedAddress(ip)]).toEqual([ip, true]);
    }
    for (const ip of ["2001:4860:4860::8888", "2a00:1450::1", "192.88.98.1"]) expect([ip, isBlockedAddress(ip)]).toEqual([ip, false]);
  });
});

describe("callbackUrlProblem (at dispatch, without resolving)", () => {
  const none = new Set<string>();
  test.each([
    ["file:///etc/passwd", "must use https (got file)"],
    ["javascript:alert(1)", "must use https (got javascript)"],
    ["http://hooks.example/cb", "is not in MUSTER_CALLBACK_ALLOW_HOSTS for http"],
    ["https://127.0.0.1/cb", "127.0.0.1 is not a public address"],
    ["https://[::ffff:0:7f00:1]/cb", "is not a public address"],
    ["https://a:b@hooks.example/cb", "must not carry credentials"],
  ])("%s is refused", (url, why) => {
    expect(callbackUrlProblem(url, none)).toContain(why);
  });
  test("a public https URL, and an allow-listed http host, pass", () => {
    expect(callbackUrlProblem("https://hooks.example/cb", none)).toBeUndefined();
    expect(callbackUrlProblem("http://127.0.0.1:9000/cb", new Set(["127.0.0.1"]))).toBeUndefined();
  });
});

test("every resolved address is checked and kept for fallback", async () => {
  const dual = async () => [{ address: "2606:4700::1111", family: 6 }, { address: "1.1.1.1", family: 4 }];
  expect((await checkCallbackUrl("https://hooks.example/cb", new Set(), dual)).addresses).toEqual([{ address: "2606:4700::1111", family: 6 }, { address: "1.1.1.1", family: 4 }]);
  const mixed = async () => [{ address: "1.1.1.1", family: 4 }, { address: "10.0.0.1", family: 4 }];
  await expect(checkCallbackUrl("https://hooks.example/cb", new Set(), mixed)).rejects.toThrow("resolves to 10.0.0.1");
});
