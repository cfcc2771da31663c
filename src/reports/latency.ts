// Request latency for the operational reports: each API process counts requests per hour, route,
// status class and logarithmic bucket in memory and adds the counts to the store every few seconds
// (one upsert per touched cell, outside every request's transaction). Buckets grow by 20 %, so a
// percentile read back is exact to within one bucket (±10 %).
import type { Queryable, Store } from '../store/index.ts';
import { toNumber } from '../store/index.ts';

const growth = 1.2;
const hourMs = 3600_000;
export const latencyBucketMax = 80;

/** The bucket of a duration: bucket b holds (1.2^(b-1), 1.2^b] ms; bucket 0 holds ≤ 1 ms. */
export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(latencyBucketMax, Math.ceil(Math.log(ms) / Math.log(growth)));
}

/** The upper bound (ms) of a bucket: what a percentile falling in it reports. */
export function bucketUpperMs(bucket: number): number {
  return bucket === 0 ? 1 : Math.round(growth ** bucket * 10) / 10;
}

export interface LatencyRecorder {
  record(route: string, statusCode: number, ms: number, at: number): void;
  /** Adds what was counted since the last flush to the store; safe to call concurrently. */
  flush(store: Store): Promise<number>;
}

export function createLatencyRecorder(): LatencyRecorder {
  let cells = new Map<string, number>();
  return {
    record(route, statusCode, ms, at) {
      const hour = Math.floor(at / hourMs) * hourMs;
      const statusClass = `${Math.floor(statusCode / 100)}xx`;
      const key = `${hour}\u0000${route.slice(0, 200)}\u0000${statusClass}\u0000${latencyBucket(ms)}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    },
    async flush(store) {
      if (cells.size === 0) return 0;
      const taken = cells;
      cells = new Map();
      try {
        await store.transaction(async (tx) => {
          for (const [key, count] of taken) await addCell(tx, key, count);
        });
      } catch (error) {
        // Put the counts back so the next flush carries them.
        for (const [key, count] of taken) cells.set(key, (cells.get(key) ?? 0) + count);
        throw error;
      }
      return taken.size;
    },
  };
}

async function addCell(tx: Queryable, key: string, count: number): Promise<void> {
  const [hour, route, statusClass, bucket] = key.split('\u0000');
  await tx.run(
    `INSERT INTO request_latency (hour_start, route, status_class, bucket, count) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (hour_start, route, status_class, bucket)
     DO UPDATE SET count = request_latency.count + excluded.count`,
    [Number(hour), String(route), String(statusClass), Number(bucket), count],
  );
}

export interface LatencyCell {
  readonly hourStart: number;
  readonly route: string;
  readonly statusClass: string;
  readonly bucket: number;
  readonly count: number;
}

export async function latencyCells(q: Queryable, from: number, to: number): Promise<LatencyCell[]> {
  const rows = await q.all(
    `SELECT hour_start, route, status_class, bucket, count FROM request_latency
     WHERE hour_start >= ? AND hour_start < ?`,
    [Math.floor(from / hourMs) * hourMs, to],
  );
  return rows.map((r) => ({
    hourStart: toNumber(r.hour_start),
    route: String(r.route),
    statusClass: String(r.status_class),
    bucket: toNumber(r.bucket),
    count: toNumber(r.count),
  }));
}

/** The p-th percentile (0 < p ≤ 100) of bucket counts, as the bucket's upper bound in ms; null when empty. */
export function percentileMs(counts: ReadonlyMap<number, number>, p: number): number | null {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bucket) ?? 0;
    if (seen >= rank) return bucketUpperMs(bucket);
  }
  return null;
}
