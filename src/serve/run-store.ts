/**
 * Where `muster serve` keeps its runs, so that they outlive the process and
 * can be shared by several runners: the queue, the runs running and who
 * runs them, cancel requests and the final states with their callbacks.
 *
 * - A dispatch is committed before its 202, and a `runId` is remembered
 *   (a retried dispatch gets the stored run) until the retention forgets it.
 * - A runner **claims** a queued run in one transaction: the oldest whose
 *   stack no runner is running (a unique index makes two running runs of one
 *   stack impossible, whatever the runners do).
 * - A runner holds what it claimed under a **lease** it renews; a run whose
 *   lease ran out (its runner was killed, or lost the database) is taken
 *   over by one other runner in one statement, reported failed ("runner lost
 *   while running") and called back once. Final runs whose callback was never
 *   sent are taken over the same way.
 * - A cancel for a run another runner is running is recorded here; the owner
 *   reads it when it renews.
 *
 * Two databases: SQLite (the default: one file, one runner at a time, held by
 * an flock on a lock file; a new runner on the file takes over at once) and
 * PostgreSQL (several runners; see `MUSTER_STATE_URL`). The statements are
 * shared ({@linkcode SqlConnection}); migrations run at start.
 *
 * The database holds each dispatch as it came, callback token included (a
 * lost run's callback needs it): the SQLite file is 0600 in a 0700 directory.
 * @module
 */
import { closeSync, mkdirSync, readFileSync, writeSync } from "node:fs";
import { EXIT_CONFIG, EXIT_USAGE } from "../exit-codes.ts";
import { currentUid, describeUid, NotOwnFileError, openOwnFile, ownDirProblem } from "../files/owned-path.ts";
import type { FileLock } from "../platform/types.ts";
import { join } from "node:path";
import { platform } from "../platform/index.ts";
import type { CallbackOutcome } from "./callback.ts";
import type { Dispatch } from "./dispatch-schema.ts";
import { shownWaitingFor, type FinalStatus, type RunState, type RunStatus, type Suspension } from "./run-record.ts";
import { postgresConnection, sqliteConnection, type SqlConnection } from "./sql-connection.ts";
import { redactUrl, urlSecrets } from "./state-url.ts";

/** A run as stored. */
export interface StoredRun {
  dispatch: Dispatch;
  state: RunState;
  /** A waiting run's (and a resumed run's, until it ends): what it needs to go on. */
  suspension?: Suspension;
  /** A resumed run, as claimed: the answers it was resumed with (the store lets go of them at the claim). */
  resumeAnswers?: Record<string, string>;
}

export type { FinalStatus } from "./run-record.ts";

/** How admission went: a new run, the run already stored under that id, or no room. */
export type Admission = { kind: "admitted" } | { kind: "known"; run: StoredRun } | { kind: "full"; why: string };

/** The limits a dispatch is admitted under. */
export interface QueueBounds {
  /** Queued runs in all (MUSTER_QUEUE_SIZE). */
  queueSize: number;
  /** Queued runs of one stack (MUSTER_QUEUE_PER_STACK). */
  queuePerStack: number;
  /** Whether the admitting runner has a free slot: a run that can start at once is not held to the bounds. */
  slotFree: boolean;
}

