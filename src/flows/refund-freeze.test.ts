// A merchant frozen by a sanctions hit while one of its refunds is on its way pays nothing out: the
// freeze is read in the refund's own transaction, the one that applies its ledger transfer, so a
// freeze committed after the refund request's check (or after an approval was given) still fails it
// (`merchant_frozen`, audited), its reservation given back and every balance exactly as it was.
// The freeze is committed deterministically as the refund's money step begins (the ledger's transaction
// or submission is called), after every earlier check. On both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openCase } from '../cases/index.ts';
import { balanceOf, type Ledger } from '../ledger/index.ts';
import {
  createCheckoutOrder, executeRefund, merchantAccountOf, merchantProtectionFor, onboardMerchant, paymentById,
  paymentSettingsOf, requestRefund, walletOf, type PaymentsContext,
} from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestIdentity } from '../payments/testing.ts';
import { insertMerchantFreeze } from '../sanctions/store.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { payOrder } from './pay-order.ts';

for (const kind of testStoreKinds()) {
  describe(`a merchant frozen while its refund is on its way (${kind})`, () => {
    let t: AccessTestApp;
    let identity: TestIdentity;
    let ctx: PaymentsContext;
    let orders = 0;
    const clock = () => Date.now();

    before(async () => {
      t = await createAccessTestApp(kind);
      identity = await createTestIdentity();
      // Refunds above 100.00 wait for an approval.
      ctx = {
        store: t.store, ledger: t.ledger, identity, clock,
        settings: { ...paymentSettingsOf(t.config), refundApprovalMinor: 10_000n },
      };
    });
    after(async () => {
      await t.close();
    });

    const freeze = async (merchantId: string) => {
      const hit = await openCase(t.store, {
        kind: 'sanctions_hit', dedupeKey: `hit-${merchantId}`, title: 'hit',
        subject: { type: 'merchant', id: merchantId }, severity: 'critical', openedBy: 'system:test',
      }, clock());
      const row = { id: `smf-${merchantId}`, caseId: hit.id, merchantId, now: clock() };
      assert.ok(await t.store.transaction((tx) => insertMerchantFreeze(tx, row)));
    };

    /** The context whose ledger commits the freeze, once armed, as a money step begins (before it runs). */
    const freezingOnLookup = (merchantId: string): { ctx: PaymentsContext; arm: () => void } => {
      let armed = false;
      const ledger = new Proxy(t.ledger, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (typeof value !== 'function') return value;
          const bound = (value as (...args: unknown[]) => unknown).bind(target);
          if (property !== 'transaction' && property !== 'submit') return bound;
          return async (...args: unknown[]) => {
            if (armed) {
              armed = false;
              await freeze(merchantId);
            }
            return bound(...args);
          };
        },
      }) as Ledger;
      return { ctx: { ...ctx, ledger }, arm: () => { armed = true; } };
    };

    /** A customer with 500.00 who paid 200.00 to a new merchant (fee 1.20). */
    const paidOrder = async () => {
      const alice = await identity.addCustomer();
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
      const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
      const funding = { kind: 'single' as const, key: `fund-${alice.customer.id}`, currency: 'CNY' };
      const accounts = { debitAccountId: bank.id, creditAccountId: wallet.id };
      assert.ok((await t.ledger.submit({ ...funding, ...accounts, amount: 50_000n })).ok);
      orders += 1;
      const shop = {
        name: `Harbour Traders ${orders}`, businessRegistration: `91310000MA1FZ000${orders}X`,
        contactEmail: 'ops@harbour.example', settlementAccount: '6217000099997777',
      };
      const protection = await merchantProtectionFor(t.app.context.keyring);
      const { merchant } = await onboardMerchant(t.store, protection, shop, 'opr_test', 60, clock());
      const order = await createCheckoutOrder(t.store, {
        merchantId: merchant.id, merchantReference: `refund-freeze-${orders}`, amount: 20_000n, currency: 'CNY',
        description: 'crates', ttlMs: 3_600_000,
      }, clock());
      const instruction = instructionFor(alice, { kind: 'order_payment', target: order.id, amount: '200.00' }, clock());
      const signature = signInstruction(identity.profile, alice, instruction);
      const request = { instruction, signature, idempotencyKey: `rf-${orders}` };
      const paid = await payOrder(ctx, alice.principal, order.id, request);
      assert.equal(paid.payment.state, 'succeeded');
      const balances = async () => [
        balanceOf(await walletOf(t.ledger, alice.customer.id, 'CNY')),
        balanceOf(await merchantAccountOf(t.ledger, merchant.id, 'CNY')),
      ];
      assert.deepEqual(await balances(), [30_000n, 19_880n]);
      return { merchantId: merchant.id, paymentId: paid.payment.id, balances };
    };

    const assertRefusedUntouched = async (
      refundId: string,
      paid: Awaited<ReturnType<typeof paidOrder>>,
      refund: { state: string; failureCode: string | null },
    ) => {
      assert.deepEqual([refund.state, refund.failureCode], ['failed', 'merchant_frozen']);
      const executed = (await t.auditRows('refund.execute')).filter((r) => r.target === refundId);
      assert.deepEqual(executed.map((r) => [r.outcome, r.details.failureCode]), [['failure', 'merchant_frozen']]);
      assert.deepEqual(await t.ledger.transfersByReference(refundId, 10), [], 'no refund transfer');
      assert.deepEqual(await paid.balances(), [30_000n, 19_880n], 'nothing moved');
      const payment = await paymentById(t.store, paid.paymentId);
      assert.deepEqual([payment?.state, payment?.refundedAmount], ['succeeded', 0n]);
      const reserved = await t.store.get('SELECT refund_reserved FROM payments WHERE id = ?', [paid.paymentId]);
      assert.equal(BigInt(String(reserved?.refund_reserved)), 0n, 'the reservation is given back');
    };

    test('a freeze committed after the request was checked fails the refund before its money moves', async () => {
      const paid = await paidOrder();
      const { ctx: freezing, arm } = freezingOnLookup(paid.merchantId);
      arm();
      const request = { amount: 5_000n, reason: 'broken crate', idempotencyKey: 'refund-on-the-way' };
      const { refund } = await requestRefund(freezing, paid.merchantId, paid.paymentId, request);
      await assertRefusedUntouched(refund.id, paid, refund);
      const requested = (await t.auditRows('refund.request')).filter((r) => r.target === refund.id);
      assert.deepEqual(requested.map((r) => r.outcome), ['success'], 'the request was accepted before the freeze');
    });

    test('a freeze committed after the approval fails the approved refund before its money moves', async () => {
      const paid = await paidOrder();
      const request = { amount: 15_000n, reason: 'whole crate lost', idempotencyKey: 'refund-awaiting' };
      const { refund: waiting } = await requestRefund(ctx, paid.merchantId, paid.paymentId, request);
      assert.equal(waiting.state, 'awaiting_approval');
      const { ctx: freezing, arm } = freezingOnLookup(paid.merchantId);
      arm();
      const executed = await executeRefund(freezing, waiting.id);
      await assertRefusedUntouched(waiting.id, paid, executed);
    });

    test('without a freeze the same refund pays out exactly once', async () => {
      const paid = await paidOrder();
      const request = { amount: 5_000n, reason: 'broken crate', idempotencyKey: 'refund-clean' };
      const { refund } = await requestRefund(ctx, paid.merchantId, paid.paymentId, request);
      assert.equal(refund.state, 'succeeded');
      assert.equal((await executeRefund(ctx, refund.id)).state, 'succeeded', 'executing again changes nothing');
      assert.deepEqual((await t.ledger.transfersByReference(refund.id, 10)).map((x) => x.amount), [5_000n]);
      assert.deepEqual(await paid.balances(), [35_000n, 14_880n]);
      assert.equal((await paymentById(t.store, paid.paymentId))?.refundedAmount, 5_000n);
    });
  });
}
