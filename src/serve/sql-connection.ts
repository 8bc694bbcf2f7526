/**
 * One asynchronous way to talk to the run store's database, whether it is
 * the runtime's SQLite (synchronous underneath) or PostgreSQL. Statements
 * are written once, with `?` parameters; the few places the two dialects
 * differ are the {@linkcode Dialect}'s fields.
 * @module
 */
import type { PostgresClient, SqlDatabase, SqlValue } from "../platform/index.ts";

/** What differs between SQLite and PostgreSQL in the store's statements. */
export interface Dialect {
  name: "sqlite" | "postgres";
  /** The database's clock in epoch milliseconds (leases are compared on one clock, the database's). */
  nowMs: string;
  /** A column type for epoch milliseconds. */
  bigint: string;
  /** The admission counter's column and its value for a new row. */
  seqColumn: string;
  nextSeq: string;
}

/** Statements and transactions over one database. */
export interface SqlConnection {
  readonly dialect: Dialect;
  query<T = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): Promise<T[]>;
  /** Runs `work` in one transaction; every statement of the store that changes two things goes through here. */
  transaction<T>(work: (tx: Pick<SqlConnection, "query" | "dialect">) => Promise<T>): Promise<T>;
  /**
   * A transaction that no other runner's exclusive transaction overlaps:
   * admissions, claims and migrations happen one at a time across every
   * runner on the database (PostgreSQL: a transaction-level advisory lock;
   * SQLite: its transactions already are, one writer and one runner a file).
   */
  exclusive<T>(work: (tx: Pick<SqlConnection, "query" | "dialect">) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const SQLITE: Dialect = {
  name: "sqlite",
  nowMs: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
  bigint: "INTEGER",
  seqColumn: "seq INTEGER NOT NULL",
  nextSeq: "(SELECT COALESCE(MAX(seq), 0) + 1 FROM runs)",
};

const POSTGRES: Dialect = {
  name: "postgres",
  nowMs: "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
  bigint: "BIGINT",
  seqColumn: "seq BIGSERIAL",
  nextSeq: "DEFAULT",
};

/** The advisory lock of `exclusive`: any constant works, it only has to be the same for every runner (the ASCII of "must"). */
const EXCLUSIVE_LOCK = "SELECT pg_advisory_xact_lock(1836413812)";

/**
 * SQLite behind the asynchronous interface. Its calls are synchronous, but
 * a transaction's work awaits between statements, so every use takes its
 * turn: nothing else runs on the connection inside a transaction.
 *
 * @example
 * ```ts
 * const sql = sqliteConnection(platform.openSqlite("/tmp/runs.db"));
 * await sql.query("SELECT 1 AS one"); // [{ one: 1 }]
 * ```
 */
export function sqliteConnection(db: SqlDatabase): SqlConnection {
  let turn: Promise<unknown> = Promise.resolve();
  const transaction: SqlConnection["transaction"] = (work) =>
    inTurn(async () => {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = await work({ dialect: SQLITE, query });
        db.exec("COMMIT");
        return result;
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    });
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = turn.then(work);
    turn = result.catch(() => {});
    return result;
  };
  const query = async <T>(sql: string, ...params: SqlValue[]) => db.all<T>(sql, ...params);
  return {
    dialect: SQLITE,
    query: (sql, ...params) => inTurn(() => query(sql, ...params)),
    transaction,
    exclusive: transaction,
    close: () => inTurn(async () => db.close()),
  };
}

/** `?` parameters as PostgreSQL's `$1`, `$2`, ... (the store's statements have no `?` elsewhere). */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/**
 * PostgreSQL behind the same interface.
 *
 * @example
 * ```ts
 * const sql = postgresConnection(await platform.openPostgres("postgres://muster:pw@127.0.0.1:5432/muster"));
 * await sql.query("SELECT ? AS one", 1); // [{ one: 1 }]
 * ```
 */
export function postgresConnection(client: PostgresClient): SqlConnection {
  const scoped = (tx: Pick<PostgresClient, "query">) => ({ dialect: POSTGRES, query: <T>(sql: string, ...params: SqlValue[]) => tx.query<T>(numbered(sql), params) });
  return {
    dialect: POSTGRES,
    query: (sql, ...params) => client.query(numbered(sql), params),
    transaction: (work) => client.transaction((tx) => work(scoped(tx))),
    exclusive: (work) =>
      client.transaction(async (tx) => {
        await tx.query(EXCLUSIVE_LOCK);
        return work(scoped(tx));
      }),
    close: () => client.close(),
  };
}
