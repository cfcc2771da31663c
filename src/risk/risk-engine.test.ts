// The risk engine end to end on both stores: bad rule sets refused at proposal with their codes (the
// running set unchanged), a good one approved by a second analyst and hot-reloaded by another
// "process" (its own engine on the same store), a payment denied by the new rule with its decision,
// snapshot and audit entry stored, a shadow rule recorded but not acted on, velocity counters kept in
// the store, back-testing (changes, precision and recall from labels) and the indicators.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceOf } from '../ledger/index.ts';
import { paymentSettingsOf, walletOf, type PaymentsContext } from '../payments/index.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  type TestCustomer,
  type TestIdentity,
} from '../payments/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { transferToCustomer } from '../flows/transfer-to-customer.ts';
import { defaultRuleSet, RiskEngine, decisionsOfSubject, latestRuleSetVersion } from './index.ts';

const newRule = {
  id: 'big_to_new_payee',
  on: ['payment'],
  when: 'payee.new and amount >= 50 CNY',
  action: 'deny',
  score: 100,
  reason: 'big_to_new_payee',
};
const shadow = {
  id: 'trial_any',
  on: ['payment'],
  when: 'amount >= 1 CNY',
  action: 'review',
  score: 5,
  reason: 'trial_any',
  mode: 'shadow',
};

let keys = 0;
function signed(identity: TestIdentity, who: TestCustomer, target: string, amount: string, now: number) {
  const instruction = instructionFor(who, { kind: 'transfer', target, amount }, now);
  return {
    instruction,
    signature: signInstruction(identity.profile, who, instruction),
    idempotencyKey: `risk-${keys++}`,
    origin: { ip: '203.0.113.7', url: '/v1/transfers' },
  };
}

