// Velocity counters as pure arithmetic (R4.1). A counter keeps two buckets of its window's length —
// the current one and the one before — so the count over the last W is estimated as the current
// bucket plus the previous bucket weighted by how much of it still lies inside the window (the
// sliding-window estimate). Reading and adding are O(1) and touch one row per (subject, window).
// Counts and sums are plain numbers (minor units): every value is a safe integer, and a sum that would
// pass 2^53 − 1 minor units (≈ 90 trillion CNY) stays at that bound instead (a counter that saturates
// still reads as more than any threshold). The estimate is the exact integer arithmetic bigints gave.

export const windows = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000, '30d': 30 * 86_400_000 } as const;
export type WindowName = keyof typeof windows;
export const windowNames = Object.keys(windows) as WindowName[];

export interface CounterRow {
  readonly bucket: number;
  readonly count: number;
  readonly sum: number;
  readonly prevCount: number;
  readonly prevSum: number;
  readonly lastAt: number;
}

/** The largest count or sum a counter holds: beyond it a counter stays at it. */
export const counterMax = Number.MAX_SAFE_INTEGER;

/** A stored or given amount as a counter value: a non-negative safe integer, saturated at counterMax. */
export function countable(value: unknown): number {
  const n = typeof value === 'bigint' ? (value > BigInt(counterMax) ? counterMax : Number(value)) : Number(value);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return n >= counterMax ? counterMax : Math.floor(n);
}

/** The row moved to the bucket that holds `now`: buckets that ended are shifted out. */
export function rolled(row: CounterRow | undefined, now: number, windowMs: number): CounterRow {
  const bucket = Math.floor(now / windowMs) * windowMs;
  if (row === undefined) return { bucket, count: 0, sum: 0, prevCount: 0, prevSum: 0, lastAt: 0 };
  if (row.bucket >= bucket) return row;
  if (row.bucket === bucket - windowMs)
    return { bucket, count: 0, sum: 0, prevCount: row.count, prevSum: row.sum, lastAt: row.lastAt };
  return { bucket, count: 0, sum: 0, prevCount: 0, prevSum: 0, lastAt: row.lastAt };
}

/** floor(value × ppm / 10^6), exact for any safe integer `value` and integer ppm in [0, 10^6]. */
function weighted(value: number, ppm: number): number {
  // Below 2^31 the float quotient is within far less than 10^-6 of the exact one, so floor agrees.
  if (value < 2_147_483_648) return Math.floor((value * ppm) / 1_000_000);
  const high = Math.floor(value / 1_000_000);
  return high * ppm + Math.floor(((value - high * 1_000_000) * ppm) / 1_000_000);
}

/** The previous bucket's weight at `now`, in millionths, for a row whose current bucket starts at `bucket`. */
function weightPpm(bucket: number, now: number, windowMs: number): number {
  return Math.max(0, Math.min(1_000_000, Math.floor((1 - (now - bucket) / windowMs) * 1_000_000)));
}

/** The sliding estimate of the count over the last window at `now` (no allocation). */
export function estimateCount(row: CounterRow | undefined, now: number, windowMs: number): number {
  if (row === undefined) return 0;
  const bucket = Math.floor(now / windowMs) * windowMs;
  if (row.bucket === bucket - windowMs) return weighted(row.count, weightPpm(bucket, now, windowMs));
  if (row.bucket < bucket) return 0;
  const count = row.count + weighted(row.prevCount, weightPpm(row.bucket, now, windowMs));
  return count >= counterMax ? counterMax : count;
}

/** The sliding estimate of the sum over the last window at `now`, in minor units (no allocation). */
export function estimateSum(row: CounterRow | undefined, now: number, windowMs: number): number {
  if (row === undefined) return 0;
  const bucket = Math.floor(now / windowMs) * windowMs;
  let sum = 0;
  if (row.bucket >= bucket) sum = row.sum + weighted(row.prevSum, weightPpm(row.bucket, now, windowMs));
  else if (row.bucket === bucket - windowMs) sum = weighted(row.sum, weightPpm(bucket, now, windowMs));
  return sum >= counterMax ? counterMax : sum;
}

/** The sliding estimate of the count and sum over the last window at `now`. */
export function estimate(row: CounterRow | undefined, now: number, windowMs: number): { count: number; sum: number } {
  return { count: estimateCount(row, now, windowMs), sum: estimateSum(row, now, windowMs) };
}

/** The row after one event of `amount` minor units at `now` (a safe integer; see countable). */
export function added(row: CounterRow | undefined, now: number, windowMs: number, amount: number): CounterRow {
  const r = rolled(row, now, windowMs);
  const { bucket, prevCount, prevSum } = r;
  const sum = r.sum + amount;
  return {
    bucket,
    count: r.count >= counterMax ? counterMax : r.count + 1,
    sum: sum >= counterMax ? counterMax : sum,
    prevCount,
    prevSum,
    lastAt: now,
  };
}
