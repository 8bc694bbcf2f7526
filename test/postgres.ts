/**
 * A throw-away PostgreSQL cluster for tests: Debian's `postgresql` binaries
 * (installed by scripts/setup-test-env.sh), a data directory under the
 * system temp dir, a free port on 127.0.0.1, a password user (SCRAM, as a
 * real deployment), stopped and removed by `stop`. A missing PostgreSQL is a
 * failure, never a skip.
 */
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./helpers.ts";

export interface Postgres {
  port: number;
  /** A URL for a new, empty database. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = "muster";
const PASSWORD = "pg-test-password-2b7d";

function binDir(): string {
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) : [];
  if (versions.length === 0) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/setup-test-env.sh");
  return `/usr/lib/postgresql/${versions.sort((a, b) => Number(b) - Number(a))[0]}/bin`;
}


/** Runs a PostgreSQL program as the `postgres` user when we are root (the server refuses to run as root). */
function run(command: string[], asPostgres: boolean): void {
  const argv = asPostgres ? ["runuser", "-u", "postgres", "--", ...command] : command;
  const result = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${command[0]} failed (${result.exitCode}): ${result.stderr.toString()}${result.stdout.toString()}`);
}

/** Starts a cluster; call `stop` in `afterAll`. */
export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), "muster-pg-test-"));
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) {
    const ids = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
    const gid = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
    if (!ids) throw new Error("no postgres user: run scripts/setup-test-env.sh");
    chownSync(root, Number(ids), Number(gid));
  }
  const data = join(root, "data");
  const pwfile = join(root, "pw");
  writeFileSync(pwfile, PASSWORD, { mode: 0o600 });
  if (asPostgres) Bun.spawnSync(["chown", "postgres:postgres", pwfile]);
  run([`${bin}/initdb`, "-D", data, "-U", USER, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions"], asPostgres);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  run([`${bin}/pg_ctl`, "-D", data, "-o", options, "-l", join(root, "log"), "-w", "-t", "60", "start"], asPostgres);
  const admin = new Bun.SQL(`postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, { max: 1 });
  return {
    port,
    async database(name) {
      await admin.unsafe(`CREATE DATABASE "${name}"`);
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.close({ timeout: 0 }).catch(() => {});
      try {
        run([`${bin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"], asPostgres);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
