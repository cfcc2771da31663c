// A re-screening hit on an existing merchant freezes it until compliance decides, on both stores and
// through the real app: its new orders, a customer's payment of its open order and its refunds are
// refused (`merchant_frozen`, audited, balances exact); a settlement run holds exactly its payout while
// paying the other merchant; a confirmed match keeps the freeze; a false positive, approved by a second
// analyst, lifts it and the next settlement pays it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPartner, settleMerchants, type Partner } from '../clearing/index.ts';
import { balanceOf } from '../ledger/index.ts';
import {
  merchantAccountOf, merchantRequestSignature, merchantsAfter, signingKeyOf, walletOf,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from '../payments/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { loadLists } from './load-lists.ts';
import { requestRescreen, rescreenStep, type PartySource } from './rescreen.ts';
import { createSanctions } from './sanctions.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

const day = 86_400_000;

interface TestMerchant {
  readonly id: string;
  readonly apiKey: string;
}

for (const kind of testStoreKinds()) {
  describe(`a re-screening hit freezes a merchant on ${kind}`, () => {
    let t: AccessTestApp;
    let alice: TestCustomer;
    /** On a device enrolled a minute ago: her order payment waits for a step-up when the freeze comes. */
    let dana: TestCustomer;
    let danasWaiting = '';
    let danasOrder = '';
    /** Listed (OFAC): Cuba's national bank, twice (two registrations); and a tea house nobody lists. */
    let listed: TestMerchant;
    let listedToo: TestMerchant;
    let clean: TestMerchant;
    let partner: Partner;
    let openOrderOfListed = '';
    let paidAtListed = '';
    /** A refund at the listed merchant that waits for its approval when the freeze comes. */
    let refundWaiting = '';
    let keys = 0;

    const merchantBalance = async (m: TestMerchant) => balanceOf(await merchantAccountOf(t.ledger, m.id, 'CNY'));
    const aliceBalance = async () => balanceOf(await walletOf(t.ledger, alice.customer.id, 'CNY'));
    const merchantPost = (m: TestMerchant, url: string, payload: Record<string, unknown>) => {
      const [keyId = '', secret = ''] = m.apiKey.split('.');
      const body = JSON.stringify(payload);
      const timestamp = String(t.now());
      const signature = merchantRequestSignature(signingKeyOf(secret), 'POST', url, timestamp, body);
      const headers = {
        'anfu-key-id': keyId, 'anfu-timestamp': timestamp, 'anfu-signature': signature,
        'content-type': 'application/json', 'idempotency-key': `merchant-${kind}-${keys++}-key`,
      };
      return t.app.inject({ method: 'POST', url, headers, payload: body });
    };
    const order = (m: TestMerchant, amount: string) =>
      merchantPost(m, '/v1/merchant/orders', {
        merchantReference: `R-${keys}`, amount, currency: 'CNY', description: 'tea', expiresInSeconds: 86_400,
      });
    const pay = (orderId: string, amount: string, who: TestCustomer = alice) => {
      const instruction = instructionFor(who, { kind: 'order_payment', target: orderId, amount }, t.now());
      return t.app.inject({
        method: 'POST', url: `/v1/orders/${orderId}/payments`,
        headers: { ...bearer(who.token), 'idempotency-key': `pay-${kind}-${keys++}-key` },
        payload: { instruction, signature: signInstruction('intl', who, instruction) },
      });
    };
    const onboard = async (token: string, name: string, registration: string): Promise<TestMerchant> => {
      const payload = {
        name, businessRegistration: registration, contactEmail: 'ops@merchant.example',
        settlementAccount: `622202020011${registration.slice(-6, -1)}`, feeBps: 60,
      };
      const response = await t.app.inject({ method: 'POST', url: '/v1/merchants', headers: bearer(token), payload });
      assert.equal(response.statusCode, 201, response.body);
      return response.json() as TestMerchant;
    };
    /** A risk analyst signed in now (a session does not outlive the days the tests move the clock). */
    const analyst = async () => t.login(await t.operator('risk_analyst'));
    const operator = (token: string, url: string, payload?: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });
    const rescreen = async () => {
      const sanctions = createSanctions(t.store, t.now);
      const merchants: PartySource = {
        type: 'merchant',
        page: (afterId, limit) => merchantsAfter(t.store, afterId, limit),
      };
      await requestRescreen(sanctions, 'opr_analyst');
      let step = await rescreenStep(sanctions, [merchants], { pageSize: 10 });
      for (let i = 0; i < 10 && step.run?.state === 'running'; i += 1)
        step = await rescreenStep(sanctions, [merchants]);
      assert.equal(step.run?.state, 'done');
    };
    const caseOf = async (m: TestMerchant) => {
      const rows = await t.store.all<{ id: string }>(
        "SELECT id FROM cases WHERE kind = 'sanctions_hit' AND subject_id = ?",
        [m.id],
      );
      assert.equal(rows.length, 1, 'one case per merchant and list entry');
      return (rows[0] as { id: string }).id;
    };
    const freezes = async () =>
      (
        await t.store.all<{ merchant_id: string; active: number | bigint }>(
          'SELECT merchant_id, active FROM sanctions_merchant_freezes ORDER BY merchant_id',
        )
      ).map((f) => [f.merchant_id, Number(f.active)]);
    const settle = async () => {
      const outcomes = await settleMerchants(t.app.context.clearing, partner.id);
      return new Map(outcomes.map((o) => [o.merchantId, o]));
    };

    before(async () => {
      requireSharedLists();
      const identity = await createTestIdentity('intl');
      // Refunds above 10.00 wait for an operator's approval.
      t = await createAccessTestApp(kind, { ANFU_REFUND_APPROVAL_MINOR: '1000' }, { paymentIdentity: identity });
      alice = await identity.addCustomer({ now: t.now() });
      dana = await identity.addCustomer({ now: t.now(), deviceAgeMs: 60_000 });
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
      for (const who of [alice, dana]) {
        const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
        const funding = {
          kind: 'single' as const, key: `fund-${who.customer.id}`, debitAccountId: bank.id, creditAccountId: wallet.id,
        };
        assert.ok((await t.ledger.submit({ ...funding, amount: 500_000n, currency: 'CNY' })).ok);
      }
      // Onboarded while no list was loaded (development and test let that through unscreened).
      const admin = await t.apiToken('administrator');
      listed = await onboard(admin, 'Banco Nacional de Cuba', '91310000MA1K00001Y');
      listedToo = await onboard(admin, 'Banco Nacional de Cuba', '91310000MA1K00002Y');
      clean = await onboard(admin, 'Jade Garden Tea House', '91310000MA1K00003Y');
      for (const [m, amount] of [[listed, '100.00'], [listedToo, '30.00'], [clean, '50.00']] as const) {
        const created = await order(m, amount);
        assert.equal(created.statusCode, 201, created.body);
        const paid = await pay(created.json().id as string, amount);
        assert.equal(paid.statusCode, 201, paid.body);
        if (m === listed) paidAtListed = paid.json().id as string;
      }
      const waiting = await merchantPost(listed, `/v1/merchant/payments/${paidAtListed}/refunds`, {
        amount: '20.00', reason: 'broken teapot',
      });
      assert.deepEqual([waiting.statusCode, waiting.json().state], [202, 'awaiting_approval'], waiting.body);
      refundWaiting = waiting.json().id as string;
      danasOrder = (await order(listed, '3.00')).json().id as string;
      const challenged = await pay(danasOrder, '3.00', dana);
      assert.equal(challenged.statusCode, 202, `a new device's payment waits for a step-up: ${challenged.body}`);
      danasWaiting = challenged.json().id as string;
      const open = await order(listed, '20.00');
      assert.equal(open.statusCode, 201, open.body);
      openOrderOfListed = open.json().id as string;
      const loader = { type: 'operator' as const, id: 'opr_loader' };
      await loadLists(t.store, { ofac: realOfacFiles, un: realUnFile }, loader, t.now());
      partner = await createPartner(
        t.store, t.ledger,
        {
          name: 'ICBC Shanghai', role: 'settlement_bank', currency: 'CNY', bic: 'ICBKCNBJSHI',
          accountNumber: '1001000000000001', netDebitCap: 5_000_000n, feePerInstruction: 200n, settlementDays: 1,
        },
        'opr_test', t.now(),
      );
    });
    after(() => t.close());

    test('the hit freezes the merchant: no order, no payment to it, no refund; nothing moves', async () => {
      // 100.00 less the 0.60 fee; 30.00 less 0.18; 50.00 less 0.30.
      const before = [await aliceBalance(), await merchantBalance(listed), await merchantBalance(clean)];
      assert.deepEqual(before, [500_000n - 18_000n, 9_940n, 4_970n]);
      await rescreen();
      const caseId = await caseOf(listed);
      assert.deepEqual(await freezes(), [[listed.id, 1], [listedToo.id, 1]].sort(), 'the tea house is not frozen');
      const audit = (await t.auditRows('sanctions.freeze')).filter((r) => r.target === listed.id);
      assert.deepEqual(audit.map((r) => [r.actor_type, r.details]), [
        ['system', { caseId, frozen: ['orders', 'order_payments', 'refunds', 'settlement_payouts'] }],
      ]);

      const payment = await pay(openOrderOfListed, '20.00');
      assert.deepEqual([payment.statusCode, payment.json().code], [403, 'merchant_frozen'], payment.body);
      const refusals = await t.auditRows('payment.instruction_refused');
      assert.deepEqual(refusals.map((r) => [r.actor_id, r.details.code]), [[alice.customer.id, 'merchant_frozen']]);
      const rows = await t.store.all('SELECT id FROM payments WHERE order_id = ?', [openOrderOfListed]);
      assert.deepEqual(rows, [], 'no payment was created');

      const newOrder = await order(listed, '5.00');
      assert.deepEqual([newOrder.statusCode, newOrder.json().code], [403, 'merchant_frozen'], newOrder.body);
      const refused = await merchantPost(listed, `/v1/merchant/payments/${paidAtListed}/refunds`, {
        amount: '10.00', reason: 'returned goods',
      });
      assert.deepEqual([refused.statusCode, refused.json().code], [403, 'merchant_frozen'], refused.body);
      const requests = [...(await t.auditRows('order.create')), ...(await t.auditRows('refund.request'))];
      const denied = requests.filter((r) => r.outcome === 'denied');
      assert.deepEqual(denied.map((r) => [r.actor_id, r.outcome, r.details.code]), [
        [listed.id, 'denied', 'merchant_frozen'],
        [listed.id, 'denied', 'merchant_frozen'],
      ]);
      assert.deepEqual([await aliceBalance(), await merchantBalance(listed), await merchantBalance(clean)], before);

      // The refund that waited for approval fails when approved: its money stays frozen.
      const [row] = await t.store.all<{ proposal_id: string }>('SELECT proposal_id FROM refunds WHERE id = ?', [
        refundWaiting,
      ]);
      const approved = await operator(
        await t.login(await t.operator('operations')),
        `/v1/proposals/${row?.proposal_id ?? ''}/approve`,
      );
      assert.equal(approved.json().state, 'failed', approved.body);
      const [refund] = await t.store.all<{ state: string; failure_code: string }>(
        'SELECT state, failure_code FROM refunds WHERE id = ?',
        [refundWaiting],
      );
      assert.deepEqual([refund?.state, refund?.failure_code], ['failed', 'merchant_frozen']);
      assert.deepEqual([await aliceBalance(), await merchantBalance(listed), await merchantBalance(clean)], before);
      // Dana's payment, challenged before the freeze, fails at its step-up and gives the order back.
      const stepUp = await t.app.inject({
        method: 'POST', url: `/v1/payments/${danasWaiting}/step-up`, headers: bearer(dana.token),
        payload: { kind: 'totp', code: '123456' },
      });
      assert.deepEqual([stepUp.statusCode, stepUp.json().code], [403, 'merchant_frozen'], stepUp.body);
      const failed = await t.app.inject({ url: `/v1/payments/${danasWaiting}`, headers: bearer(dana.token) });
      assert.deepEqual([failed.json().state, failed.json().failureCode], ['failed', 'merchant_frozen'], failed.body);
      const [danasOrderRow] = await t.store.all<{ state: string }>('SELECT state FROM checkout_orders WHERE id = ?', [
        danasOrder,
      ]);
      assert.equal(danasOrderRow?.state, 'open', 'the order is given back');
      const danasWallet = balanceOf(await walletOf(t.ledger, dana.customer.id, 'CNY'));
      assert.deepEqual([danasWallet, await merchantBalance(listed)], [500_000n, 9_940n], 'nothing moved');
      const elsewhere = await order(clean, '1.00');
      assert.equal((await pay(elsewhere.json().id as string, '1.00')).statusCode, 201, 'other merchants are paid');
      assert.equal(await merchantBalance(clean), 4_970n + 100n - 1n);
    });

    test('a settlement run holds exactly the frozen payouts and pays the other merchant', async () => {
      t.advance(2 * day);
      const outcomes = await settle();
      assert.deepEqual(
        [outcomes.get(listed.id)?.skipped, outcomes.get(listed.id)?.gross, outcomes.get(listed.id)?.instruction],
        ['sanctions_freeze', 9_940n, undefined],
      );
      assert.equal(outcomes.get(listedToo.id)?.skipped, 'sanctions_freeze');
      assert.equal(outcomes.get(clean.id)?.net, 5_069n - 200n);
      assert.ok(outcomes.get(clean.id)?.instruction !== undefined, 'the tea house is paid');
      assert.deepEqual(
        [await merchantBalance(listed), await merchantBalance(listedToo), await merchantBalance(clean)],
        [9_940n, 2_982n, 0n],
        'the frozen money stays in the merchant accounts',
      );
      const held = await t.auditRows('clearing.settlement_held');
      assert.deepEqual(held.map((r) => [r.target, r.outcome, r.details.gross, r.details.reason]).sort(), [
        [listed.id, 'denied', '9940', 'sanctions_freeze'],
        [listedToo.id, 'denied', '2982', 'sanctions_freeze'],
      ].sort());
    });

    test('a confirmed match keeps the freeze, audited; the payout stays held', async () => {
      const caseId = await caseOf(listedToo);
      const decided = await operator(await analyst(), `/v1/cases/${caseId}/decisions`, {
        decision: 'confirmed_match', reason: 'same bank as the list entry',
      });
      assert.equal(decided.statusCode, 200, decided.body);
      const kept = await t.auditRows('sanctions.freeze.keep');
      assert.deepEqual(kept.map((r) => [r.target, r.details.caseId]), [[listedToo.id, caseId]]);
      assert.equal((await order(listedToo, '1.00')).json().code, 'merchant_frozen');
      t.advance(day);
      assert.equal((await settle()).get(listedToo.id)?.skipped, 'sanctions_freeze');
      assert.equal(await merchantBalance(listedToo), 2_982n);
    });

    test('a false positive needs a second analyst; approved, it unfreezes and the next settlement pays', async () => {
      const caseId = await caseOf(listed);
      const [maker, checker] = [await analyst(), await analyst()];
      const proposed = await operator(maker, `/v1/cases/${caseId}/decisions`, {
        decision: 'false_positive', reason: 'a different bank of the same name',
      });
      assert.equal(proposed.statusCode, 200, proposed.body);
      const proposalId = proposed.json().proposalId as string;
      assert.equal((await order(listed, '1.00')).json().code, 'merchant_frozen', 'still frozen on one signature');
      const self = await operator(maker, `/v1/proposals/${proposalId}/approve`);
      assert.equal(self.json().code, 'proposal_self_approval');
      const approved = await operator(checker, `/v1/proposals/${proposalId}/approve`);
      assert.equal(approved.json().state, 'executed', approved.body);
      assert.deepEqual(await freezes(), [[listed.id, 0], [listedToo.id, 1]].sort());
      const lift = await t.auditRows('sanctions.freeze.lift');
      assert.deepEqual(lift.map((r) => [r.target, r.details.caseId]), [[listed.id, caseId]]);

      const reopened = await order(listed, '20.00');
      assert.equal(reopened.statusCode, 201, reopened.body);
      const payment = await pay(reopened.json().id as string, '20.00');
      assert.equal(payment.statusCode, 201, payment.body);
      t.advance(2 * day);
      const outcomes = await settle();
      // 9,940 held before, and 20.00 less its 0.12 fee since.
      assert.equal(outcomes.get(listed.id)?.net, 9_940n + 1_988n - 200n);
      assert.ok(outcomes.get(listed.id)?.instruction !== undefined);
      assert.equal(outcomes.get(listedToo.id)?.skipped, 'sanctions_freeze');
      assert.deepEqual([await merchantBalance(listed), await merchantBalance(listedToo)], [0n, 2_982n]);
    });
  });
}
