/* eslint-disable security/detect-non-literal-fs-filename -- paths come from operator configuration, never from a request */
// The embedded store: one better-sqlite3 connection in WAL mode with synchronous=FULL, so a
// commit has reached the disk when it returns. Writers take the database lock with BEGIN IMMEDIATE,
// so a balance read inside a transaction cannot change before that transaction writes it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Param, Row, SqliteStore, Tx } from './port.ts';
import { safetyNetCheckpointPages, startBackgroundCheckpointer } from './sqlite-checkpointer.ts';

export interface SqliteOptions {
  readonly path: string;
  /** Checkpoint the WAL from a worker thread instead of inside commits (servers and benchmarks). */
  readonly backgroundCheckpoint?: boolean;
}

const preparedStatementsMax = 2000;

export function openSqlite(options: SqliteOptions): SqliteStore {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // The journal's indexes outgrow SQLite's 2 MB default page cache within seconds of load; a miss
  // then costs a system call per B-tree page. Reads are memory-mapped; writes still go through the
  // WAL with a full fsync per commit.
  db.pragma('cache_size = -262144');
  db.pragma('mmap_size = 1073741824');
  db.pragma('temp_store = MEMORY');
  const checkpointer = options.backgroundCheckpoint === true && options.path !== ':memory:' ? startBackgroundCheckpointer(options.path) : undefined;
  if (checkpointer !== undefined) db.pragma(`wal_autocheckpoint = ${safetyNetCheckpointPages}`);

  // Multi-row statements (a payment batch's inserts, the risk engine's feature read) have one text per
  // batch size, so a server meets new texts for as long as it runs: the cache is bounded, the oldest
  // prepared statement leaving first (preparing one again costs microseconds).
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (statements.size >= preparedStatementsMax) statements.delete(statements.keys().next().value as string);
      statements.set(sql, statement);
    }
    return statement;
  };
  const bind = (params: readonly Param[] | undefined): unknown[] =>
    (params ?? []).map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));

  const queryable: Tx = {
    async all<R extends Row>(sql: string, params?: readonly Param[]) {
      return prepare(sql).all(...bind(params)) as R[];
    },
    async get<R extends Row>(sql: string, params?: readonly Param[]) {
      return prepare(sql).get(...bind(params)) as R | undefined;
    },
    async run(sql: string, params?: readonly Param[]) {
      const statement = prepare(sql);
      if (!statement.reader) return statement.run(...bind(params)).changes;
      // RETURNING clauses make a statement a reader.
      return statement.all(...bind(params)).length;
    },
  };

  // One connection: transactions must not interleave across awaits, so they queue here.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => T | Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };

  return {
    dialect: 'sqlite',
    db,
    description: `sqlite:${options.path}`,
    exclusive,
    all: (sql, params) => exclusive(() => queryable.all(sql, params)),
    get: (sql, params) => exclusive(() => queryable.get(sql, params)),
    run: (sql, params) => exclusive(() => queryable.run(sql, params)),
    transaction: (work) =>
      exclusive(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(queryable);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
    async close() {
      await checkpointer?.stop();
      await exclusive(() => db.close());
    },
  };
}
