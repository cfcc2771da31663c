// The server store: PostgreSQL through `pg`. Many API processes may share one database; the
// schema option lets tests (and tenants, if ever) keep to a schema of their own.
import pg from 'pg';
import type { Param, PostgresStore, Row, Tx } from './port.ts';

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

export function openPostgres(options: PostgresOptions): PostgresStore {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name '${schema}'`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 16,
    options: `-c search_path=${schema}`,
  });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const queryable = queryableOf(pool);
  return {
    dialect: 'postgres',
    pool,
    schema,
    description: redactUrl(options.url) + (schema === 'public' ? '' : ` (schema ${schema})`),
    ...queryable,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(queryableOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
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
    const client = await store.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (attempt >= attemptsMax || code === undefined || !retryOn.has(code)) throw error;
    } finally {
      client.release();
    }
  }
}
