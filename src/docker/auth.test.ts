import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registryAuthHeader, registryOf } from "./auth.ts";

test("registryOf", () => {
  expect(registryOf("postgres")).toBe("docker.io");
  expect(registryOf("library/postgres:16")).toBe("docker.io");
  expect(registryOf("127.0.0.1:5000/a/b:1")).toBe("127.0.0.1:5000");
  expect(registryOf("ghcr.io/org/app")).toBe("ghcr.io");
});

test("credentials from config.json auths", async () => {
  const dir = mkdtempSync(join(tmpdir(), "muster-auth-"));
  try {
    writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { "127.0.0.1:5000": { auth: btoa("user:p:ss") } } }));
    const header = await registryAuthHeader("127.0.0.1:5000/a:1", { DOCKER_CONFIG: dir });
    const decoded = JSON.parse(atob(header!.replaceAll("-", "+").replaceAll("_", "/")));
    expect(decoded).toEqual({ username: "user", password: "p:ss", serveraddress: "127.0.0.1:5000" });
    expect(await registryAuthHeader("other.io/a", { DOCKER_CONFIG: dir })).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
