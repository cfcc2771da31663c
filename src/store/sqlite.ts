// The embedded store: one better-sqlite3 connection in WAL mode with synchronous=FULL, so a
// commit has reached the disk when it returns. Writers take the database lock with BEGIN IMMEDIATE,
// so a balance read inside a transaction cannot change before that transaction writes it.
import type { InlineSqliteStore, Param, Row, Tx } from './port.ts';
import { bind, exclusiveQueue, openConnection, runStatement, statementCache } from './sqlite-connection.ts';
import { safetyNetCheckpointPages, startBackgroundCheckpointer } from './sqlite-checkpointer.ts';

export interface SqliteOptions {
  readonly path: string;
  /** Checkpoint the WAL from a worker thread instead of inside commits (servers and benchmarks). */
  readonly backgroundCheckpoint?: boolean;
}

export function openSqlite(options: SqliteOptions): InlineSqliteStore {
  const background = options.backgroundCheckpoint === true && options.path !== ':memory:';
  const db = openConnection(options.path, { autocheckpointPages: background ? safetyNetCheckpointPages : undefined });
  const checkpointer = background ? startBackgroundCheckpointer(options.path) : undefined;
  const prepare = statementCache(db);

  const queryable: Tx = {
    async all<R extends Row>(sql: string, params?: readonly Param[]) {
      return prepare(sql).all(...bind(params)) as R[];
    },
    async get<R extends Row>(sql: string, params?: readonly Param[]) {
      return prepare(sql).get(...bind(params)) as R | undefined;
    },
    async run(sql: string, params?: readonly Param[]) {
      return runStatement(prepare(sql), bind(params));
    },
  };

  // One connection: transactions must not interleave across awaits, so they queue here.
  const exclusive = exclusiveQueue();

  return {
    dialect: 'sqlite',
    writer: 'inline',
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
