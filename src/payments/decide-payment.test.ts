// Table tests of the pure payment decisions both write paths share (decide-payment.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { creationWalk, legsBetween, limitRefusalOf, requestHashOf, usagePeriodsOf } from './decide-payment.ts';
import { defaultLimitPolicy } from './payment-limits.ts';

test('request hash: canonical JSON, key order does not matter, anything else is one "invalid" digest', () => {
  const rows: Array<[unknown, unknown, boolean]> = [
    [{ a: 1, b: 'x' }, { b: 'x', a: 1 }, true],
    [{ a: 1 }, { a: 2 }, false],
    ['text', 42, true],
    [null, undefined, true],
  ];
  for (const [left, right, same] of rows) assert.equal(requestHashOf(left) === requestHashOf(right), same, `${JSON.stringify(left)} vs ${JSON.stringify(right)}`);
  assert.match(requestHashOf({ a: 1 }), /^[0-9a-f]{64}$/);
});

test('usage periods: CNY keeps the historical counters, other currencies count on their own', () => {
  const rows: Array<[string, [string, string, string]]> = [
    ['CNY', ['life', 'year:2026', 'day:20500']],
    ['USD', ['life:USD', 'year:2026:USD', 'day:20500:USD']],
    ['HKD', ['life:HKD', 'year:2026:HKD', 'day:20500:HKD']],
  ];
  for (const [currency, periods] of rows) assert.deepEqual(usagePeriodsOf({ currency, limitYear: 2026n, limitDay: 20500n }), periods);
});

test('limit refusal at N and N+1 for each limit, with the remaining amount in the payment currency', () => {
  const policy = defaultLimitPolicy;
  const day = policy.dayCertificateMinor;
  const rows: Array<{ amount: bigint; used: [bigint, bigint, bigint]; accountClass: 'I' | 'II' | 'III'; limit?: string; remaining?: string }> = [
    { amount: day, used: [0n, 0n, 0n], accountClass: 'III' },
    { amount: day + 1n, used: [0n, 0n, 0n], accountClass: 'III', limit: 'day', remaining: '50000.00' },
    { amount: 1n, used: [0n, 0n, day], accountClass: 'III', limit: 'day', remaining: '0.00' },
    { amount: policy.classOneLifetimeMinor, used: [0n, 0n, 0n], accountClass: 'I' },
    { amount: 1n, used: [policy.classOneLifetimeMinor, 0n, 0n], accountClass: 'I', limit: 'class_lifetime', remaining: '0.00' },
    { amount: 1n, used: [0n, policy.classThreeYearMinor, 0n], accountClass: 'III', limit: 'class_year', remaining: '0.00' },
  ];
  for (const row of rows) {
    const refusal = limitRefusalOf({ payment: { amount: row.amount, currency: 'CNY' }, accountClass: row.accountClass, strength: 'certificate', used: row.used }, policy);
    assert.equal(refusal?.code, row.limit === undefined ? undefined : 'limit_exceeded', JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    if (row.limit !== undefined) assert.deepEqual(refusal?.extra, { limit: row.limit, remaining: row.remaining, currency: 'CNY' });
  }
});

test('creation walk: allow → processing, challenge → challenged by the payer, deny → failed by risk', () => {
  const rows: Array<['allow' | 'challenge' | 'deny', string[], string[]]> = [
    ['allow', ['risk_assessed', 'process'], ['risk', 'payer']],
    ['challenge', ['risk_assessed', 'challenge'], ['risk', 'payer']],
    ['deny', ['risk_assessed', 'fail'], ['risk', 'risk']],
  ];
  for (const [decision, events, by] of rows) {
    const walk = creationWalk({ decision, reasons: ['new_device'] });
    assert.deepEqual(walk.map((w) => w.event), events);
    assert.deepEqual(walk.map((w) => w.by), by);
  }
  assert.equal(creationWalk({ decision: 'deny', reasons: [] })[1]?.detail?.failureCode, 'payment_denied');
});

test('ledger legs: principal always, fee leg from the payee only when there is a fee, keys derived from the payment', () => {
  const accounts = { debit: 'acc_payer', credit: 'acc_merchant', fees: 'acc_fees' };
  const noFee = legsBetween({ id: 'pay_1', amount: 1000n, fee: 0n, currency: 'CNY' }, accounts);
  assert.deepEqual(noFee.map((l) => l.key), ['pay_1:principal']);
  const withFee = legsBetween({ id: 'pay_2', amount: 1000n, fee: 6n, currency: 'CNY' }, accounts);
  assert.deepEqual(withFee.map((l) => (l.kind === 'single' ? [l.key, l.debitAccountId, l.creditAccountId, l.amount] : [])), [
    ['pay_2:principal', 'acc_payer', 'acc_merchant', 1000n], ['pay_2:fee', 'acc_merchant', 'acc_fees', 6n],
  ]);
  assert.throws(() => legsBetween({ id: 'pay_3', amount: 1n, fee: 1n, currency: 'CNY' }, { debit: 'a', credit: 'b' }));
});
