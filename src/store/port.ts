// The database port: a handful of methods that every capability's `store.ts` uses, implemented by
// the SQLite adapter (embedded default) and the PostgreSQL adapter. SQL is written once with `?`
// placeholders; the PostgreSQL adapter numbers them. Integers come back as bigint from both.
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

export type Param = string | number | bigint | boolean | Buffer | null;
export type Row = Record<string, unknown>;

export interface Queryable {
  all<R extends Row = Row>(sql: string, params?: readonly Param[]): Promise<R[]>;
  get<R extends Row = Row>(sql: string, params?: readonly Param[]): Promise<R | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
}

export type Tx = Queryable;

interface StoreBase extends Queryable {
  /** Runs `work` in one transaction: all of it commits, or none of it. No network calls inside. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** A short description safe for logs (never the password of a URL). */
  readonly description: string;
}

interface SqliteStoreBase extends StoreBase {
  readonly dialect: 'sqlite';
  /** Serialises transactions on the single writing connection; hot paths take it too. */
  exclusive<T>(work: () => T | Promise<T>): Promise<T>;
}

/** One connection on the event loop: every statement and every commit's fsync runs there. */
export interface InlineSqliteStore extends SqliteStoreBase {
  readonly writer: 'inline';
  /** The connection, for hot paths that run synchronously (the ledger committer). */
  readonly db: BetterSqlite3.Database;
}

/**
 * Writes (and reads inside transactions) on a second connection in a worker thread; reads outside a
 * transaction on this thread's connection. Hot paths run there as procedures a module installs.
 */
export interface ThreadedSqliteStore extends SqliteStoreBase {
  readonly writer: 'worker';
  readonly writerThread: SqliteWriterThread;
}

export interface SqliteWriterThread {
  /**
   * Imports a module (a file URL) into the writer thread once; its `writerProcedures(db)` export
   * returns the procedures `call` can name, which run synchronously on the writer's connection.
   */
  load(moduleUrl: string): void;
  /** Runs a procedure; the caller holds `exclusive` or is inside a transaction of this store. */
  call<T>(procedure: string, args: readonly unknown[]): Promise<T>;
}

export type SqliteStore = InlineSqliteStore | ThreadedSqliteStore;

export interface PostgresStore extends StoreBase {
  readonly dialect: 'postgres';
  readonly pool: pg.Pool;
  /** The schema the connection works in (tests use one schema each). */
  readonly schema: string;
}

export type Store = SqliteStore | PostgresStore;

/** Normalises a boolean column (SQLite stores 0/1). */
export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n;
}

/** Normalises an integer column to bigint (both adapters already return bigint; this asserts it). */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new Error(`expected an integer column, got ${typeof value}`);
}

export function toNumber(value: unknown): number {
  return Number(toBigInt(value));
}
