/**
 * Where `muster serve` keeps its runs, so that they outlive the process: a
 * dispatch is committed before its 202, a `runId` is remembered across
 * restarts (a retried dispatch gets the stored run), queued runs start
 * again after a restart, runs that were running when a runner died are
 * reported failed ("runner lost while running"), and a final state whose
 * callback was never sent is sent at the next start.
 *
 * One implementation today: SQLite through the runtime (`bun:sqlite`,
 * Deno's `node:sqlite`), one file owned by one runner at a time (a lock
 * file holds its pid). The `RunStore` interface is the seam a shared
 * database for several replicas would implement.
 *
 * The file holds each dispatch as it came, callback token included (a lost
 * run's callback needs it): it is created 0600 in a 0700 directory.
 * @module
 */
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { platform, type SqlDatabase, type SqlValue } from "../platform/index.ts";
import type { CallbackOutcome } from "./callback.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import type { RunState } from "./run-manager.ts";

/** A run as stored. */
export interface StoredRun {
  dispatch: Dispatch;
  state: RunState;
}

/** What the run manager needs from a store. */
export interface RunStore {
  /** Records a new run (queued); durable when this returns. */
  admit(run: StoredRun): void;
  /** Changes a run's state fields. */
  update(runId: string, state: Partial<Omit<RunState, "runId" | "workflow" | "stack" | "createdAt">>): void;
  /** The run with this id, if one was ever admitted (and not yet pruned). */
  find(runId: string): StoredRun | undefined;
  /** Runs that were queued or running, in the order they were admitted. */
  unfinished(): StoredRun[];
  /** Final runs whose callback was never sent. */
  undelivered(): StoredRun[];
  /** Forgets final runs that finished before `before` (ISO time); returns how many. */
  prune(before: string): number;
  close(): void;
}

/** Why the state cannot be opened: the message names the variable to change. */
export class StateError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "StateError";
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  dispatch TEXT NOT NULL,
  status TEXT NOT NULL,
  workflow TEXT NOT NULL,
  stack TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  exit_code INTEGER,
  error TEXT,
  callback TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_finished ON runs (finished_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1');
`;

interface Row {
  run_id: string;
  dispatch: string;
  status: RunState["status"];
  workflow: string;
  stack: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  error: string | null;
  callback: string | null;
}

const COLUMNS = { status: "status", startedAt: "started_at", finishedAt: "finished_at", exitCode: "exit_code", error: "error", callback: "callback" } as const;

function fromRow(row: Row): StoredRun {
  return {
    dispatch: JSON.parse(row.dispatch) as Dispatch,
    state: {
      runId: row.run_id,
      status: row.status,
      workflow: row.workflow,
      stack: row.stack,
      createdAt: row.created_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      exitCode: row.exit_code,
      error: row.error,
      callback: row.callback === null ? null : (JSON.parse(row.callback) as CallbackOutcome),
    },
  };
}

/**
 * The SQLite store in `dir` (made 0700): `runs.db`, and `runs.db.lock`
 * naming the runner that has it. A lock whose runner is gone is taken over.
 *
 * @example
 * ```ts
 * const store = SqliteRunStore.open("/var/lib/muster");
 * store.admit({ dispatch, state });
 * store.find(dispatch.runId)?.state.status; // "queued"
 * ```
 */
export class SqliteRunStore implements RunStore {
  #db: SqlDatabase;
  #lock: string;
  #seq: number;

  private constructor(db: SqlDatabase, lock: string) {
    this.#db = db;
    this.#lock = lock;
    this.#seq = Number(db.all<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM runs")[0]?.seq ?? 0);
  }

  /** Opens (creating) the store in `dir`; throws {@linkcode StateError} when it cannot, or when a live runner has it. */
  static open(dir: string, variable = "MUSTER_STATE_DIR"): SqliteRunStore {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new StateError(variable, `cannot create ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); expected a directory this runner may write`);
    }
    const path = join(dir, "runs.db");
    const lock = `${path}.lock`;
    takeLock(lock, variable);
    try {
      const db = platform.openSqlite(path);
      chmodSync(path, 0o600);
      // WAL with full sync: a committed dispatch survives a power cut, and readers never wait for the writer.
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
      db.exec(SCHEMA);
      return new SqliteRunStore(db, lock);
    } catch (error) {
      rmSync(lock, { force: true });
      if (error instanceof StateError) throw error;
      throw new StateError(variable, `cannot open ${path} (${(error as Error).message})`);
    }
  }

  admit({ dispatch, state }: StoredRun): void {
    this.#db.run(
      "INSERT INTO runs (run_id, seq, dispatch, status, workflow, stack, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      state.runId, ++this.#seq, JSON.stringify(dispatch), state.status, state.workflow, state.stack, state.createdAt,
    );
  }

  update(runId: string, state: Partial<Omit<RunState, "runId" | "workflow" | "stack" | "createdAt">>): void {
    const entries = Object.entries(state) as Array<[keyof typeof COLUMNS, unknown]>;
    if (entries.length === 0) return;
    const values = entries.map(([key, value]): SqlValue => (key === "callback" ? (value === null ? null : JSON.stringify(value)) : (value as SqlValue)));
    this.#db.run(`UPDATE runs SET ${entries.map(([key]) => `${COLUMNS[key]} = ?`).join(", ")} WHERE run_id = ?`, ...values, runId);
  }

  find(runId: string): StoredRun | undefined {
    const row = this.#db.all<Row>("SELECT * FROM runs WHERE run_id = ?", runId)[0];
    return row ? fromRow(row) : undefined;
  }

  unfinished(): StoredRun[] {
    return this.#db.all<Row>("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY seq").map(fromRow);
  }

  undelivered(): StoredRun[] {
    return this.#db.all<Row>("SELECT * FROM runs WHERE status NOT IN ('queued', 'running') AND callback IS NULL ORDER BY seq").map(fromRow);
  }

  prune(before: string): number {
    return this.#db.run("DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < ? AND callback IS NOT NULL", before);
  }

  close(): void {
    this.#db.close();
    rmSync(this.#lock, { force: true });
  }
}

/** Takes the lock file for this process: created exclusively; a lock whose runner is gone is replaced. */
function takeLock(lock: string, variable: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(platform.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new StateError(variable, `cannot create ${lock} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const holder = Number(readFileSync(lock, "utf8").trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== platform.pid && platform.isProcessAlive(holder)) {
      throw new StateError(variable, `${lock} is held by the runner with pid ${holder}: one runner per SQLite state (give each its own ${variable})`);
    }
    rmSync(lock, { force: true }); // its runner is gone (killed -9): take it over
  }
  throw new StateError(variable, `cannot take ${lock}`);
}
