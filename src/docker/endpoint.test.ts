import { expect, test } from "bun:test";
import { resolveEndpoint } from "./endpoint.ts";

test("DOCKER_HOST schemes", async () => {
  expect(await resolveEndpoint({})).toEqual({ display: "unix:///var/run/docker.sock", baseUrl: "http://docker", transport: { unixSocket: "/var/run/docker.sock" } });
  expect((await resolveEndpoint({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).transport).toEqual({ unixSocket: "/run/user/1000/docker.sock" });
  expect((await resolveEndpoint({ DOCKER_HOST: "tcp://10.0.0.5:2375/" })).baseUrl).toBe("http://10.0.0.5:2375");
  await expect(resolveEndpoint({ DOCKER_HOST: "ssh://host" })).rejects.toThrow("DOCKER_HOST=ssh://host: unsupported scheme");
  await expect(resolveEndpoint({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/nonexistent" })).rejects.toThrow("DOCKER_TLS_VERIFY is set but /nonexistent/ca.pem cannot be read");
});
