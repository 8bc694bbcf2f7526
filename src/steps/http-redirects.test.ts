import { expect, test } from "bun:test";
import { hopHeaders, redirectProblem, type Resolve } from "./http-redirects.ts";

const resolve: Resolve = async (host) =>
  ({ "api.example": [{ address: "93.184.216.34", family: 4 }], "internal.example": [{ address: "10.1.2.3", family: 4 }] })[host] ?? [];
const u = (s: string) => new URL(s);

test("a redirect is held to the first request's policy: scheme, no downgrade, no credentials, the address class", async () => {
  const from = u("https://api.example/deploy");
  expect(await redirectProblem(from, u("https://api.example/v2/deploy"), true, resolve)).toBeUndefined();
  expect(await redirectProblem(from, u("http://api.example/deploy"), true, resolve)).toBe("redirect from https to http (http://api.example) refused");
  expect(await redirectProblem(from, u("file:///etc/passwd"), true, resolve)).toContain("only http and https are followed");
  expect(await redirectProblem(from, u("https://u:p@api.example/"), true, resolve)).toContain("with credentials");
  // From a public address to the metadata service, the loopback or a private name: refused.
  for (const to of ["https://169.254.169.254/latest/meta-data/", "https://127.0.0.1:8080/", "https://[::1]/", "https://internal.example/"]) {
    expect(await redirectProblem(from, u(to), true, resolve)).toContain("is not a public address, and the first request went to a public one");
  }
  // A name that does not resolve now is refused too: fetch would ask again, and could get a private address.
  expect(await redirectProblem(from, u("https://flaky-dns.example/"), true, resolve)).toContain("is not a public address");
  // A first request to the private network (the workflow's own services) may be sent within it.
  expect(await redirectProblem(u("http://10.0.0.5/"), u("http://internal.example/"), false, resolve)).toBeUndefined();
});

test("a hop to another origin keeps only harmless headers", () => {
  const headers = new Headers({ authorization: "Bearer t", "x-api-key": "k", cookie: "c", "content-type": "application/json", accept: "*/*" });
  expect([...hopHeaders(headers, u("https://a.example/x"), u("https://a.example/y")).keys()].sort()).toEqual(["accept", "authorization", "content-type", "cookie", "x-api-key"]);
  expect([...hopHeaders(headers, u("https://a.example/x"), u("https://b.example/y")).keys()].sort()).toEqual(["accept", "content-type"]);
});
