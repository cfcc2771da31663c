// `customer.ml_risk` in a rule, on both stores: AML's rating of the customer (aml_customer_ratings) is read
// with the event's other stored rows, so `customer.ml_risk == 'high' and amount > 1000 CNY` denies a high-risk
// customer's large payment and nobody else's; the level is in the decision's snapshot; the feature is a
// money-event feature (a login rule naming it is refused when parsed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../store/index.ts';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import { assessMoneyEvent, type MoneyAssessmentInput } from './assess.ts';
import { RiskEngine } from './engine.ts';
import { compileRuleSet } from './ruleset.ts';
import { insertRuleSet } from './store.ts';

const rule = {
  id: 'high_ml_risk_large',
  on: ['payment'],
  when: "customer.ml_risk == 'high' and amount > 1000 CNY",
  action: 'deny',
  score: 100,
  reason: 'high_ml_risk_large',
};

test('customer.ml_risk is a money-event string feature: a login rule naming it is refused', () => {
  assert.equal(compileRuleSet({ rules: [rule], typologies: [] }).ok, true);
  const loginRule = { ...rule, on: ['login'], when: "customer.ml_risk == 'high'" };
  const login = compileRuleSet({ rules: [loginRule], typologies: [] });
  assert.equal(login.ok, false);
  assert.equal(login.ok ? undefined : login.problems[0]?.code, 'rule_unknown_feature');
});

for (const kind of testStoreKinds()) {
  describe(`customer.ml_risk in a rule (${kind})`, () => {
    let store: Store;
    let release: () => Promise<void>;
    let engine: RiskEngine;
    const at = Date.UTC(2026, 5, 1, 4);
    before(async () => {
      ({ store, release } = await withTestStore(kind));
      await store.transaction(async (tx) => {
        const document = { rules: [rule], typologies: [] };
        await insertRuleSet(tx, { version: 1, document, proposalId: null, approvedBy: null }, at);
        for (const [customerId, level] of [['cus_high', 'high'], ['cus_low', 'low']] as const) {
          await tx.run(
            `INSERT INTO aml_customer_ratings (customer_id, level, computed_level, score, factors, id_region, cause,
               rated_at) VALUES (?, ?, ?, 0, '[]', 'mainland', 'registration', ?)`,
            [customerId, level, level, at],
          );
        }
      });
      engine = new RiskEngine({ store });
      await engine.refresh();
    });
    after(() => release());

    const input = (customerId: string, minor: bigint): MoneyAssessmentInput => ({
      event: { event: 'payment', customerId, deviceId: `dev-${customerId}`, ip: '114.114.114.114', payeeId: 'payee-1',
        amount: { minor, currency: 'CNY' } },
      known: { amount: { minor, currency: 'CNY' } },
      customer: { createdAt: 0, accountClass: 'II' },
      subjectRef: null,
    });
    const decide = async (customerId: string, minor: bigint) =>
      assessMoneyEvent(engine, store, input(customerId, minor), at);

    test('high risk over the amount is denied; at the amount, rated low or unrated is not', async () => {
      assert.equal(engine.version, 1);
      const denied = await decide('cus_high', 100_001n);
      assert.equal(denied.decision.decision, 'deny');
      assert.deepEqual(denied.decision.reasons, ['high_ml_risk_large']);
      assert.equal(denied.record.features['customer.ml_risk'], 'high', 'the level is in the snapshot');
      assert.equal((await decide('cus_high', 100_000n)).decision.decision, 'allow', 'at 1000 CNY: not over');
      const low = await decide('cus_low', 500_000n);
      assert.equal(low.decision.decision, 'allow');
      assert.equal(low.record.features['customer.ml_risk'], 'low');
      const unrated = await decide('cus_nobody', 500_000n);
      assert.equal(unrated.decision.decision, 'allow');
      assert.equal(unrated.record.features['customer.ml_risk'], undefined, 'never rated: neutral, not in the snapshot');
    });
  });
}
