// The server store: PostgreSQL through `pg`. Many API processes may share one database; the
// schema option lets tests (and tenants, if ever) keep to a schema of their own.
import pg from 'pg';
import type { Param, PostgresStore, Row, Tx } from './port.ts';
import { CommitOutcomeUnknown, isConnectionFailure } from './failover.ts';

// int8 (bigint) as BigInt: amounts and sequence numbers never pass through a float.
pg.types.setTypeParser(20, (text) => BigInt(text));

export interface PostgresOptions {
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
}

/** Rewrites `?` placeholders to `$1, $2 …`, leaving quoted text alone. */
export function numberPlaceholders(sql: string): string {
  let index = 0;
  let quoted = false;
  let out = '';
  for (const char of sql) {
    if (char === "'") quoted = !quoted;
    out += char === '?' && !quoted ? `$${++index}` : char;
  }
  return out;
}

const cache = new Map<string, string>();
function translate(sql: string): string {
  let text = cache.get(sql);
  if (text === undefined) {
    text = numberPlaceholders(sql);
    cache.set(sql, text);
  }
  return text;
}

/** The port's queries over a pool or one checked-out client (a transaction a caller opened itself). */
export function queryableOf(client: pg.Pool | pg.PoolClient): Tx {
  const query = (sql: string, params?: readonly Param[]) => client.query(translate(sql), params as unknown[] | undefined);
  return {
    async all<R extends Row>(sql: string, params?: readonly Param[]) {
      return (await query(sql, params)).rows as R[];
    },
    async get<R extends Row>(sql: string, params?: readonly Param[]) {
      return (await query(sql, params)).rows[0] as R | undefined;
    },
    async run(sql: string, params?: readonly Param[]) {
      return (await query(sql, params)).rowCount ?? 0;
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

const connectTimeoutMs = 5_000;

/** SQLSTATE classes after which a failed COMMIT certainly rolled back: integrity and transaction rollback. */
const rolledBackClasses: ReadonlySet<string> = new Set(['23', '40']);

/**
 * One transaction on one pooled client. A client whose connection failed is destroyed, not returned
 * to the pool, so the next request gets a fresh connection (to the new leader, through haproxy).
 * A COMMIT that fails without a certain rollback, or that PostgreSQL answers with a warning that it
 * stopped waiting for the synchronous standby (committed here, not known to be replicated), throws
 * CommitOutcomeUnknown: the caller must look, by idempotency key, before it tries again.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  let replicationWaitCancelled = false;
  // Without a listener, an error on a checked-out client (server gone between queries) would crash the process.
  const onError = (error: Error) => { broken = error; };
  const onNotice = (notice: { message?: string }) => {
    if (/synchronous replication/i.test(notice.message ?? '')) replicationWaitCancelled = true;
  };
  client.on('error', onError);
  client.on('notice', onNotice);
  try {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      if (isConnectionFailure(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
      throw error;
    }
    await commit(client, () => replicationWaitCancelled, (error) => { broken = error; });
    return result;
  } catch (error) {
    if (broken === undefined && isConnectionFailure(error)) broken = error as Error;
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.removeListener('notice', onNotice);
    client.release(broken);
  }
}

async function commit(
  client: pg.PoolClient,
  replicationWaitCancelled: () => boolean,
  markBroken: (error: Error) => void,
): Promise<void> {
  try {
    await client.query('COMMIT');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && rolledBackClasses.has(code.slice(0, 2))) throw error;
    markBroken(error as Error);
    throw new CommitOutcomeUnknown(error);
  }
  if (replicationWaitCancelled()) {
    markBroken(new Error('the synchronous replication wait was cancelled'));
    throw new CommitOutcomeUnknown(new Error('PostgreSQL stopped waiting for the synchronous standby'));
  }
}

/**
 * One statement that is its own transaction (no BEGIN: PostgreSQL commits it when it ends), so a
 * write made by one server-side function costs one round trip. An error the server answers with
 * means it rolled back; a connection that fails while the statement ran, or a commit that stopped
 * waiting for the synchronous standby, leaves the outcome unknown (CommitOutcomeUnknown), as for
 * a COMMIT in inTransaction, and the client is dropped rather than returned to the pool.
 */
export async function oneStatementTransaction(
  pool: pg.Pool, sql: string, params: readonly unknown[],
): Promise<pg.QueryResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  let replicationWaitCancelled = false;
  const onError = (error: Error) => { broken = error; };
  const onNotice = (notice: { message?: string }) => {
    if (/synchronous replication/i.test(notice.message ?? '')) replicationWaitCancelled = true;
  };
  client.on('error', onError);
  client.on('notice', onNotice);
  try {
    let result: pg.QueryResult;
    try {
      result = await client.query(sql, params as unknown[]);
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
      broken = error as Error;
      throw new CommitOutcomeUnknown(error);
    }
    if (replicationWaitCancelled) {
      broken = new Error('the synchronous replication wait was cancelled');
      throw new CommitOutcomeUnknown(new Error('PostgreSQL stopped waiting for the synchronous standby'));
    }
    return result;
  } finally {
    client.removeListener('error', onError);
    client.removeListener('notice', onNotice);
    client.release(broken);
  }
}

export function openPostgres(options: PostgresOptions): PostgresStore {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name '${schema}'`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 16,
    options: `-c search_path=${schema}`,
    // A dead peer (a leader that crashed or froze) is noticed by TCP keepalive, and a new
    // connection that haproxy cannot route gives up instead of hanging the request.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // An idle client that errors (server restart) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  const queryable = queryableOf(pool);
  return {
    dialect: 'postgres',
    pool,
    schema,
    description: redactUrl(options.url) + (schema === 'public' ? '' : ` (schema ${schema})`),
    ...queryable,
    transaction: (work) => inTransaction(pool, (client) => work(queryableOf(client))),
    async close() {
      await pool.end();
    },
  };
}

/** SQLSTATEs after which a whole transaction is simply tried again: deadlock, serialisation failure. */
export const transientFailures: ReadonlySet<string> = new Set(['40P01', '40001']);

export interface RetryOptions {
  /** SQLSTATEs that make the transaction run again from the start (default: transientFailures). */
  readonly retryOn?: ReadonlySet<string>;
  readonly attemptsMax?: number;
}

/**
 * Runs `work` in one transaction on one pooled client; when it fails with a retryable SQLSTATE it is
 * rolled back and run again whole, so callers (the ledger's and the payments' group commits) never
 * see a deadlock that the fixed lock order made rare but cannot make impossible across processes.
 */
export async function retriedTransaction<T>(store: PostgresStore, work: (client: pg.PoolClient) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retryOn = options.retryOn ?? transientFailures;
  const attemptsMax = options.attemptsMax ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(store.pool, work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= attemptsMax || code === undefined || !retryOn.has(code)) throw error;
    }
  }
}
