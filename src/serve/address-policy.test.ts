import { describe, expect, test } from "bun:test";
import { CallbackRefused, checkCallbackUrl, isBlockedAddress } from "./address-policy.ts";

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
