import { expect, test } from "bun:test";
import { attachRequest, rawTargetOf, responseHead } from "./attach.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

test("the attach request asks for an upgrade, with stdin only when asked", () => {
  expect(attachRequest("1.41", "abc", { stdin: true }, "docker")).toBe(
    "POST /v1.41/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
  );
  expect(attachRequest("1.41", "abc", { stdin: false }, "docker")).toContain("stdin=0&");
});

test("the response head is split off the stream's first bytes once complete", () => {
  expect(responseHead(bytes("HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp"))).toBeUndefined();
  const parsed = responseHead(bytes("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhi\r\n\r\n"))!;
  expect([parsed.status, parsed.head.split("\r\n")[0], new TextDecoder().decode(parsed.rest)]).toEqual([101, "HTTP/1.1 101 UPGRADED", "hi\r\n\r\n"]);
  expect(responseHead(bytes("HTTP/1.1 404 Not Found\r\n\r\n{\"message\":\"No such container: x\"}"))!.status).toBe(404);
});

test("the raw target of an endpoint: its socket, or host and port (with TLS)", () => {
  expect(rawTargetOf({ display: "unix:///s", baseUrl: "http://docker", transport: { unixSocket: "/s" } })).toEqual({ unixSocket: "/s" });
  expect(rawTargetOf({ display: "tcp://h:2375", baseUrl: "http://h:2375", transport: {} })).toEqual({ hostname: "h", port: 2375 });
  expect(rawTargetOf({ display: "tcp://h:2376", baseUrl: "https://h:2376", transport: { tls: { ca: "C" } } })).toEqual({ hostname: "h", port: 2376, tls: { ca: "C", cert: undefined, key: undefined } });
});
