// The cooling-off rule after a factor change and the known-device rule of login risk, at N and N+1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideLogin, decidePayment, paymentRiskThresholds } from './index.ts';

const quiet = { recentPaymentCount: 0, deviceAgeMs: 30 * 86_400_000, newPayee: false };
const threshold = paymentRiskThresholds.factorChangeChallengeAmountMinor;
const coolingOffMs = paymentRiskThresholds.factorChangeCoolingOffMs;

test('after a factor change, amounts from the threshold are challenged until the cooling-off ends', () => {
  const cases: Array<[bigint, number | undefined, 'allow' | 'challenge']> = [
    [threshold, 0, 'challenge'],
    [threshold - 1n, 0, 'allow'],
    [threshold, coolingOffMs - 1, 'challenge'],
    [threshold, coolingOffMs, 'allow'],
    [threshold, undefined, 'allow'],
  ];
  for (const [amountMinor, sinceFactorChangeMs, expected] of cases) {
    const decision = decidePayment({ ...quiet, amountMinor, sinceFactorChangeMs });
    assert.equal(decision.decision, expected, `${amountMinor} after ${String(sinceFactorChangeMs)} ms`);
    assert.equal(decision.reasons.includes('recent_factor_change'), expected === 'challenge');
  }
});

test('a known device whose number is locked for strangers is challenged, never denied for it', () => {
  const noon = Date.UTC(2026, 0, 15, 4, 0, 0);
  const base = { newDevice: false, newNetwork: false, newRegion: false, recentFailures: 0, attemptsLastHour: 0 };
  assert.equal(decideLogin(base, noon).decision, 'allow');
  const locked = decideLogin({ ...base, lockedForStrangers: true }, noon);
  assert.deepEqual(
    [locked.decision, locked.reasons, locked.factorStrength],
    ['challenge', ['locked_for_strangers'], 'any'],
  );
});
