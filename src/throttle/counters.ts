// Fixed-window counters in the database, so every API process on one PostgreSQL counts the same hits
// (a limit held in one process's memory is a limit per process, not per customer or source). A hit is
// one UPSERT that returns the new count; the window is `now` rounded down to `windowMs`. Expired rows
// are swept in small batches.
import type { Queryable, Store } from '../store/index.ts';
import { toNumber } from '../store/index.ts';

export interface WindowCount {
  readonly hits: number;
  /** When the window ends (the count starts again). */
  readonly resetAt: number;
}

export function windowStartOf(now: number, windowMs: number): number {
  return now - (now % windowMs);
}

/** Counts one hit (or `by`) on `bucket` in the window holding `now`; returns the count after it. */
export async function countHit(
  q: Queryable,
  bucket: string,
  windowMs: number,
  now: number,
  by = 1,
): Promise<WindowCount> {
  const start = windowStartOf(now, windowMs);
  const row = await q.get<{ hits: unknown }>(
    `INSERT INTO rate_counters (bucket, window_start, hits, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + excluded.hits RETURNING hits`,
    [bucket, start, by, start + windowMs],
  );
  return { hits: toNumber(row?.hits ?? by), resetAt: start + windowMs };
}

/** The count of `bucket` in the window holding `now`, without counting. */
export async function hitsOf(q: Queryable, bucket: string, windowMs: number, now: number): Promise<WindowCount> {
  const start = windowStartOf(now, windowMs);
  const row = await q.get<{ hits: unknown }>('SELECT hits FROM rate_counters WHERE bucket = ? AND window_start = ?', [
    bucket,
    start,
  ]);
  return { hits: row === undefined ? 0 : toNumber(row.hits), resetAt: start + windowMs };
}

/** Deletes up to `limit` windows that have ended; returns how many went. */
export async function sweepCounters(q: Queryable, now: number, limit = 1000): Promise<number> {
  return q.run(
    `DELETE FROM rate_counters
     WHERE bucket IN (SELECT bucket FROM rate_counters WHERE expires_at <= ? LIMIT ?) AND expires_at <= ?`,
    [now, limit, now],
  );
}

/**
 * One hit counted in its own transaction, for a request rate limit: on PostgreSQL without waiting for
 * the commit to reach the disk (a lost count after a crash is acceptable; a slower request is not),
 * in one round trip: the statement is its own transaction and sets `synchronous_commit` for it alone
 * (set_config's third argument: local to the transaction), which PostgreSQL reads when it commits.
 */
export async function countRequest(store: Store, key: string, windowMs: number, now: number): Promise<WindowCount> {
  if (store.dialect !== 'postgres') return store.transaction((tx) => countHit(tx, key, windowMs, now));
  const start = windowStartOf(now, windowMs);
  const row = await store.get<{ hits: unknown }>(
    `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)
     INSERT INTO rate_counters (bucket, window_start, hits, expires_at)
     SELECT ?, ?, 1, ? FROM relaxed
     ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + excluded.hits RETURNING hits`,
    [key, start, start + windowMs],
  );
  return { hits: toNumber(row?.hits ?? 1), resetAt: start + windowMs };
}
