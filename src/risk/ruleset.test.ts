// Rule sets: the default set decides exactly as the fixed login and payment rules did (property tests
// over arbitrary features); deny wins; shadow rules never act; typologies alert and block; malformed,
// unsafe and conflicting sets are refused with their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultRuleSet } from './default-ruleset.ts';
import { decideLogin, localHourOf, type LoginFeatures } from './login-risk.ts';
import { decidePayment, paymentRiskThresholds, type PaymentFeatures } from './payment-risk.ts';
import { compileRuleSet, decide, type CompiledRuleSet, type RuleSetDocument } from './ruleset.ts';
import { loginFeatureValues, paymentFeatureValues } from './feature-values.ts';
import { neutralFeatures } from './features.ts';

function compiled(document: unknown): CompiledRuleSet {
  const result = compileRuleSet(document);
  if (!result.ok) assert.fail(JSON.stringify(result.problems));
  return result.set;
}

const defaults = compiled(defaultRuleSet(paymentRiskThresholds, ['CNY', 'USD']));

test('property: the default set decides payments exactly as decidePayment', () => {
  const features = fc.record({
    amountMinor: fc.oneof(
      fc.bigInt({ min: 1n, max: 200_000_000n }),
      fc.constantFrom(100_000n, 200_000n, 500_000n, 100_000_000n, 99_999n),
    ),
    recentPaymentCount: fc.integer({ min: 0, max: 150 }),
    deviceAgeMs: fc.integer({ min: 0, max: 3 * 86_400_000 }),
    newPayee: fc.boolean(),
    sinceFactorChangeMs: fc.option(fc.integer({ min: 0, max: 3 * 86_400_000 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(features, fc.constantFrom('CNY', 'USD'), (f: PaymentFeatures, currency) => {
      const expected = decidePayment(f);
      // As the engine decides: every feature the caller did not load at its neutral value (no list entry).
      const values = { ...neutralFeatures('payment', currency), ...paymentFeatureValues(f, currency) };
      const actual = decide(defaults, 'payment', values);
      assert.equal(actual.decision, expected.decision);
      assert.deepEqual(actual.reasons, expected.reasons);
    }),
    { numRuns: 2000 },
  );
});

test('property: the default set decides logins exactly as decideLogin', () => {
  const features = fc.record({
    newDevice: fc.boolean(),
    newNetwork: fc.boolean(),
    newRegion: fc.boolean(),
    recentFailures: fc.integer({ min: 0, max: 6 }),
    attemptsLastHour: fc.integer({ min: 0, max: 30 }),
    lockedForStrangers: fc.boolean(),
  });
  fc.assert(
    fc.property(features, fc.integer({ min: 0, max: 2 * 86_400_000 }), (f: LoginFeatures, now) => {
      const expected = decideLogin(f, now);
      const values = { ...neutralFeatures('login', 'CNY'), ...loginFeatureValues(f, localHourOf(now)) };
      const actual = decide(defaults, 'login', values);
      assert.deepEqual(
        [actual.decision, actual.score, actual.reasons, actual.factorStrength],
        [expected.decision, expected.score, expected.reasons, expected.factorStrength],
      );
    }),
    { numRuns: 2000 },
  );
});

const mini = (rules: unknown[], typologies: unknown[] = []): RuleSetDocument =>
  ({ rules, typologies }) as RuleSetDocument;
const rule = (id: string, when: string, action: string, extra: object = {}): object => ({
  id,
  on: ['payment'],
  when,
  action,
  score: 10,
  reason: id,
  ...extra,
});
const features = paymentFeatureValues(
  { amountMinor: 1_000_000n, recentPaymentCount: 0, deviceAgeMs: 3_600_000, newPayee: true },
  'CNY',
);

test('deny wins over review and challenge; shadow rules are reported but never act', () => {
  const set = compiled(
    mini([
      rule('big', 'amount > 5000 CNY', 'challenge'),
      rule('young', 'device.age < 1d', 'review'),
      rule('never', 'payee.new and amount > 9000 CNY', 'deny'),
      rule('trial', 'payee.new', 'deny', { mode: 'shadow' }),
    ]),
  );
  const d = decide(set, 'payment', features);
  assert.deepEqual([d.decision, d.reasons, d.score], ['deny', ['big', 'young', 'never'], 30]);
  assert.deepEqual(
    d.shadowHits.map((h) => h.rule),
    ['trial'],
  );
  const quieter = decide(set, 'payment', { ...features, amount: { minor: 600_000n, currency: 'CNY' } });
  assert.equal(quieter.decision, 'review');
});

test('a typology alerts and blocks by its weights; a signal from screening can deny', () => {
  const set = compiled(
    mini(
      [
        rule('a', 'payee.new', 'allow'),
        rule('b', 'device.age < 1d', 'allow'),
        rule('c', 'amount > 50000 CNY', 'allow'),
      ],
      [{ id: 'mule', on: ['payment'], weights: { a: 20, b: 20, c: 60 }, alert: 40, alertAction: 'review', block: 100 }],
    ),
  );
  assert.equal(decide(set, 'payment', features).decision, 'review');
  assert.equal(
    decide(set, 'payment', { ...features, amount: { minor: 6_000_000n, currency: 'CNY' } }).decision,
    'deny',
  );
  assert.equal(decide(set, 'payment', { ...features, 'payee.new': false }).decision, 'allow');
  const signalled = decide(set, 'payment', { ...features, 'payee.new': false }, [
    { source: 'sanctions', action: 'deny', reason: 'sanctions_hit' },
  ]);
  assert.deepEqual([signalled.decision, signalled.reasons], ['deny', ['b', 'sanctions_hit']]);
});

test('a rule whose feature was not provided is an error, never a hit', () => {
  const set = compiled(mini([rule('c', 'card.new', 'deny')]));
  const d = decide(set, 'payment', features);
  assert.deepEqual([d.decision, d.errors], ['allow', ['c']]);
});

test('malformed, unsafe and conflicting sets are refused with clear codes', () => {
  const cases: Array<[unknown, string]> = [
    [null, 'ruleset_shape'],
    [{ rules: 'x' }, 'ruleset_shape'],
    [mini([{ ...rule('a', 'payee.new', 'deny'), extra: 1 }]), 'ruleset_shape'],
    [mini([rule('A', 'payee.new', 'deny')]), 'ruleset_shape'],
    [mini([rule('a', 'payee.new', 'explode')]), 'ruleset_shape'],
    [mini([rule('a', 'payee.new', 'deny', { score: 1.5 })]), 'ruleset_shape'],
    [mini([rule('a', 'payee.new', 'deny', { on: ['teleport'] })]), 'ruleset_shape'],
    [mini([rule('a', 'globalThis.process', 'deny')]), 'rule_unknown_feature'],
    [mini([rule('a', 'amount > ', 'deny')]), 'rule_syntax'],
    [mini([rule('a', 'payee.new', 'deny'), rule('a', 'device.new', 'deny')]), 'ruleset_conflict'],
    [mini([rule('a', 'payee.new', 'deny'), rule('b', '(payee.new)', 'allow')]), 'ruleset_conflict'],
    [
      mini(
        [rule('a', 'payee.new', 'deny')],
        [{ id: 't', on: ['payment'], weights: { zz: 1 }, alert: 1, alertAction: 'review', block: 2 }],
      ),
      'ruleset_shape',
    ],
    [
      mini(
        [rule('a', 'payee.new', 'deny')],
        [{ id: 't', on: ['payment'], weights: { a: 1 }, alert: 5, alertAction: 'review', block: 2 }],
      ),
      'ruleset_shape',
    ],
    [mini(Array.from({ length: 301 }, (_, i) => rule(`r${i}`, 'payee.new', 'deny'))), 'rule_too_complex'],
  ];
  for (const [document, code] of cases) {
    const result = compileRuleSet(document);
    assert.equal(result.ok, false, JSON.stringify(document)?.slice(0, 80));
    if (!result.ok) assert.equal(result.problems[0]?.code, code, JSON.stringify(result.problems));
  }
});

test('property: compileRuleSet never throws on arbitrary JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (document) => void compileRuleSet(document)),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          id: fc.constantFrom('a', 'b'),
          on: fc.constant(['payment']),
          when: fc.string(),
          action: fc.constantFrom('deny', 'allow'),
          score: fc.nat(5),
          reason: fc.constant('r'),
        }),
      ),
      (rules) => void compileRuleSet({ rules, typologies: [] }),
    ),
    { numRuns: 500 },
  );
});