/** The runs' shared state (see the module comment). */
export interface RunStore {
  /** Whether other runners may share it (PostgreSQL): then a runner polls it for work and cancel requests. */
  readonly shared: boolean;
  /** Stores a new queued run unless one with its id exists; durable when this resolves. */
  admit(run: StoredRun, bounds: QueueBounds): Promise<Admission>;
  /** Claims the oldest queued run whose stack nobody is running, for `owner`; undefined when there is none. */
  claim(owner: string, leaseMs: number): Promise<StoredRun | undefined>;
  /** Stores a final state if `owner` still holds the run; false when it does not (another runner took it over). */
  finish(runId: string, owner: string, final: { status: FinalStatus; exitCode: number | null; error: string | null }): Promise<boolean>;
  /** Cancels a queued or waiting run for `owner`, who then calls it back; undefined when it is neither. */
  cancelQueued(runId: string, owner: string, reason: string, leaseMs: number): Promise<StoredRun | undefined>;
  /**
   * Stores a running run of `owner`'s as waiting at a prompt (`suspension`):
   * it holds no lease and no slot, only its stack; false when `owner` no
   * longer holds it. Its wait is timed from `suspension.waitingFor.since`,
   * which the runner sets from its own clock (never the run's).
   */
  suspend(runId: string, owner: string, suspension: Suspension): Promise<boolean>;
  /**
   * Puts a waiting run back in the queue with `answers`, ahead of other
   * queued runs (any runner claims it); undefined when it is not waiting,
   * or no longer at the suspension `since` (`waitingFor.since`, the one the
   * answers were checked against).
   */
  resume(runId: string, answers: Record<string, string>, since: string): Promise<StoredRun | undefined>;
  /** Fails the runs that have waited since before `before` (ISO time; a run waiting since an unknown time has waited too long) with `reason`, now `owner`'s to call back. */
  expireWaiting(owner: string, leaseMs: number, before: string, reason: string): Promise<StoredRun[]>;
  /** Records a cancel request for a running run (its owner carries it out). */
  requestCancel(runId: string, reason: string): Promise<void>;
  /**
   * Claims the runner id `owner` for this process (shared stores): refused
   * with {@linkcode StateError} (naming MUSTER_RUNNER_ID) while another live
   * process holds it, that is while its heartbeat (renewed by `renew`) has
   * not run out. Let go at `close`.
   */
  registerRunner(owner: string, ttlMs: number): Promise<void>;
  /** Extends `owner`'s leases (and its heartbeat); returns the runs it still holds and the cancel requests for them. */
  renew(owner: string, leaseMs: number): Promise<{ held: Set<string>; cancels: Map<string, string> }>;
  /** Takes over running runs whose lease ran out: they are failed "runner lost while running", now `owner`'s to call back. */
  takeOverLost(owner: string, leaseMs: number): Promise<StoredRun[]>;
  /**
   * Takes the leases of running runs whose lease ran out, for `owner`, and
   * leaves them running (their stacks stay taken): `owner` removes what they
   * left on the engine, then stores them failed with `finish`.
   */
  adoptLost(owner: string, leaseMs: number): Promise<StoredRun[]>;
  /** Takes over final runs whose callback was never sent and whose lease ran out. */
  takeOverUndelivered(owner: string, leaseMs: number): Promise<StoredRun[]>;
  /** Stores how a run's callback went: nothing is left to do for it (its owner stays, as who ran it). */
  delivered(runId: string, outcome: CallbackOutcome): Promise<void>;
  /**
   * Leaves a final run's callback to be sent (shutdown stopped its retries):
   * the callback stays unsent and the lease is let go, so the next start, or
   * another runner, takes it over with `takeOverUndelivered` (the outbox).
   */
  abandonCallback(runId: string): Promise<void>;
  /** The run with this id, if one was admitted (and not yet forgotten). */
  find(runId: string): Promise<StoredRun | undefined>;
  /** Queued, running and waiting runs, across every runner. */
  counts(): Promise<{ queued: number; running: number; waiting: number }>;
  /** Forgets final runs called back before `before` (ISO time); returns how many. */
  prune(before: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Why the state cannot be opened: the message names the variable to change;
 * `exitCode` is 78 (EX_CONFIG) for a state this runner must not trust, else 2.
 */
export class StateError extends Error {
  constructor(readonly variable: string, message: string, readonly exitCode: number = EXIT_USAGE) {
    super(`${variable}: ${message}`);
    this.name = "StateError";
  }
}

/** A state path another user could have planted or may change: refused with exit 78. */
function untrusted(variable: string, path: string, problem: string, kind: "directory" | "file"): StateError {
  const expected = kind === "directory"
    ? `a directory owned by this runner's user (${describeUid(currentUid())}) that group and others cannot write (muster creates it 0700)`
    : `a regular file owned by this runner's user (${describeUid(currentUid())}), not a symlink`;
  return new StateError(variable, `${path} ${problem}; expected ${expected}. The path comes from ${variable}: remove what is there, or set ${variable} to a directory of this user's own`, EXIT_CONFIG);
}

interface Row {
  run_id: string;
  dispatch: string;
  status: RunStatus;
  workflow: string;
  stack: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  error: string | null;
  callback: string | null;
  owner: string | null;
  suspension?: string | null;
  resume_answers?: string | null;
}

function fromRow(row: Row): StoredRun {
  const suspension = row.suspension ? (JSON.parse(row.suspension) as Suspension) : undefined;
  return {
    ...(suspension ? { suspension } : {}),
    dispatch: JSON.parse(row.dispatch) as Dispatch,
    state: {
      runId: row.run_id,
      status: row.status,
      workflow: row.workflow,
      stack: row.stack,
      createdAt: row.created_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      exitCode: row.exit_code === null ? null : Number(row.exit_code),
      error: row.error,
      callback: row.callback === null ? null : (JSON.parse(row.callback) as CallbackOutcome),
      runner: row.owner ?? null,
      ...(row.status === "waiting" && suspension ? { waitingFor: shownWaitingFor(suspension.waitingFor) } : {}),
    },
  };
}

/**
 * The schema's versions, in order: the version a database is at is kept in
 * `meta`, and each start applies the ones after it. Version 1 is the
 * single-runner SQLite store of muster 0.5; version 2 adds owners, leases
 * and cancel requests.
 */
const MIGRATIONS: Array<(sql: SqlConnection["dialect"]) => string[]> = [
  (d) => [
    `CREATE TABLE IF NOT EXISTS runs (
      run_id TEXT PRIMARY KEY, ${d.seqColumn}, dispatch TEXT NOT NULL, status TEXT NOT NULL, workflow TEXT NOT NULL, stack TEXT,
      created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, exit_code INTEGER, error TEXT, callback TEXT)`,
    "CREATE INDEX IF NOT EXISTS runs_status ON runs (status)",
    "CREATE INDEX IF NOT EXISTS runs_finished ON runs (finished_at)",
  ],
  (d) => [
    "ALTER TABLE runs ADD COLUMN owner TEXT",
    `ALTER TABLE runs ADD COLUMN lease_until ${d.bigint}`,
    "ALTER TABLE runs ADD COLUMN cancel_reason TEXT",
    // Never two running runs of one stack, whichever runners claim them.
    "CREATE UNIQUE INDEX IF NOT EXISTS runs_one_running_per_stack ON runs (stack) WHERE status = 'running'",
    "CREATE INDEX IF NOT EXISTS runs_seq ON runs (seq)",
  ],
  // Version 3: a row per live runner id, with a heartbeat (renewed with the leases): a second live replica under one id is refused.
  (d) => [`CREATE TABLE IF NOT EXISTS runners (runner_id TEXT PRIMARY KEY, instance TEXT NOT NULL, heartbeat_until ${d.bigint} NOT NULL)`],
  // Version 4: runs waiting at a prompt (approval gates): what they need to go on, since when, and the answers a resumed run is claimed with.
  () => [
    "ALTER TABLE runs ADD COLUMN suspension TEXT",
    "ALTER TABLE runs ADD COLUMN waiting_since TEXT",
    "ALTER TABLE runs ADD COLUMN resume_answers TEXT",
  ],
];

/** Brings the schema up to date, one runner at a time. */
async function migrate(sql: SqlConnection): Promise<void> {
  // Two runners starting at once: the second waits, then finds the schema made (IF NOT EXISTS races otherwise).
  await sql.exclusive(async (tx) => {
    await tx.query("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const at = Number((await tx.query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema'"))[0]?.value ?? 0);
    for (const [index, migration] of MIGRATIONS.entries()) {
      if (index < at) continue;
      for (const statement of migration(tx.dialect)) await tx.query(statement);
    }
    await tx.query("DELETE FROM meta WHERE key = 'schema'");
    await tx.query("INSERT INTO meta (key, value) VALUES ('schema', ?)", String(MIGRATIONS.length));
  });
}

