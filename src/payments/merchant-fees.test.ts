import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { feeOf } from './merchant-fees.ts';

test('fees round half-up to the minor unit', () => {
  const cases: ReadonlyArray<readonly [bigint, number, bigint]> = [
    [10_000n, 60, 60n], [1n, 60, 0n], [83n, 60, 0n], [84n, 60, 1n], [250n, 200, 5n], [25n, 200, 1n], [24n, 200, 0n], [100n, 10_000, 100n], [100n, 0, 0n], [99_999n, 38, 380n],
  ];
  for (const [amount, bps, fee] of cases) assert.equal(feeOf(amount, bps), fee, `${amount} at ${bps} bps`);
});

test('property: 0 ≤ fee ≤ amount and |fee − exact| ≤ half a minor unit', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
    const fee = feeOf(amount, bps);
    assert.ok(fee >= 0n && fee <= amount);
    const exactTimes = amount * BigInt(bps); // fee × 10 000 ideally
    const diff = fee * 10_000n - exactTimes;
    assert.ok(diff <= 5_000n && diff > -5_000n);
  }));
});

test('bad rates and amounts are bugs, not fees', () => {
  assert.throws(() => feeOf(0n, 10));
  assert.throws(() => feeOf(1n, 10_001));
  assert.throws(() => feeOf(1n, 1.5));
});
