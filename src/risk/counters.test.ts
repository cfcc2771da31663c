// Velocity counters: the sliding-window estimate against the exact count of a random event history —
// never below the events in the current bucket, never above the events of the last two buckets, exact
// when the window holds one bucket only; sums have the same bounds. Counters are plain numbers: against a
// bigint reference the estimate is exact for every safe integer, and a sum past 2^53 − 1 saturates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { added, counterMax, countable, estimate, rolled, type CounterRow } from './counters.ts';
import { countedRows, countInto, seenKeysToMark } from './money-features.ts';

const windowMs = 60_000;

test('property: the estimate lies between the current bucket and the last two buckets', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 10 * windowMs }), fc.integer({ min: 1, max: 10_000 })), {
        maxLength: 60,
      }),
      fc.integer({ min: 0, max: 2 * windowMs }),
      (raw, after) => {
        const events = [...raw].sort(([a], [b]) => a - b);
        let row: CounterRow | undefined;
        for (const [at, amount] of events) row = added(row, at, windowMs, amount);
        const now = (events.at(-1)?.[0] ?? 0) + after;
        const bucket = Math.floor(now / windowMs) * windowMs;
        const inCurrent = events.filter(([at]) => at >= bucket);
        const inTwo = events.filter(([at]) => at >= bucket - windowMs);
        const { count, sum } = estimate(row, now, windowMs);
        assert.ok(
          count >= inCurrent.length && count <= inTwo.length,
          `${count} not in [${inCurrent.length}, ${inTwo.length}]`,
        );
        const total = (list: typeof events) => list.reduce((s, [, a]) => s + a, 0);
        assert.ok(sum >= total(inCurrent) && sum <= total(inTwo));
      },
    ),
    { numRuns: 1000 },
  );
});

test('at the start of a bucket the previous bucket counts whole; a bucket later it is gone', () => {
  let row = added(undefined, 10_000, windowMs, 5);
  row = added(row, 20_000, windowMs, 7);
  assert.deepEqual(estimate(row, 59_999, windowMs), { count: 2, sum: 12 });
  assert.deepEqual(estimate(row, 60_000, windowMs), { count: 2, sum: 12 });
  assert.deepEqual(estimate(row, 90_000, windowMs), { count: 1, sum: 6 });
  assert.deepEqual(estimate(row, 120_000, windowMs), { count: 0, sum: 0 });
  assert.deepEqual(estimate(undefined, 120_000, windowMs), { count: 0, sum: 0 });
});

/** The estimate as it was computed in bigints (the reference the number arithmetic must equal). */
function bigintEstimate(row: CounterRow, now: number, window: number): { count: bigint; sum: bigint } {
  const r = rolled(row, now, window);
  const ppm = BigInt(Math.max(0, Math.min(1_000_000, Math.floor((1 - (now - r.bucket) / window) * 1_000_000))));
  return {
    count: BigInt(r.count) + (BigInt(r.prevCount) * ppm) / 1_000_000n,
    sum: BigInt(r.sum) + (BigInt(r.prevSum) * ppm) / 1_000_000n,
  };
}

test('property: the estimate equals the bigint arithmetic for any safe integer counts and sums', () => {
  const value = fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.maxSafeNat());
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }).map((b) => b * windowMs),
      value,
      value,
      value,
      value,
      fc.integer({ min: 0, max: 4 * windowMs }),
      (bucket, count, sum, prevCount, prevSum, now) => {
        const row: CounterRow = { bucket, count, sum, prevCount, prevSum, lastAt: bucket };
        const got = estimate(row, now, windowMs);
        const want = bigintEstimate(row, now, windowMs);
        const max = BigInt(counterMax);
        assert.equal(got.count, Number(want.count > max ? max : want.count));
        assert.equal(got.sum, Number(want.sum > max ? max : want.sum));
      },
    ),
    { numRuns: 3000 },
  );
});

test('a sum that would pass 2^53 − 1 minor units stays at that bound, and still counts', () => {
  let row = added(undefined, 10_000, windowMs, counterMax - 5);
  row = added(row, 20_000, windowMs, 7);
  assert.deepEqual(estimate(row, 30_000, windowMs), { count: 2, sum: counterMax });
  assert.equal(countable(2n ** 60n), counterMax);
  assert.equal(countable('123456789012345678901'), counterMax);
  assert.equal(countable('4200'), 4200);
  assert.equal(countable(4200), 4200);
});

const event = fc.record({
  event: fc.constant('payment' as const),
  customerId: fc.constantFrom('cus_a', 'cus_b'),
  deviceId: fc.constantFrom('dev_a', 'dev_b'),
  ip: fc.constantFrom(null, '203.0.113.9', '198.51.100.7'),
  payeeId: fc.constantFrom(null, 'cus_c', 'cus_d'),
  cardRef: fc.constantFrom(null, 'card_1'),
  amount: fc.record({ minor: fc.bigInt({ min: 1n, max: 10_000n }), currency: fc.constant('CNY') }),
});

test('property: countInto counts a batch as countedRows does, event by event, first-seen pairs included', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(event, fc.integer({ min: 0, max: 3 * windowMs })), { maxLength: 20 }), (raw) => {
      const inPlace = { counters: new Map<string, CounterRow>(), seen: new Set<string>() };
      const byMaps = { counters: new Map<string, CounterRow>(), seen: new Set<string>() };
      let now = 1_700_000_000_000;
      for (const [e, gap] of raw) {
        now += gap;
        countInto(inPlace.counters, inPlace.seen, e, now);
        const fresh = new Set(seenKeysToMark(e).filter((key) => !byMaps.seen.has(key)));
        for (const [key, row] of countedRows([e], byMaps.counters, fresh, now)) byMaps.counters.set(key, row);
        for (const key of fresh) byMaps.seen.add(key);
      }
      assert.deepEqual(inPlace, byMaps);
    }),
    { numRuns: 300 },
  );
});

// The batch's stored counting (recordMoneyEvents: countedRows over the batch, the pairs its marks found new)
// must leave the rows its decisions saw counted in (countInto, event by event): a device paying the same
// new payee twice in one batch adds one payee to `device.payees_24h`, not two.
test('property: a whole batch counted at once gives the rows its events were decided against', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 20 }), fc.array(event, { maxLength: 20 }), (before, batch) => {
      const now = 1_700_000_000_000;
      const read = { counters: new Map<string, CounterRow>(), seen: new Set<string>() };
      for (const e of before) countInto(read.counters, read.seen, e, now - windowMs);
      const working = { counters: new Map(read.counters), seen: new Set(read.seen) };
      for (const e of batch) countInto(working.counters, working.seen, e, now);
      const newlySeen = new Set(batch.flatMap((e) => seenKeysToMark(e)).filter((key) => !read.seen.has(key)));
      const stored = new Map(read.counters);
      for (const [key, row] of countedRows(batch, read.counters, newlySeen, now)) stored.set(key, row);
      assert.deepEqual(stored, working.counters);
    }),
    { numRuns: 300 },
  );
});
