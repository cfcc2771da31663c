// A payment risk control sends to `review` is held (docs/payments.md "Held for review"), on both
// stores, through the real app: the hold reserves exactly its amount (payer's available balance down,
// payee's pending credit up, nothing posted), the risk_review case links it, and only a second
// analyst's approval moves the money — release_hold posts the hold, reject_payment and confirm_fraud
// void it (fraud labels the decision and blocks the device) — while a hold nobody decides in
// ANFU_REVIEW_TTL_MS is voided by the payments.review-holds sweep and can then no longer be released.
// A fast-check property runs random sequences of held payments and resolutions and checks every
// balance exactly. A release towards a merchant frozen by a sanctions hit since is refused. The crash
// test of the sweep is review-hold-crash.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { availableOf, balanceOf } from '../ledger/index.ts';
import {
  merchantAccountOf,
  paymentById, paymentSettingsOf, resolveReviewHold, reviewHoldOfPayment, sweepReviewHolds, transitionsOf, walletOf,
  type Payment, type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity, instructionFor, signInstruction, type TestCustomer, type TestIdentity,
  testMerchantOrder,
} from '../payments/testing.ts';
import { decisionById, defaultRuleSet, listEntries } from '../risk/index.ts';
import { freezeMerchantAsHit } from '../sanctions/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { stuckAfterMs } from './payment-sweeps.ts';
import { payOrder } from './pay-order.ts';
import { transferToCustomer } from './transfer-to-customer.ts';

const reviewTtlMs = 3_600_000;
const holdRule = {
  id: 'hold_big', on: ['payment'], when: 'amount >= 100 CNY', action: 'review', score: 50, reason: 'hold_big',
};

let keys = 0;
function signed(identity: TestIdentity, who: TestCustomer, target: string, amount: string, now: number) {
  const instruction = instructionFor(who, { kind: 'transfer', target, amount }, now);
  const signature = signInstruction(identity.profile, who, instruction);
  return { instruction, signature, idempotencyKey: `rh-${keys++}` };
}

