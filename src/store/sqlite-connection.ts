/* eslint-disable security/detect-non-literal-fs-filename -- paths come from operator configuration */
// One better-sqlite3 connection as the store uses it: WAL, synchronous=FULL, bigints, a bounded cache
// of prepared statements. Both SQLite stores open theirs here (the inline store one, the store with a
// writer thread one per thread), so the two connections of one file are configured alike.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Param } from './port.ts';

export interface ConnectionOptions {
  /** Pages the WAL may hold before a commit checkpoints by itself; undefined keeps SQLite's default. */
  readonly autocheckpointPages?: number | undefined;
  /** Refuse writes on this connection (the reading connection of the store with a writer thread). */
  readonly queryOnly?: boolean;
}

export function openConnection(path: string, options: ConnectionOptions = {}): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
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
  if (options.autocheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${options.autocheckpointPages}`);
  if (options.queryOnly === true) db.pragma('query_only = ON');
  return db;
}

const preparedStatementsMax = 2000;

/**
 * Multi-row statements (a payment batch's inserts, the risk engine's feature read) have one text per
 * batch size, so a server meets new texts for as long as it runs: the cache is bounded, the oldest
 * prepared statement leaving first (preparing one again costs microseconds).
 */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (statements.size >= preparedStatementsMax) statements.delete(statements.keys().next().value as string);
      statements.set(sql, statement);
    }
    return statement;
  };
}

/** SQLite has no boolean: true and false bind as 1 and 0. */
export const bind = (params: readonly Param[] | undefined): unknown[] =>
  (params ?? []).map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));

/** Runs a statement for `run()`: the rows changed (a RETURNING clause makes a statement a reader). */
export function runStatement(statement: Database.Statement, params: readonly unknown[]): number {
  if (!statement.reader) return statement.run(...params).changes;
  return statement.all(...params).length;
}

/** A FIFO queue: work given to it runs one at a time, in order, across its awaits. */
export function exclusiveQueue(): <T>(work: () => T | Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => T | Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
}
