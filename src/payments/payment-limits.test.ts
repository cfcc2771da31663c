import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideLimits, defaultLimitPolicy as policy, limitPeriodsAt, type AccountClass, type LimitTier } from './payment-limits.ts';

const none = { lifetimeMinor: 0n, yearMinor: 0n, dayMinor: 0n };

test('class limits at N pass and at N+1 fail with the remaining amount', () => {
  const cases: ReadonlyArray<readonly [AccountClass, bigint, 'class_lifetime' | 'class_year']> = [
    ['I', policy.classOneLifetimeMinor, 'class_lifetime'],
    ['II', policy.classTwoYearMinor, 'class_year'],
    ['III', policy.classThreeYearMinor, 'class_year'],
  ];
  for (const [accountClass, limit, name] of cases) {
    const used = limit - 500n;
    const usage = { lifetimeMinor: used, yearMinor: used, dayMinor: 0n };
    const big = { ...policy, dayCertificateMinor: 10n ** 15n };
    assert.deepEqual(decideLimits({ amountMinor: 500n, accountClass, strength: 'certificate', usage }, big), { ok: true }, `class ${accountClass} at N`);
    assert.deepEqual(decideLimits({ amountMinor: 501n, accountClass, strength: 'certificate', usage }, big), { ok: false, code: 'limit_exceeded', limit: name, limitMinor: limit, remainingMinor: 500n }, `class ${accountClass} at N+1`);
  }
});

test('day limits by authentication strength at N and N+1', () => {
  const cases: ReadonlyArray<readonly [LimitTier, bigint]> = [
    ['certificate', policy.dayCertificateMinor],
    ['two_factors', policy.dayTwoFactorsMinor],
    ['weak', policy.dayWeakMinor],
  ];
  for (const [strength, limit] of cases) {
    assert.deepEqual(decideLimits({ amountMinor: limit, accountClass: 'III', strength, usage: none }, policy), { ok: true }, `${strength} at N`);
    const over = decideLimits({ amountMinor: limit + 1n, accountClass: 'III', strength, usage: none }, policy);
    assert.deepEqual(over, { ok: false, code: 'limit_exceeded', limit: 'day', limitMinor: limit, remainingMinor: limit }, `${strength} at N+1`);
  }
});

test('PBOC figures: 1,000 / 100,000 / 200,000 CNY by class; 5,000 and 1,000 CNY a day', () => {
  assert.equal(policy.classOneLifetimeMinor, 100_000n);
  assert.equal(policy.classTwoYearMinor, 10_000_000n);
  assert.equal(policy.classThreeYearMinor, 20_000_000n);
  assert.equal(policy.dayTwoFactorsMinor, 500_000n);
  assert.equal(policy.dayWeakMinor, 100_000n);
});

test('property: allowed exactly when every applicable limit holds; remaining never negative', () => {
  const classes = fc.constantFrom<AccountClass>('I', 'II', 'III');
  const strengths = fc.constantFrom<LimitTier>('certificate', 'two_factors', 'weak');
  const minor = fc.bigInt({ min: 0n, max: 30_000_000n });
  fc.assert(fc.property(classes, strengths, fc.bigInt({ min: 1n, max: 30_000_000n }), minor, minor, minor, (accountClass, strength, amountMinor, lifetimeMinor, yearMinor, dayMinor) => {
    const decision = decideLimits({ amountMinor, accountClass, strength, usage: { lifetimeMinor, yearMinor, dayMinor } }, policy);
    const classUsed = accountClass === 'I' ? lifetimeMinor : yearMinor;
    const classLimit = accountClass === 'I' ? policy.classOneLifetimeMinor : accountClass === 'II' ? policy.classTwoYearMinor : policy.classThreeYearMinor;
    const dayLimit = strength === 'certificate' ? policy.dayCertificateMinor : strength === 'two_factors' ? policy.dayTwoFactorsMinor : policy.dayWeakMinor;
    const allowed = classUsed + amountMinor <= classLimit && dayMinor + amountMinor <= dayLimit;
    assert.equal(decision.ok, allowed);
    if (!decision.ok) assert.ok(decision.remainingMinor >= 0n && decision.remainingMinor < amountMinor);
  }));
});

test('R4.4: a high-risk payer may use half of each day limit, a medium or low or unrated one all of it', () => {
  const cases: ReadonlyArray<readonly [string | undefined, LimitTier, bigint]> = [
    ['high', 'certificate', 2_500_000n],
    ['high', 'two_factors', 250_000n],
    ['high', 'weak', 50_000n],
    ['medium', 'weak', 100_000n],
    ['low', 'weak', 100_000n],
    ['', 'weak', 100_000n],
    [undefined, 'weak', 100_000n],
  ];
  for (const [riskLevel, strength, limit] of cases) {
    const input = { accountClass: 'III' as const, strength, riskLevel, usage: none };
    const atLimit = decideLimits({ ...input, amountMinor: limit }, policy);
    assert.deepEqual(atLimit, { ok: true }, `${riskLevel} ${strength} at N`);
    assert.deepEqual(
      decideLimits({ ...input, amountMinor: limit + 1n }, policy),
      { ok: false, code: 'limit_exceeded', limit: 'day', limitMinor: limit, remainingMinor: limit },
      `${riskLevel} ${strength} at N+1`,
    );
  }
});

test('property: a rated payer\'s day limit is the strength\'s limit times the level\'s percent, rounded down', () => {
  const levels = fc.constantFrom('low', 'medium', 'high', '', 'unknown');
  const strengths = fc.constantFrom<LimitTier>('certificate', 'two_factors', 'weak');
  const percent = fc.integer({ min: 1, max: 100 });
  const minor = fc.bigInt({ min: 0n, max: 6_000_000n });
  const amount = fc.bigInt({ min: 1n, max: 6_000_000n });
  const cases = fc.tuple(levels, strengths, percent, percent, amount, minor);
  fc.assert(fc.property(cases, ([riskLevel, strength, medium, high, amountMinor, dayMinor]) => {
    const rated = { ...policy, dayPercentByLevel: { medium, high } };
    const usage = { lifetimeMinor: 0n, yearMinor: 0n, dayMinor };
    const decision = decideLimits({ amountMinor, accountClass: 'III', strength, riskLevel, usage }, rated);
    const byStrength = { certificate: policy.dayCertificateMinor, two_factors: policy.dayTwoFactorsMinor,
      weak: policy.dayWeakMinor }[strength];
    const share = riskLevel === 'medium' ? medium : riskLevel === 'high' ? high : 100;
    const dayLimit = (byStrength * BigInt(share)) / 100n;
    const classOk = amountMinor <= policy.classThreeYearMinor;
    assert.equal(decision.ok, classOk && dayMinor + amountMinor <= dayLimit);
    if (!decision.ok && decision.limit === 'day') {
      assert.equal(decision.limitMinor, dayLimit);
      assert.equal(decision.remainingMinor, dayMinor >= dayLimit ? 0n : dayLimit - dayMinor);
    }
  }));
});

test('limit periods are Beijing days and years', () => {
  const newYearBeijing = Date.UTC(2026, 11, 31, 16, 0, 0); // 2027-01-01 00:00 +08:00
  assert.equal(limitPeriodsAt(newYearBeijing).year, 2027n);
  assert.equal(limitPeriodsAt(newYearBeijing - 1).year, 2026n);
  assert.equal(limitPeriodsAt(newYearBeijing).day - limitPeriodsAt(newYearBeijing - 1).day, 1n);
});