for (const kind of testStoreKinds()) {
  describe(`payments held for review (${kind})`, () => {
    let t: AccessTestApp;
    let tokens: { a: string; b: string };
    let ctx: PaymentsContext;
    let identity: TestIdentity;
    let bank: string;
    // The payments' clock (device certificates are issued now); the app's own clock only runs the cases.
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    const post = (url: string, token: string, payload?: unknown) => {
      const body = payload === undefined ? {} : { payload: payload as Record<string, unknown> };
      return t.app.inject({ method: 'POST', url, headers: bearer(token), ...body });
    };
    const wallet = async (who: TestCustomer) => walletOf(t.ledger, who.customer.id, 'CNY');
    const customer = async (minor: bigint) => {
      const who = await identity.addCustomer();
      if (minor > 0n) {
        const funded = await t.ledger.submit({
          kind: 'single', key: `fund:${who.customer.id}`, debitAccountId: bank, creditAccountId: (await wallet(who)).id,
          amount: minor, currency: 'CNY',
        });
        assert.ok(funded.ok);
      }
      return who;
    };
    const pay = async (from: TestCustomer, to: TestCustomer, amount: string): Promise<Payment> =>
      (await transferToCustomer(ctx, from.principal, signed(identity, from, to.customer.id, amount, clock()))).payment;
    const caseOf = async (paymentId: string) => {
      const row = await t.store.get<{ id: string }>(
        "SELECT id FROM cases WHERE kind = 'risk_review' AND subject_type = 'payment' AND subject_id = ?",
        [paymentId],
      );
      assert.ok(row !== undefined, 'the review opened a case on the payment');
      return row.id;
    };
    /** A four-eyes case decision: proposed by analyst a, approved by analyst b; returns the approval. */
    const decide = async (caseId: string, decision: string) => {
      const proposed = await post(`/v1/cases/${caseId}/decisions`, tokens.a, { decision, reason: 'reviewed' });
      assert.equal(proposed.statusCode, 200, proposed.body);
      const proposalId = proposed.json().proposalId as string;
      assert.match(proposalId, /^prp_/, 'a four-eyes decision waits for a checker');
      const self = await post(`/v1/proposals/${proposalId}/approve`, tokens.a);
      assert.equal(self.json().code, 'proposal_self_approval', 'maker ≠ checker');
      return post(`/v1/proposals/${proposalId}/approve`, tokens.b);
    };

    before(async () => {
      t = await createAccessTestApp(kind, { ANFU_REVIEW_TTL_MS: String(reviewTtlMs) });
      const [a, b] = [await t.operator('risk_analyst'), await t.operator('risk_analyst')];
      tokens = { a: await t.login(a), b: await t.login(b) };
      identity = await createTestIdentity();
      const risk = t.app.context.risk;
      const settings = paymentSettingsOf(t.config);
      ctx = { store: t.store, ledger: t.ledger, identity, settings, clock, riskEngine: risk };
      bank = (await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' })).id;
      const base = defaultRuleSet();
      const document = { ...base, rules: [...base.rules, holdRule] };
      const proposed = await post('/v1/risk/rulesets', tokens.a, { document });
      assert.equal(proposed.statusCode, 201, proposed.body);
      assert.equal((await post(`/v1/proposals/${proposed.json().id}/approve`, tokens.b)).json().state, 'executed');
      await risk.refresh();
      assert.equal(risk.version, 1);
    });
    after(async () => {
      await t.close();
    });

    test('a reviewed payment is held: its amount reserved, nothing posted, its case opened', async () => {
      const [alice, bob] = [await customer(50_000n), await customer(0n)];
      const small = await pay(alice, bob, '10.00');
      assert.equal(small.state, 'succeeded', 'under the rule: not reviewed');
      const held = await pay(alice, bob, '150.00');
      assert.equal(held.state, 'held_for_review');
      const [a, b] = [await wallet(alice), await wallet(bob)];
      assert.deepEqual([balanceOf(a), availableOf(a), a.debitsPending], [49_000n, 34_000n, 15_000n]);
      assert.deepEqual([balanceOf(b), b.creditsPending], [1_000n, 15_000n]);
      const row = await reviewHoldOfPayment(t.store, held.id);
      assert.equal(row?.state, 'held');
      const dueInMs = (row?.expiresAt ?? 0) - clock();
      assert.ok(dueInMs > reviewTtlMs - 60_000 && dueInMs <= reviewTtlMs, 'due in ANFU_REVIEW_TTL_MS');
      const decision = await decisionById(t.store, row?.decisionId ?? '');
      assert.deepEqual([decision?.decision, decision?.reasons], ['review', ['hold_big']]);
      await caseOf(held.id);
      const walk = (await transitionsOf(t.store, held.id)).map((s) => s.toState);
      assert.deepEqual(walk, ['created', 'risk_checked', 'held_for_review']);
      const audit = (await t.auditRows('risk.decision')).find((r) => r.target === held.id);
      assert.equal(audit?.details.decision, 'review');
    });

    test('release_hold (four eyes) posts the hold: the payment succeeds, labelled legitimate', async () => {
      const [alice, bob] = [await customer(50_000n), await customer(0n)];
      const held = await pay(alice, bob, '200.00');
      const caseId = await caseOf(held.id);
      const clear = { decision: 'clear', reason: 'looks fine' };
      const cleared = await post(`/v1/cases/${caseId}/decisions`, tokens.a, clear);
      assert.deepEqual([cleared.statusCode, cleared.json().code], [409, 'review_hold_pending'], 'clear moves no money');
      const approved = await decide(caseId, 'release_hold');
      assert.equal(approved.json().state, 'executed', approved.body);
      const payment = await paymentById(t.store, held.id);
      assert.equal(payment?.state, 'succeeded');
      const [a, b] = [await wallet(alice), await wallet(bob)];
      assert.deepEqual([balanceOf(a), a.debitsPending, balanceOf(b), b.creditsPending], [30_000n, 0n, 20_000n, 0n]);
      const walk = (await transitionsOf(t.store, held.id)).map((s) => s.toState);
      assert.deepEqual(walk, ['created', 'risk_checked', 'held_for_review', 'processing', 'succeeded']);
      const row = await reviewHoldOfPayment(t.store, held.id);
      assert.deepEqual([row?.state, row?.resolution], ['released', 'release']);
      assert.equal((await decisionById(t.store, row?.decisionId ?? ''))?.label, 'legitimate');
      const again = await resolveReviewHold(ctx, held.id, 'reject', 'system:test');
      assert.deepEqual(again, { ok: false, code: 'review_hold_resolved' }, 'released money is never voided after');
      assert.equal(balanceOf(await wallet(bob)), 20_000n);
    });

    test('reject_payment voids the hold: the payment fails, the money and the limit usage are back', async () => {
      const [alice, bob] = [await customer(50_000n), await customer(0n)];
      const usage = async () => {
        const sql = "SELECT used FROM payment_limit_usage WHERE customer_id = ? AND period = 'life'";
        return (await t.store.all(sql, [alice.customer.id])).map((r) => BigInt(r.used as bigint));
      };
      const held = await pay(alice, bob, '300.00');
      assert.deepEqual(await usage(), [30_000n]);
      const approved = await decide(await caseOf(held.id), 'reject_payment');
      assert.equal(approved.json().state, 'executed', approved.body);
      const payment = await paymentById(t.store, held.id);
      assert.deepEqual([payment?.state, payment?.failureCode], ['failed', 'payment_rejected_in_review']);
      const [a, b] = [await wallet(alice), await wallet(bob)];
      assert.deepEqual([balanceOf(a), availableOf(a), balanceOf(b), b.creditsPending], [50_000n, 50_000n, 0n, 0n]);
      assert.deepEqual(await usage(), [0n]);
      const row = await reviewHoldOfPayment(t.store, held.id);
      assert.equal((await decisionById(t.store, row?.decisionId ?? ''))?.label, null, 'a rejection is not a finding');
    });

    test('confirm_fraud voids the hold, labels the decision fraud and blocks the device', async () => {
      const [alice, bob] = [await customer(50_000n), await customer(0n)];
      const held = await pay(alice, bob, '400.00');
      const approved = await decide(await caseOf(held.id), 'confirm_fraud');
      assert.equal(approved.json().state, 'executed', approved.body);
      assert.equal((await paymentById(t.store, held.id))?.state, 'failed');
      assert.equal(balanceOf(await wallet(alice)), 50_000n);
      const row = await reviewHoldOfPayment(t.store, held.id);
      assert.deepEqual([row?.state, row?.resolution], ['rejected', 'fraud']);
      assert.equal((await decisionById(t.store, row?.decisionId ?? ''))?.label, 'fraud');
      const devices = await listEntries(t.store, 'device', 1000);
      const blocked = devices.filter((e) => e.value === alice.device.id);
      assert.equal(blocked[0]?.effect, 'block');
    });

    test('the deadline voids an undecided hold; a late release is refused and changes nothing', async () => {
      const [alice, bob] = [await customer(50_000n), await customer(0n)];
      const held = await pay(alice, bob, '120.00');
      const due = (await reviewHoldOfPayment(t.store, held.id))?.expiresAt ?? 0;
      const frozen = { ...ctx, clock: () => due - 1 };
      await sweepReviewHolds(frozen, { stuckAfterMs, limit: 100 });
      assert.equal((await paymentById(t.store, held.id))?.state, 'held_for_review', 'not yet due');
      offsetMs = due - Date.now();
      assert.ok((await sweepReviewHolds({ ...ctx, clock: () => due }, { stuckAfterMs, limit: 100 })) >= 1);
      offsetMs = 0;
      const payment = await paymentById(t.store, held.id);
      assert.deepEqual([payment?.state, payment?.failureCode], ['failed', 'payment_review_expired']);
      assert.equal(balanceOf(await wallet(alice)), 50_000n);
      const late = await decide(await caseOf(held.id), 'release_hold');
      assert.equal(late.json().state, 'failed', late.body);
      assert.equal((await paymentById(t.store, held.id))?.state, 'failed');
      assert.deepEqual([balanceOf(await wallet(alice)), balanceOf(await wallet(bob))], [50_000n, 0n]);
      const detail = await t.app.inject({ url: `/v1/cases/${await caseOf(held.id)}`, headers: bearer(tokens.a) });
      assert.notEqual(detail.json().status, 'decided', 'the case stays open for another decision');
    });

    test('releases raced against each other and the deadline: one ending, the money moved once', async () => {
      const [alice, bob] = [await customer(50_000n), await customer(0n)];
      const held = await pay(alice, bob, '150.00');
      const due = (await reviewHoldOfPayment(t.store, held.id))?.expiresAt ?? 0;
      const late = { ...ctx, clock: () => due };
      const [first, second, expiry] = await Promise.all([
        resolveReviewHold(ctx, held.id, 'release', 'op_a'),
        resolveReviewHold(ctx, held.id, 'release', 'op_b'),
        resolveReviewHold(late, held.id, 'expire', 'system:payments'),
        sweepReviewHolds(late, { stuckAfterMs, limit: 100 }),
      ]);
      assert.equal(second.ok, first.ok, 'both releases answer alike');
      assert.notEqual(expiry.ok, first.ok, 'the release and the expiry cannot both win');
      const payment = await paymentById(t.store, held.id);
      const walk = (await transitionsOf(t.store, held.id)).map((step) => step.toState);
      assert.equal(walk.filter((to) => to === 'succeeded' || to === 'failed').length, 1, 'one ending');
      if (first.ok) {
        assert.equal(payment?.state, 'succeeded');
        assert.deepEqual([balanceOf(await wallet(alice)), balanceOf(await wallet(bob))], [35_000n, 15_000n]);
      } else {
        assert.deepEqual([payment?.state, payment?.failureCode], ['failed', 'payment_review_expired']);
        assert.deepEqual([balanceOf(await wallet(alice)), balanceOf(await wallet(bob))], [50_000n, 0n]);
      }
      assert.equal(availableOf(await wallet(alice)), balanceOf(await wallet(alice)), 'nothing left held');
    });

    test('a release to a merchant frozen since the hold is refused (merchant_frozen); reject voids it', async () => {
      const alice = await customer(50_000n);
      const shop = { name: 'Tea House', registration: '91310000MA1FL0000X', settlementAccount: '6217000099998888' };
      const sale = { reference: 'rh-frozen', amount: 20_000n, description: 'tea' };
      const { merchant, order } = await testMerchantOrder(t.store, t.app.context.keyring, shop, sale, clock());
      const instruction = instructionFor(alice, { kind: 'order_payment', target: order.id, amount: '200.00' }, clock());
      const signature = signInstruction(identity.profile, alice, instruction);
      const request = { instruction, signature, idempotencyKey: `rh-${keys++}` };
      const held = (await payOrder(ctx, alice.principal, order.id, request)).payment;
      assert.equal(held.state, 'held_for_review');
      // The merchant is frozen as a sanctions hit freezes it (its case's freeze row).
      await freezeMerchantAsHit(t.store, merchant.id, clock());
      const caseId = await caseOf(held.id);
      const release = await decide(caseId, 'release_hold');
      assert.equal(release.json().state, 'failed', release.body);
      assert.equal((await paymentById(t.store, held.id))?.state, 'held_for_review', 'still held');
      const shopAccount = await merchantAccountOf(t.ledger, merchant.id, 'CNY');
      assert.deepEqual([balanceOf(shopAccount), balanceOf(await wallet(alice))], [0n, 50_000n], 'nothing posted');
      const rejected = await decide(caseId, 'reject_payment');
      assert.equal(rejected.json().state, 'executed', rejected.body);
      const after = [availableOf(await wallet(alice)), (await paymentById(t.store, held.id))?.state];
      assert.deepEqual(after, [50_000n, 'failed'], 'the money is back with the payer');
    });

    test('property: any sequence of held payments and resolutions leaves exact balances', async () => {
      const op = fc.record({
        amountMinor: fc.integer({ min: 10_000, max: 40_000 }),
        end: fc.constantFrom('release', 'reject', 'fraud', 'expire', 'open'),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 5 }), async (ops) => {
          const funded = 100_000n;
          const [alice, bob] = [await customer(funded), await customer(0n)];
          let expected = { alice: funded, bob: 0n, pending: 0n };
          for (const { amountMinor, end } of ops) {
            const amount = BigInt(amountMinor);
            const payment = await pay(alice, bob, (amountMinor / 100).toFixed(2));
            const available = expected.alice - expected.pending;
            if (amount > available) {
              assert.deepEqual([payment.state, payment.failureCode], ['failed', 'insufficient_funds']);
              continue;
            }
            assert.equal(payment.state, 'held_for_review');
            if (end === 'open') {
              expected = { ...expected, pending: expected.pending + amount };
              continue;
            }
            const outcome = end === 'expire'
              ? await resolveReviewHold(ctx, payment.id, 'expire', 'system:payments')
              : await resolveReviewHold(ctx, payment.id, end, 'system:test');
            assert.ok(outcome.ok);
            if (end === 'release') {
              assert.equal(outcome.payment.state, 'succeeded');
              expected = { ...expected, alice: expected.alice - amount, bob: expected.bob + amount };
            } else assert.equal(outcome.payment.state, 'failed');
          }
          const [a, b] = [await wallet(alice), await wallet(bob)];
          assert.deepEqual(
            [balanceOf(a), a.debitsPending, balanceOf(b), b.creditsPending],
            [expected.alice, expected.pending, expected.bob, expected.pending],
          );
        }),
        { numRuns: 8 },
      );
      assert.deepEqual((await t.ledger.verify()).problems, []);
    });
  });
}
