// `customer.ml_risk` in a rule, on both stores: AML's rating of the customer (aml_customer_ratings) is read
// with the event's other stored rows, so `customer.ml_risk == 'high' and amount > 1000 CNY` denies a high-risk
// customer's large payment and nobody else's; the level is in the decision's snapshot; the feature is a
// money-event feature (a login rule naming it is refused when parsed). Through the payment flow: the
// denied transfer moves no money, its decision and audit entry name the rule.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { insertRating } from '../aml/testing.ts';
import { transferToCustomer } from '../flows/transfer-to-customer.ts';
import { balanceOf } from '../ledger/index.ts';
import { paymentSettingsOf, walletOf } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction } from '../payments/testing.ts';
import type { Queryable, Store } from '../store/index.ts';
import { createAccessTestApp } from '../wiring/access-test-app.ts';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import { assessMoneyEvent, type MoneyAssessmentInput } from './assess.ts';
import { RiskEngine } from './engine.ts';
import { compileRuleSet } from './ruleset.ts';
import { decisionsOfSubject } from './index.ts';
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

async function activate(tx: Queryable & Parameters<typeof insertRuleSet>[0], at: number) {
  const document = { rules: [rule], typologies: [] };
  await insertRuleSet(tx, { version: 1, document, proposalId: null, approvedBy: null }, at);
}

for (const kind of testStoreKinds()) {
  describe(`customer.ml_risk in a rule (${kind})`, () => {
    let store: Store;
    let release: () => Promise<void>;
    let engine: RiskEngine;
    const at = Date.UTC(2026, 5, 1, 4);
    before(async () => {
      ({ store, release } = await withTestStore(kind));
      await store.transaction(async (tx) => {
        await activate(tx, at);
        await insertRating(tx, 'cus_high', 'high', at);
        await insertRating(tx, 'cus_low', 'low', at);
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

for (const kind of testStoreKinds()) {
  test(`a high-risk payer's transfer over the amount is denied through the payment flow (${kind})`, async () => {
    const t = await createAccessTestApp(kind);
    const engine = new RiskEngine({ store: t.store });
    try {
      const identity = await createTestIdentity();
      const [payer, payee] = [await identity.addCustomer(), await identity.addCustomer()];
      await t.store.transaction(async (tx) => {
        await activate(tx, Date.now());
        await insertRating(tx, payer.customer.id, 'high', Date.now());
      });
      await engine.refresh();
      const settings = paymentSettingsOf(t.config);
      const ctx = { store: t.store, ledger: t.ledger, identity, settings, clock: Date.now, riskEngine: engine };
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
      const wallet = await walletOf(t.ledger, payer.customer.id, 'CNY');
      const funding = {
        kind: 'single' as const, key: 'fund-payer', debitAccountId: bank.id, creditAccountId: wallet.id,
      };
      assert.ok((await t.ledger.submit({ ...funding, amount: 500_000n, currency: 'CNY' })).ok);
      let keys = 0;
      const transfer = (amount: string) => {
        const instruction = instructionFor(payer, { kind: 'transfer', target: payee.customer.id, amount }, Date.now());
        const signature = signInstruction(identity.profile, payer, instruction);
        const origin = { ip: '114.114.114.114', url: '/v1/transfers' };
        const idempotencyKey = `ml-${keys++}`;
        return transferToCustomer(ctx, payer.principal, { instruction, signature, idempotencyKey, origin });
      };
      const denied = await transfer('1000.01');
      assert.deepEqual([denied.payment.state, denied.payment.failureCode], ['failed', 'payment_denied']);
      assert.equal(balanceOf(await walletOf(t.ledger, payer.customer.id, 'CNY')), 500_000n, 'no money moved');
      const [decision] = await decisionsOfSubject(t.store, denied.payment.id);
      assert.deepEqual([decision?.decision, decision?.reasons], ['deny', ['high_ml_risk_large']]);
      assert.equal(decision?.features['customer.ml_risk'], 'high');
      const audited = await t.auditRows('risk.decision');
      assert.ok(audited.some((r) => JSON.stringify(r.details).includes('high_ml_risk_large')), JSON.stringify(audited));
      const allowed = await transfer('1000.00');
      assert.equal(allowed.payment.state, 'succeeded');
      assert.equal(balanceOf(await walletOf(t.ledger, payer.customer.id, 'CNY')), 400_000n);
    } finally {
      engine.stop();
      await t.close();
    }
  });
}
