// Fixed-window counters in the database, so every API process on one PostgreSQL counts the same hits
// (a limit held in one process's memory is a limit per process, not per customer or source). A hit is
// one UPSERT that returns the new count; the window is `now` rounded down to `windowMs`. Expired rows
// are swept in small batches.
import type { Queryable, Store } from '../store/index.ts';
import { askTogether, toNumber } from '../store/index.ts';

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

interface RequestHit {
  readonly bucket: string;
  readonly windowStart: number;
  readonly expiresAt: number;
  /** Makes every hit its own ask: hits are counted, never shared. */
  readonly sequence: number;
}

let hitSequence = 0;

/**
 * Hits on request counters counted together on PostgreSQL: one statement adds each window's hits
 * and returns its total; the hits of one window are answered in the order they were asked (the last
 * one sees the total, each earlier one the total less the hits after it), as one statement each
 * would have. The statement is its own transaction and does not wait for the disk (set_config's
 * third argument: local to the transaction, read by PostgreSQL when it commits).
 */
const countTogether = askTogether<RequestHit, number>({
  identity: (hit) => String(hit.sequence),
  async one(q, hit) {
    return (await countHit(q, hit.bucket, hit.expiresAt - hit.windowStart, hit.windowStart)).hits;
  },
  async many(store, hits) {
    const rows = await store.all<{ bucket: string; window_start: unknown; hits: unknown }>(
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting),
            asked AS (SELECT a->>0 AS bucket, CAST(a->>1 AS BIGINT) AS window_start, CAST(a->>2 AS BIGINT) AS expires_at
                      FROM jsonb_array_elements(CAST(? AS jsonb)) AS a)
       INSERT INTO rate_counters (bucket, window_start, hits, expires_at)
       SELECT bucket, window_start, COUNT(*), MAX(expires_at) FROM asked, relaxed GROUP BY bucket, window_start
       ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + excluded.hits
       RETURNING bucket, window_start, hits`,
      [JSON.stringify(hits.map((hit) => [hit.bucket, String(hit.windowStart), String(hit.expiresAt)]))],
    );
    const totals = new Map(rows.map((row) => [`${row.bucket}\u0000${toNumber(row.window_start)}`, toNumber(row.hits)]));
    const after = new Map<string, number>();
    const counts: number[] = new Array<number>(hits.length);
    for (let i = hits.length - 1; i >= 0; i--) {
      const hit = hits[i] as RequestHit;
      const window = `${hit.bucket}\u0000${hit.windowStart}`;
      const later = after.get(window) ?? 0;
      counts[i] = (totals.get(window) ?? later + 1) - later;
      after.set(window, later + 1);
    }
    return counts;
  },
});

/**
 * One hit counted for a request rate limit, in its own transaction: on SQLite one UPSERT; on
 * PostgreSQL together with the other requests' hits of the moment (a lost count after a crash is
 * acceptable; a slower request is not).
 */
export async function countRequest(store: Store, key: string, windowMs: number, now: number): Promise<WindowCount> {
  const windowStart = windowStartOf(now, windowMs);
  const resetAt = windowStart + windowMs;
  if (store.dialect !== 'postgres') return store.transaction((tx) => countHit(tx, key, windowMs, now));
  const hit = { bucket: key, windowStart, expiresAt: resetAt, sequence: hitSequence++ };
  return { hits: await countTogether(store, hit), resetAt };
}