for (const kind of testStoreKinds()) {
  describe(`risk engine (${kind})`, () => {
    let t: AccessTestApp;
    let tokens: { a: string; b: string; ops: string };
    let engine: RiskEngine;
    let ctx: PaymentsContext;
    let identity: TestIdentity;
    let alice: TestCustomer;
    let bob: TestCustomer;
    let carol: TestCustomer;
    const post = (url: string, token: string, payload: unknown) =>
      t.app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as Record<string, unknown> });

    before(async () => {
      t = await createAccessTestApp(kind);
      tokens = {
        a: await t.login(await t.operator('risk_analyst')),
        b: await t.login(await t.operator('risk_analyst')),
        ops: await t.login(await t.operator('operations')),
      };
      identity = await createTestIdentity();
      engine = new RiskEngine({ store: t.store, pollMs: 20 });
      ctx = {
        store: t.store,
        ledger: t.ledger,
        identity,
        settings: paymentSettingsOf(t.config),
        clock: Date.now,
        riskEngine: engine,
      };
      [alice, bob, carol] = [await identity.addCustomer(), await identity.addCustomer(), await identity.addCustomer()];
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
      const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
      assert.ok(
        (
          await t.ledger.submit({
            kind: 'single',
            key: 'fund-alice',
            debitAccountId: bank.id,
            creditAccountId: wallet.id,
            amount: 100_000n,
            currency: 'CNY',
          })
        ).ok,
      );
    });
    after(async () => {
      engine.stop();
      await t.close();
    });

    test('malformed, unsafe and conflicting sets are refused at proposal; the running set stays', async () => {
      const base = defaultRuleSet();
      const cases: Array<[unknown, number, string, string?]> = [
        [
          { ...base, rules: [...base.rules, { ...newRule, when: 'amount >= 5 CNY; drop' }] },
          422,
          'risk_ruleset_invalid',
          'rule_syntax',
        ],
        [
          { ...base, rules: [...base.rules, { ...newRule, when: 'process.env.x' }] },
          422,
          'risk_ruleset_invalid',
          'rule_unknown_feature',
        ],
        [
          { ...base, rules: [...base.rules, { ...newRule, when: 'amount >= 50' }] },
          422,
          'risk_ruleset_invalid',
          'rule_type',
        ],
        [
          { ...base, rules: [...base.rules, { ...newRule, when: 'device.new or '.repeat(130) + 'device.new' }] },
          422,
          'risk_ruleset_invalid',
          'rule_too_complex',
        ],
        [
          { ...base, rules: [...base.rules, newRule, { ...newRule, id: 'same_again', action: 'allow' }] },
          422,
          'risk_ruleset_invalid',
          'ruleset_conflict',
        ],
        [{ ...base, rules: [...base.rules, { ...newRule, exec: 'x' }] }, 400, 'validation_failed'],
      ];
      for (const [document, status, code, problem] of cases) {
        const response = await post('/v1/risk/rulesets', tokens.a, { document });
        assert.equal(response.statusCode, status, response.body);
        assert.equal(response.json().code, code);
        if (problem !== undefined) assert.equal(response.json().problems[0].code, problem);
      }
      assert.equal(
        (await post('/v1/risk/rulesets', tokens.ops, { document: base })).statusCode,
        403,
        'operations may not change rules',
      );
      const active = await t.app.inject({ url: '/v1/risk/rulesets/active', headers: bearer(tokens.a) });
      assert.equal(active.json().version, 0);
      assert.equal(await latestRuleSetVersion(t.store), 0);
      const proposals = await t.store.all("SELECT id FROM proposals WHERE kind = 'risk.ruleset'");
      assert.equal(proposals.length, 0, 'no proposal exists for a refused set');
    });

    test('an approved set is hot-reloaded by another process and denies; shadow rules are only recorded', async () => {
      const base = defaultRuleSet();
      const proposed = await post('/v1/risk/rulesets', tokens.a, {
        document: { ...base, rules: [...base.rules, newRule, shadow] },
        reason: 'new payees',
      });
      assert.equal(proposed.statusCode, 201, proposed.body);
      const id = proposed.json().id as string;
      assert.equal(
        (await post(`/v1/proposals/${id}/approve`, tokens.a, undefined)).json().code,
        'proposal_self_approval',
      );
      assert.equal(engine.version, 0);
      const approved = await post(`/v1/proposals/${id}/approve`, tokens.b, undefined);
      assert.equal(approved.json().state, 'executed', approved.body);
      engine.start();
      for (let i = 0; i < 200 && engine.version === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(engine.version, 1, 'picked up by polling, without restart');
      assert.equal((await t.auditRows('risk.ruleset_activate')).length, 1);

      const before = balanceOf(await walletOf(t.ledger, alice.customer.id, 'CNY'));
      const denied = await transferToCustomer(
        ctx,
        alice.principal,
        signed(identity, alice, bob.customer.id, '60.00', Date.now()),
      );
      assert.deepEqual([denied.payment.state, denied.payment.failureCode], ['failed', 'payment_denied']);
      assert.equal(balanceOf(await walletOf(t.ledger, alice.customer.id, 'CNY')), before, 'no money moved');
      const [decision] = await decisionsOfSubject(t.store, denied.payment.id);
      assert.ok(decision !== undefined);
      assert.deepEqual([decision.decision, decision.reasons, decision.version], ['deny', ['big_to_new_payee'], 1]);
      assert.deepEqual(
        decision.shadowHits.map((h) => h.rule),
        ['trial_any'],
      );
      assert.deepEqual(decision.features.amount, { minor: 6000n, currency: 'CNY' });
      const audit = (await t.auditRows('risk.decision')).find((row) => row.target === denied.payment.id);
      assert.equal(audit?.outcome, 'denied');

      const allowed = await transferToCustomer(
        ctx,
        alice.principal,
        signed(identity, alice, bob.customer.id, '10.00', Date.now()),
      );
      assert.equal(allowed.payment.state, 'succeeded', 'the shadow rule would review it, but shadow rules never act');
      const third = await transferToCustomer(
        ctx,
        alice.principal,
        signed(identity, alice, carol.customer.id, '1.00', Date.now()),
      );
      const [counted] = await decisionsOfSubject(t.store, third.payment.id);
      assert.equal(counted?.features['customer.count_1h'], 2, 'both earlier payments are counted in the store');
      assert.equal(counted?.features['device.payees_24h'], 1, 'bob is one distinct payee of the device so far');
      assert.equal(counted?.features['device.new'], false);
    });

    test('back-testing a draft shows the decisions it would change, precision and recall from labels', async () => {
      const decisions = await t.store.all<{ id: string; decision: string }>(
        'SELECT id, decision FROM risk_decisions ORDER BY at, id',
      );
      const deniedId = decisions.find((d) => d.decision === 'deny')?.id as string;
      const labelled = await post(`/v1/risk/decisions/${deniedId}/label`, tokens.a, { label: 'fraud' });
      assert.equal(labelled.statusCode, 204);
      const range = { from: 0, to: t.now() + 1 };
      const draft = await post('/v1/risk/backtest', tokens.a, { ...range, document: defaultRuleSet() });
      assert.equal(draft.statusCode, 200, draft.body);
      assert.deepEqual(
        [draft.json().decisions, draft.json().changed, draft.json().changes[0]],
        [3, 1, { id: deniedId, from: 'deny', to: 'allow' }],
      );
      assert.deepEqual([draft.json().precision, draft.json().recall], [null, 0]);
      const current = await post('/v1/risk/backtest', tokens.a, { ...range, version: 1 });
      assert.deepEqual([current.json().changed, current.json().precision, current.json().recall], [0, 1, 1]);
      assert.equal(current.json().rules.trial_any.shadowHits, 3);
      const bad = await post('/v1/risk/backtest', tokens.a, {
        ...range,
        document: { rules: [{ ...newRule, when: 'nope' }], typologies: [] },
      });
      assert.equal(bad.json().code, 'risk_ruleset_invalid');
      const indicators = await t.app.inject({
        url: `/v1/risk/indicators?from=0&to=${t.now() + 1}`,
        headers: bearer(tokens.a),
      });
      assert.equal(indicators.statusCode, 200, indicators.body);
      assert.deepEqual(
        [indicators.json().events.payment.deny, indicators.json().events.payment.denyRate, indicators.json().fraudRate],
        [1, 0.3333, 1],
      );
      const metrics = await t.app.inject({ url: '/metrics', headers: bearer(tokens.a) });
      assert.match(metrics.body, /anfu_risk_decisions_total/);
      assert.match(metrics.body, /anfu_risk_rule_hits_total/);
      const shown = await t.app.inject({ url: `/v1/risk/decisions/${deniedId}`, headers: bearer(tokens.a) });
      assert.equal(shown.json().features.amount.minor, '6000');
    });

    test('a review holds the payment and opens its case; clear is refused while the money is held', async () => {
      const base = defaultRuleSet();
      const review = {
        id: 'mid_amount',
        on: ['payment'],
        when: 'amount >= 30 CNY and amount < 40 CNY',
        action: 'review',
        score: 50,
        reason: 'mid_amount',
      };
      const proposed = await post('/v1/risk/rulesets', tokens.a, {
        document: { ...base, rules: [...base.rules, review] },
        basedOn: 1,
      });
      assert.equal(proposed.statusCode, 201, proposed.body);
      const approved = await post(`/v1/proposals/${proposed.json().id as string}/approve`, tokens.b, undefined);
      assert.equal(approved.json().state, 'executed', approved.body);
      await engine.refresh();
      assert.equal(engine.version, 2);
      const reviewed = await transferToCustomer(
        ctx,
        alice.principal,
        signed(identity, alice, carol.customer.id, '35.00', Date.now()),
      );
      assert.equal(reviewed.payment.state, 'held_for_review', 'a review is never let through unexamined');
      const [decision] = await decisionsOfSubject(t.store, reviewed.payment.id);
      assert.equal(decision?.decision, 'review');
      const listed = await t.app.inject({ url: '/v1/cases?kind=risk_review', headers: bearer(tokens.a) });
      assert.equal(listed.statusCode, 200, listed.body);
      const [item] = listed.json().items as Array<{ id: string; subject: { id: string } }>;
      assert.equal(item?.subject.id, reviewed.payment.id);
      const cleared = await post(`/v1/cases/${item?.id as string}/decisions`, tokens.a, {
        decision: 'clear',
        reason: 'known customer',
      });
      assert.deepEqual([cleared.statusCode, cleared.json().code], [409, 'review_hold_pending'], cleared.body);
      const [unlabelled] = await decisionsOfSubject(t.store, reviewed.payment.id);
      assert.equal(unlabelled?.label, null, 'release_hold / reject_payment decide it (flows/review-hold.test.ts)');
    });

    test('a blocked device is denied by the default rules, nothing moves; off the list, it pays again', async () => {
      const change = (effect: 'block' | 'remove') =>
        post('/v1/proposals', tokens.ops, {
          kind: 'risk.list',
          payload: { list: 'device', value: alice.device.id, effect, note: 'reported stolen' },
          reason: 'the customer reported the phone stolen',
        });
      const listed = async (effect: 'block' | 'remove') => {
        const proposed = await change(effect);
        assert.equal(proposed.statusCode, 201, proposed.body);
        const approved = await post(`/v1/proposals/${proposed.json().id as string}/approve`, tokens.a, undefined);
        assert.equal(approved.json().state, 'executed', approved.body);
      };
      await listed('block');
      const wallet = async () => balanceOf(await walletOf(t.ledger, alice.customer.id, 'CNY'));
      const before = await wallet();
      const toBob = () => signed(identity, alice, bob.customer.id, '5.00', Date.now());
      const denied = await transferToCustomer(ctx, alice.principal, toBob());
      assert.deepEqual([denied.payment.state, denied.payment.failureCode], ['failed', 'payment_denied']);
      assert.equal(await wallet(), before, 'no money moved');
      const [decision] = await decisionsOfSubject(t.store, denied.payment.id);
      assert.deepEqual([decision?.decision, decision?.reasons], ['deny', ['block_list']]);
      assert.equal(decision?.features['device.blocked'], true);
      const audit = (await t.auditRows('risk.decision')).find((row) => row.target === denied.payment.id);
      assert.equal(audit?.outcome, 'denied');
      assert.ok((await t.auditRows('risk.list_change')).some((row) => row.target === `device:${alice.device.id}`));

      await listed('remove');
      const paid = await transferToCustomer(ctx, alice.principal, toBob());
      assert.equal(paid.payment.state, 'succeeded');
      assert.equal(await wallet(), before - 500n, 'exactly 5.00 left');
    });

    test('an ID-number block denies the customer; an allow entry passes a challenge, never a block', async () => {
      const listed = async (list: string, value: string, effect: 'block' | 'allow' | 'remove') => {
        const proposed = await post('/v1/proposals', tokens.ops, {
          kind: 'risk.list', payload: { list, value, effect, note: 'test' }, reason: 'issue 12 lists',
        });
        assert.equal(proposed.statusCode, 201, proposed.body);
        const approved = await post(`/v1/proposals/${proposed.json().id as string}/approve`, tokens.a, undefined);
        assert.equal(approved.json().state, 'executed', approved.body);
      };
      const idHash = alice.customer.idNumberHash ?? assert.fail('the test customer has an ID-number hash');
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank 2' });
      const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
      const funded = await t.ledger.submit({
        kind: 'single', key: 'fund-alice-lists', debitAccountId: bank.id, creditAccountId: wallet.id,
        amount: 1_000_000n, currency: 'CNY',
      });
      assert.ok(funded.ok);
      const dave = await identity.addCustomer();
      const pay = (to: TestCustomer, amount: string) =>
        transferToCustomer(ctx, alice.principal, signed(identity, alice, to.customer.id, amount, Date.now()));
      const decided = async (paymentId: string) => (await decisionsOfSubject(t.store, paymentId))[0];

      await listed('id', idHash, 'block');
      const denied = await pay(bob, '1.00');
      assert.deepEqual([denied.payment.state, denied.payment.failureCode], ['failed', 'payment_denied']);
      const blocked = await decided(denied.payment.id);
      assert.deepEqual([blocked?.reasons, blocked?.features['id.blocked']], [['block_list'], true]);
      await listed('id', idHash, 'remove');

      // 2 500 CNY to a payee never paid: the default set challenges it (new_payee_large_amount)...
      const challenged = await pay(dave, '2500.00');
      assert.equal(challenged.payment.state, 'challenged');
      assert.deepEqual((await decided(challenged.payment.id))?.reasons, ['new_payee_large_amount']);
      // ...unless the payee is allow-listed: the same payment passes, its decision says why.
      await listed('payee', dave.customer.id, 'allow');
      const passed = await pay(dave, '2500.00');
      assert.equal(passed.payment.state, 'succeeded');
      const allowed = await decided(passed.payment.id);
      assert.deepEqual([allowed?.decision, allowed?.features['payee.allowed']], ['allow', true]);
      // An allow entry never lifts a block: the device allowed, the ID number blocked, denied.
      await listed('device', alice.device.id, 'allow');
      await listed('id', idHash, 'block');
      const still = await pay(dave, '1.00');
      assert.deepEqual([still.payment.state, still.payment.failureCode], ['failed', 'payment_denied']);
      await listed('id', idHash, 'remove');
      await listed('device', alice.device.id, 'remove');
      await listed('payee', dave.customer.id, 'remove');
    });
  });
}
