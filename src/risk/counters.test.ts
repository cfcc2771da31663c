// Velocity counters: the sliding-window estimate against the exact count of a random event history —
// never below the events in the current bucket, never above the events of the last two buckets, exact
// when the window holds one bucket only; sums are exact bigint arithmetic with the same bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { added, estimate, type CounterRow } from './counters.ts';
import { countedRows, countInto, seenKeysToMark } from './money-features.ts';

const windowMs = 60_000;

test('property: the estimate lies between the current bucket and the last two buckets', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 10 * windowMs }), fc.bigInt({ min: 1n, max: 10_000n })), {
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
        const total = (list: typeof events) => list.reduce((s, [, a]) => s + a, 0n);
        assert.ok(sum >= total(inCurrent) && sum <= total(inTwo));
      },
    ),
    { numRuns: 1000 },
  );
});

test('at the start of a bucket the previous bucket counts whole; a bucket later it is gone', () => {
  let row = added(undefined, 10_000, windowMs, 5n);
  row = added(row, 20_000, windowMs, 7n);
  assert.deepEqual(estimate(row, 59_999, windowMs), { count: 2, sum: 12n });
  assert.deepEqual(estimate(row, 60_000, windowMs), { count: 2, sum: 12n });
  assert.deepEqual(estimate(row, 90_000, windowMs), { count: 1, sum: 6n });
  assert.deepEqual(estimate(row, 120_000, windowMs), { count: 0, sum: 0n });
  assert.deepEqual(estimate(undefined, 120_000, windowMs), { count: 0, sum: 0n });
});

test('property: countInto counts a batch as countedRows does, event by event, first-seen pairs included', () => {
  const event = fc.record({
    event: fc.constant('payment' as const),
    customerId: fc.constantFrom('cus_a', 'cus_b'),
    deviceId: fc.constantFrom('dev_a', 'dev_b'),
    ip: fc.constantFrom(null, '203.0.113.9', '198.51.100.7'),
    payeeId: fc.constantFrom(null, 'cus_c', 'cus_d'),
    cardRef: fc.constantFrom(null, 'card_1'),
    amount: fc.record({ minor: fc.bigInt({ min: 1n, max: 10_000n }), currency: fc.constant('CNY') }),
  });
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
