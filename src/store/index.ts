// The store's door: open the configured database, run migrations, and the port's types.
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';
import { openSqliteWithWriterThread } from './sqlite-threaded.ts';
import type { Store } from './port.ts';

export type {
  Store, SqliteStore, InlineSqliteStore, ThreadedSqliteStore, SqliteWriterThread, PostgresStore,
  Tx, Queryable, Param, Row,
} from './port.ts';
export { toBool, toBigInt, toNumber } from './port.ts';
export { migrate, pendingMigrations, type MigrationReport } from './migrate.ts';
export {
  redactUrl, queryableOf, retriedTransaction, transientFailures, oneStatementTransaction, type RetryOptions,
} from './postgres.ts';
export { acquireLease, releaseLease, underLease, passLeaseMs, type LeaseRequest } from './leases.ts';
export { runUnderLease, type LeasedSingleton, type LeasedWork } from './singleton.ts';
export {
  databaseAnswers, durabilityOf, probeDurability, startDurabilityMonitor, type Durability, type DurabilityMonitor,
} from './durability.ts';
export {
  CommitOutcomeUnknown, StoreNotDurable, isConnectionFailure, isStoreUnavailable, retriedAcrossFailover,
  type FailoverRetryOptions,
} from './failover.ts';
export { askTogether, type KeyedAsk, type TogetherOptions } from './ask-together.ts';
export { fenceReplays, replayFenceCall, replayFenceSql } from './replay-fence.ts';

export type SqliteWriter = 'inline' | 'worker';

export interface OpenStoreOptions {
  /** A postgres:// URL selects PostgreSQL; otherwise the SQLite file at `sqlitePath`. */
  readonly databaseUrl?: string | undefined;
  readonly sqlitePath: string;
  readonly schema?: string | undefined;
  readonly poolSize?: number;
  /** SQLite only: checkpoint the WAL from a worker thread (long-running servers, benchmarks). */
  readonly backgroundCheckpoint?: boolean;
  /** SQLite only: write on the event loop's connection (inline, the default) or on a writer thread's. */
  readonly sqliteWriter?: SqliteWriter | undefined;
}

export function openStore(options: OpenStoreOptions): Store {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    return openPostgres({
      url: options.databaseUrl,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    });
  }
  const sqlite = { path: options.sqlitePath, backgroundCheckpoint: options.backgroundCheckpoint === true };
  return options.sqliteWriter === 'worker' ? openSqliteWithWriterThread(sqlite) : openSqlite(sqlite);
}
