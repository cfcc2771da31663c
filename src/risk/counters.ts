// Velocity counters as pure arithmetic (R4.1). A counter keeps two buckets of its window's length —
// the current one and the one before — so the count over the last W is estimated as the current
// bucket plus the previous bucket weighted by how much of it still lies inside the window (the
// sliding-window estimate). Reading and adding are O(1) and touch one row per (subject, window).

export const windows = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000, '30d': 30 * 86_400_000 } as const;
export type WindowName = keyof typeof windows;
export const windowNames = Object.keys(windows) as WindowName[];

export interface CounterRow {
  readonly bucket: number;
  readonly count: bigint;
  readonly sum: bigint;
  readonly prevCount: bigint;
  readonly prevSum: bigint;
  readonly lastAt: number;
}

/** The row moved to the bucket that holds `now`: buckets that ended are shifted out. */
export function rolled(row: CounterRow | undefined, now: number, windowMs: number): CounterRow {
  const bucket = Math.floor(now / windowMs) * windowMs;
  if (row === undefined) return { bucket, count: 0n, sum: 0n, prevCount: 0n, prevSum: 0n, lastAt: 0 };
  if (row.bucket >= bucket) return row;
  if (row.bucket === bucket - windowMs)
    return { bucket, count: 0n, sum: 0n, prevCount: row.count, prevSum: row.sum, lastAt: row.lastAt };
  return { bucket, count: 0n, sum: 0n, prevCount: 0n, prevSum: 0n, lastAt: row.lastAt };
}

/** The sliding estimate of the count and sum over the last window at `now`. */
export function estimate(row: CounterRow | undefined, now: number, windowMs: number): { count: number; sum: bigint } {
  if (row === undefined) return { count: 0, sum: 0n };
  const r = rolled(row, now, windowMs);
  const weightPpm = BigInt(Math.max(0, Math.min(1_000_000, Math.floor((1 - (now - r.bucket) / windowMs) * 1_000_000))));
  return {
    count: Number(r.count + (r.prevCount * weightPpm) / 1_000_000n),
    sum: r.sum + (r.prevSum * weightPpm) / 1_000_000n,
  };
}

export function added(row: CounterRow | undefined, now: number, windowMs: number, amount: bigint): CounterRow {
  const r = rolled(row, now, windowMs);
  const { bucket, prevCount, prevSum } = r;
  return { bucket, count: r.count + 1n, sum: r.sum + amount, prevCount, prevSum, lastAt: now };
}