const FINAL = "status IN ('succeeded', 'failed', 'canceled')";

/**
 * The run store over a SQL database.
 *
 * @example
 * ```ts
 * const store = await SqlRunStore.openSqlite("/var/lib/muster");
 * await store.admit({ dispatch, state }, { queueSize: 32, queuePerStack: 32, slotFree: true });
 * const run = await store.claim("runner-1", 30_000); // the run, now running
 * ```
 */
export class SqlRunStore implements RunStore {
  #sql: SqlConnection;
  #release: () => void;
  /** This process's claim on its runner id (registerRunner). */
  #registered?: { owner: string; instance: string; ttlMs: number };
  readonly shared: boolean;

  private constructor(sql: SqlConnection, shared: boolean, release: () => void) {
    this.#sql = sql;
    this.shared = shared;
    this.#release = release;
  }

  /**
   * Opens (creating) the SQLite store in `dir` (made 0700): `runs.db`, and
   * `runs.db.lock`, flocked by the runner that has it. A lock whose runner is
   * gone is taken over, and with it every lease: that runner's runs are lost.
   * Throws {@linkcode StateError} when it cannot open, or a live runner has it,
   * and with exit code 78 when the directory or a file in it is not this
   * user's own (another owner, group/other-writable, a symlink).
   */
  static async openSqlite(dir: string, variable = "MUSTER_STATE_DIR"): Promise<SqlRunStore> {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new StateError(variable, `cannot create ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); expected a directory this runner may write`);
    }
    // A directory someone else made (or can write) could hold a planted database: never used (S8).
    const { problem } = ownDirProblem(dir);
    if (problem) throw untrusted(variable, dir, problem, "directory");
    const path = join(dir, "runs.db");
    const lock = `${path}.lock`;
    const held = takeLock(lock, variable);
    try {
      // Checked on a descriptor opened without following links, and made 0600 through it; SQLite then opens the
      // same entry, which nobody else can replace in a directory only this user writes.
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        let fd: number;
        try {
          fd = openOwnFile(file, { access: "read-write", create: file === path, mode: 0o600 });
        } catch (error) {
          if (error instanceof NotOwnFileError) throw untrusted(variable, file, error.problem, "file");
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
          throw error;
        }
        closeSync(fd);
      }
      const db = platform.openSqlite(path);
      // WAL with full sync: a committed dispatch survives a power cut, and readers never wait for the writer.
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
      const sql = sqliteConnection(db);
      await migrate(sql);
      // The lock says no other runner is alive on this file: whatever it held is lost now, not in a lease's time.
      await sql.query("UPDATE runs SET lease_until = 0 WHERE status = 'running' OR owner IS NOT NULL");
      return new SqlRunStore(sql, false, () => held.release());
    } catch (error) {
      held.release();
      if (error instanceof StateError) throw error;
      throw new StateError(variable, `cannot open ${path} (${(error as Error).message})`);
    }
  }

  /**
   * Connects to PostgreSQL and migrates; throws {@linkcode StateError} naming
   * `variable` when it cannot. Messages show `shown` (the URL without its
   * password, or the file it came from), and the driver's words with every
   * form of the password masked.
   */
  static async openPostgres(url: string, variable = "MUSTER_STATE_URL", shown = redactUrl(url)): Promise<SqlRunStore> {
    const mask = (message: string) => {
      let out = message.split(url).join(shown);
      for (const secret of urlSecrets(url)) out = out.split(secret).join("…");
      return out;
    };
    let sql: SqlConnection;
    try {
      sql = postgresConnection(await platform.openPostgres(url));
    } catch (error) {
      throw new StateError(variable, `cannot connect to ${shown} (${mask((error as Error).message)})`);
    }
    try {
      await migrate(sql);
    } catch (error) {
      await sql.close().catch(() => {});
      throw new StateError(variable, `cannot prepare the tables at ${shown} (${mask((error as Error).message)})`);
    }
    return new SqlRunStore(sql, true, () => {});
  }

  async admit({ dispatch, state }: StoredRun, bounds: QueueBounds): Promise<Admission> {
    return this.#sql.exclusive(async (tx) => {
      const known = (await tx.query<Row>("SELECT * FROM runs WHERE run_id = ?", state.runId))[0];
      if (known) return { kind: "known", run: fromRow(known) };
      const stackBusy = dispatch.stack !== undefined && (await tx.query("SELECT 1 FROM runs WHERE stack = ? AND status IN ('running', 'waiting')", dispatch.stack)).length > 0;
      if (!bounds.slotFree || stackBusy) {
        // The bound holds whatever the queued runs wait for (a busy stack included): a burst is refused, not buffered.
        const [{ queued }] = await tx.query<{ queued: number }>("SELECT COUNT(*) AS queued FROM runs WHERE status = 'queued'") as [{ queued: number }];
        if (Number(queued) >= bounds.queueSize) return { kind: "full", why: "the queue is full" };
        if (dispatch.stack !== undefined) {
          const [{ waiting }] = await tx.query<{ waiting: number }>("SELECT COUNT(*) AS waiting FROM runs WHERE status = 'queued' AND stack = ?", dispatch.stack) as [{ waiting: number }];
          if (Number(waiting) >= bounds.queuePerStack) return { kind: "full", why: `stack ${JSON.stringify(dispatch.stack)} has ${bounds.queuePerStack} queued runs (MUSTER_QUEUE_PER_STACK)` };
        }
      }
      await tx.query(
        `INSERT INTO runs (run_id, seq, dispatch, status, workflow, stack, created_at) VALUES (?, ${tx.dialect.nextSeq}, ?, 'queued', ?, ?, ?)`,
        state.runId, JSON.stringify(dispatch), state.workflow, state.stack, state.createdAt,
      );
      return { kind: "admitted" };
    });
  }

  async claim(owner: string, leaseMs: number): Promise<StoredRun | undefined> {
    const claimed = await this.#sql.exclusive(async (tx) => {
      // A waiting run holds its stack (the plan it shows is of that stack); a resumed one goes first.
      const next = (await tx.query<{ run_id: string; resume_answers: string | null }>(
        `SELECT run_id, resume_answers FROM runs q WHERE status = 'queued'
           AND (stack IS NULL OR NOT EXISTS (SELECT 1 FROM runs r WHERE r.stack = q.stack AND r.status IN ('running', 'waiting')))
         ORDER BY CASE WHEN resume_answers IS NULL THEN 1 ELSE 0 END, seq LIMIT 1`,
      ))[0];
      if (!next) return undefined;
      // The answers go with the claim and are not kept: a password's never stays in the store.
      const rows = await tx.query<Row>(
        `UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?), owner = ?, lease_until = ${tx.dialect.nowMs} + ?, resume_answers = NULL WHERE run_id = ? AND status = 'queued' RETURNING *`,
        new Date().toISOString(), owner, leaseMs, next.run_id,
      );
      return rows[0] ? { row: rows[0], answers: next.resume_answers } : undefined;
    });
    if (!claimed) return undefined;
    const run = fromRow(claimed.row);
    if (claimed.answers !== null) run.resumeAnswers = JSON.parse(claimed.answers) as Record<string, string>;
    else delete run.suspension; // a fresh run: nothing to go on from
    return run;
  }

  async suspend(runId: string, owner: string, suspension: Suspension): Promise<boolean> {
    const rows = await this.#sql.query(
      "UPDATE runs SET status = 'waiting', suspension = ?, waiting_since = ?, lease_until = NULL WHERE run_id = ? AND owner = ? AND status = 'running' RETURNING run_id",
      JSON.stringify(suspension), suspension.waitingFor.since, runId, owner,
    );
    return rows.length === 1;
  }

  async resume(runId: string, answers: Record<string, string>, since: string): Promise<StoredRun | undefined> {
    // Only at the suspension the answers were checked against: a run that resumed and waits again since is another question.
    const rows = await this.#sql.query<Row>(
      "UPDATE runs SET status = 'queued', resume_answers = ?, waiting_since = NULL, cancel_reason = NULL WHERE run_id = ? AND status = 'waiting' AND waiting_since = ? RETURNING *",
      JSON.stringify(answers), runId, since,
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async expireWaiting(owner: string, leaseMs: number, before: string, reason: string): Promise<StoredRun[]> {
    const rows = await this.#sql.query<Row>(
      `UPDATE runs SET status = 'failed', error = ?, exit_code = NULL, finished_at = ?, owner = ?, lease_until = ${this.#sql.dialect.nowMs} + ?, waiting_since = NULL
       WHERE status = 'waiting' AND (waiting_since IS NULL OR waiting_since < ?) RETURNING *`,
      reason, new Date().toISOString(), owner, leaseMs, before,
    );
    return rows.map(fromRow);
  }

  async finish(runId: string, owner: string, final: { status: FinalStatus; exitCode: number | null; error: string | null }): Promise<boolean> {
    const rows = await this.#sql.query(
      "UPDATE runs SET status = ?, exit_code = ?, error = ?, finished_at = ?, cancel_reason = NULL WHERE run_id = ? AND owner = ? AND status = 'running' RETURNING run_id",
      final.status, final.exitCode, final.error, new Date().toISOString(), runId, owner,
    );
    return rows.length === 1;
  }

  async cancelQueued(runId: string, owner: string, reason: string, leaseMs: number): Promise<StoredRun | undefined> {
    const rows = await this.#sql.query<Row>(
      `UPDATE runs SET status = 'canceled', error = ?, finished_at = ?, owner = ?, lease_until = ${this.#sql.dialect.nowMs} + ?, resume_answers = NULL, waiting_since = NULL WHERE run_id = ? AND status IN ('queued', 'waiting') RETURNING *`,
      reason, new Date().toISOString(), owner, leaseMs, runId,
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async requestCancel(runId: string, reason: string): Promise<void> {
    await this.#sql.query("UPDATE runs SET cancel_reason = ? WHERE run_id = ? AND status = 'running' AND cancel_reason IS NULL", reason, runId);
  }

  async registerRunner(owner: string, ttlMs: number): Promise<void> {
    const instance = crypto.randomUUID();
    const holder = await this.#sql.exclusive(async (tx) => {
      const live = (await tx.query<{ instance: string; until_ms: number }>(
        `SELECT instance, heartbeat_until - ${tx.dialect.nowMs} AS until_ms FROM runners WHERE runner_id = ? AND heartbeat_until >= ${tx.dialect.nowMs}`, owner,
      ))[0];
      if (live) return live;
      await tx.query("DELETE FROM runners WHERE runner_id = ?", owner);
      await tx.query(`INSERT INTO runners (runner_id, instance, heartbeat_until) VALUES (?, ?, ${tx.dialect.nowMs} + ?)`, owner, instance, ttlMs);
      return undefined;
    });
    if (holder) {
      throw new StateError("MUSTER_RUNNER_ID", `${JSON.stringify(owner)} is the id of a live replica on this store (its heartbeat runs for another ${Math.max(0, Math.ceil(Number(holder.until_ms) / 1000))}s): two live replicas under one id would renew each other's leases, and neither would take over the other's lost runs. Give each replica its own MUSTER_RUNNER_ID, or leave it unset (a unique id is made at each start)`);
    }
    this.#registered = { owner, instance, ttlMs };
  }

  async renew(owner: string, leaseMs: number): Promise<{ held: Set<string>; cancels: Map<string, string> }> {
    const me = this.#registered;
    if (me) await this.#sql.query(`UPDATE runners SET heartbeat_until = ${this.#sql.dialect.nowMs} + ? WHERE runner_id = ? AND instance = ?`, me.ttlMs, me.owner, me.instance);
    const rows = await this.#sql.query<{ run_id: string; status: RunStatus; cancel_reason: string | null }>(
      `UPDATE runs SET lease_until = ${this.#sql.dialect.nowMs} + ? WHERE owner = ? AND (status = 'running' OR (${FINAL} AND callback IS NULL)) RETURNING run_id, status, cancel_reason`,
      leaseMs, owner,
    );
    const cancels = new Map<string, string>();
    for (const row of rows) if (row.status === "running" && row.cancel_reason !== null) cancels.set(row.run_id, row.cancel_reason);
    return { held: new Set(rows.map((row) => row.run_id)), cancels };
  }

  async takeOverLost(owner: string, leaseMs: number): Promise<StoredRun[]> {
    const rows = await this.#sql.query<Row>(
      `UPDATE runs SET status = 'failed', error = 'runner lost while running', exit_code = NULL, finished_at = ?, owner = ?, lease_until = ${this.#sql.dialect.nowMs} + ?
       WHERE status = 'running' AND lease_until < ${this.#sql.dialect.nowMs} RETURNING *`,
      new Date().toISOString(), owner, leaseMs,
    );
    return rows.map(fromRow);
  }

  async adoptLost(owner: string, leaseMs: number): Promise<StoredRun[]> {
    const rows = await this.#sql.query<Row>(
      `UPDATE runs SET owner = ?, lease_until = ${this.#sql.dialect.nowMs} + ? WHERE status = 'running' AND lease_until < ${this.#sql.dialect.nowMs} RETURNING *`,
      owner, leaseMs,
    );
    return rows.map(fromRow);
  }

  async takeOverUndelivered(owner: string, leaseMs: number): Promise<StoredRun[]> {
    const rows = await this.#sql.query<Row>(
      `UPDATE runs SET owner = ?, lease_until = ${this.#sql.dialect.nowMs} + ? WHERE ${FINAL} AND callback IS NULL AND (lease_until IS NULL OR lease_until < ${this.#sql.dialect.nowMs}) RETURNING *`,
      owner, leaseMs,
    );
    return rows.map(fromRow);
  }

  async delivered(runId: string, outcome: CallbackOutcome): Promise<void> {
    await this.#sql.query("UPDATE runs SET callback = ?, lease_until = NULL WHERE run_id = ?", JSON.stringify(outcome), runId);
  }

  async abandonCallback(runId: string): Promise<void> {
    await this.#sql.query(`UPDATE runs SET lease_until = 0 WHERE run_id = ? AND ${FINAL} AND callback IS NULL`, runId);
  }

  async find(runId: string): Promise<StoredRun | undefined> {
    const row = (await this.#sql.query<Row>("SELECT * FROM runs WHERE run_id = ?", runId))[0];
    return row ? fromRow(row) : undefined;
  }

  async counts(): Promise<{ queued: number; running: number; waiting: number }> {
    const rows = await this.#sql.query<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM runs WHERE status IN ('queued', 'running', 'waiting') GROUP BY status");
    const of = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
    return { queued: of("queued"), running: of("running"), waiting: of("waiting") };
  }

  async prune(before: string): Promise<number> {
    return (await this.#sql.query(`DELETE FROM runs WHERE ${FINAL} AND finished_at < ? AND callback IS NOT NULL RETURNING run_id`, before)).length;
  }

  async close(): Promise<void> {
    // A graceful stop frees the id at once (a killed runner's frees itself when its heartbeat runs out).
    const me = this.#registered;
    if (me) await this.#sql.query("DELETE FROM runners WHERE runner_id = ? AND instance = ?", me.owner, me.instance).catch(() => {});
    await this.#sql.close();
    this.#release();
  }
}

export { redactUrl } from "./state-url.ts";

/**
 * Takes the lock file for this process: an flock, which the kernel frees when
 * its holder dies, so a runner killed -9 (in any PID namespace) leaves it free
 * and a live one (in any PID namespace) always holds it. The file names the
 * holder's pid, for people.
 */
function takeLock(lock: string, variable: string): FileLock {
  let held: FileLock | undefined;
  try {
    held = platform.tryLockFile(lock);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || /symlink|regular file/.test((error as Error).message)) throw untrusted(variable, lock, "is a symlink or not a regular file", "file");
    throw new StateError(variable, `cannot create ${lock} (${code ?? (error as Error).message})`);
  }
  if (!held) {
    let holder = "?";
    try {
      holder = readFileSync(lock, "utf8").trim() || "?";
    } catch {
      // unreadable: the pid stays unknown
    }
    throw new StateError(variable, `${lock} is held by the runner with pid ${holder}: one runner per SQLite state (give each its own ${variable}, or share a PostgreSQL MUSTER_STATE_URL)`);
  }
  try {
    const fd = openOwnFile(lock, { access: "write", create: false, mode: 0o600 });
    writeSync(fd, String(platform.pid));
    closeSync(fd);
  } catch (error) {
    held.release();
    if (error instanceof NotOwnFileError) throw untrusted(variable, lock, error.problem, "file");
    throw error;
  }
  return held;
}
