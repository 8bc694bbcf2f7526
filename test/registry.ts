/**
 * A throw-away Docker registry with basic authentication (htpasswd, bcrypt)
 * on a free port of 127.0.0.1: Debian's `docker-registry` (installed by
 * scripts/setup-docker.sh). The engine treats 127.0.0.0/8 registries as
 * insecure, so plain HTTP works. Missing: a failure, never a skip.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./helpers.ts";

export interface Registry {
  /** `127.0.0.1:PORT`. */
  host: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}


/** Starts a registry keeping its data under `dir`; `stop` ends it. */
export async function startAuthRegistry(dir: string): Promise<Registry> {
  if (Bun.spawnSync(["sh", "-c", "command -v docker-registry"]).exitCode !== 0) throw new Error("docker-registry is not installed: run scripts/setup-docker.sh");
  mkdirSync(join(dir, "storage"), { recursive: true });
  const user = "pusher";
  const password = `pw-${crypto.randomUUID().slice(0, 12)}`;
  writeFileSync(join(dir, "htpasswd"), `${user}:${await Bun.password.hash(password, { algorithm: "bcrypt", cost: 4 })}\n`);
  const port = await freePort();
  writeFileSync(join(dir, "config.yml"), `version: 0.1
storage:
  filesystem:
    rootdirectory: ${join(dir, "storage")}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
auth:
  htpasswd:
    realm: muster-test
    path: ${join(dir, "htpasswd")}
`);
  const proc = Bun.spawn(["docker-registry", "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: Bun.file(join(dir, "registry.log")) });
  // Ready once /v2/ asks for credentials.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status, () => 0);
    if (status === 401) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the test registry did not start (see ${join(dir, "registry.log")})`);
    await Bun.sleep(50);
  }
  return {
    host: `127.0.0.1:${port}`,
    user,
    password,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
