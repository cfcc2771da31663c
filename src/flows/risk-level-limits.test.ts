// R4.4: the customer's AML risk rating feeds limits. A payer rated high may use half of the day limit of
// their session's strength (ANFU_LIMIT_DAY_HIGH_RISK_PERCENT, default 50), on both write paths: a transfer
// (decided in the batch) and an order payment (its own transaction). Over it: `limit_exceeded` naming the
// day limit and what remains, audited as `payment.limit_refused`, no money moved; at it: paid. A payer
// rated low keeps the whole day limit. Both stores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertRating } from '../aml/testing.ts';
import { AnfuError } from '../errors.ts';
import { balanceOf } from '../ledger/index.ts';
import { createCheckoutOrder, paymentSettingsOf, walletOf } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, testMerchantOrder } from '../payments/testing.ts';
import { RiskEngine } from '../risk/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createAccessTestApp } from '../wiring/access-test-app.ts';
import { payOrder } from './pay-order.ts';
import { transferToCustomer } from './transfer-to-customer.ts';

for (const kind of testStoreKinds()) {
  test(`a high-risk payer may use half the day limit, by transfer and by order payment (${kind})`, async () => {
    const t = await createAccessTestApp(kind);
    const engine = new RiskEngine({ store: t.store });
    try {
      const identity = await createTestIdentity();
      // Weak sessions: a day limit of 1,000.00 CNY, so 500.00 for a high-risk payer.
      const [high, low, payee] = [
        await identity.addCustomer({ strength: 'weak' }),
        await identity.addCustomer({ strength: 'weak' }),
        await identity.addCustomer(),
      ];
      await t.store.transaction(async (tx) => {
        await insertRating(tx, high.customer.id, 'high', Date.now());
        await insertRating(tx, low.customer.id, 'low', Date.now());
      });
      const ctx = {
        store: t.store, ledger: t.ledger, identity, settings: paymentSettingsOf(t.config), clock: Date.now,
        riskEngine: engine,
      };
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
      for (const who of [high, low]) {
        const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
        const funding = { kind: 'single' as const, key: `fund-${who.customer.id}`, debitAccountId: bank.id };
        const amount = { amount: 300_000n, currency: 'CNY' };
        const funded = await t.ledger.submit({ ...funding, creditAccountId: wallet.id, ...amount });
        assert.ok(funded.ok);
      }
      const balance = async (who: typeof high) => balanceOf(await walletOf(t.ledger, who.customer.id, 'CNY'));
      let keys = 0;
      const request = (who: typeof high, instruction: ReturnType<typeof instructionFor>) => ({
        instruction, signature: signInstruction(identity.profile, who, instruction), idempotencyKey: `lvl-${keys++}`,
        origin: { ip: '114.114.114.114', url: '/v1/payments/transfers' },
      });
      const transfer = (who: typeof high, amount: string) => {
        const instruction = instructionFor(who, { kind: 'transfer', target: payee.customer.id, amount }, Date.now());
        return transferToCustomer(ctx, who.principal, request(who, instruction));
      };
      const refusal = (error: unknown) => {
        assert.ok(error instanceof AnfuError, String(error));
        return { code: error.code, extra: error.extra };
      };

      // The batched path: 500.01 is refused with what remains, 500.00 goes, then nothing more today.
      assert.deepEqual(await transfer(high, '500.01').then(() => 'paid', refusal), {
        code: 'limit_exceeded', extra: { limit: 'day', remaining: '500.00', currency: 'CNY' },
      });
      assert.equal(await balance(high), 300_000n, 'the refused transfer moved no money');
      assert.equal((await transfer(high, '500.00')).payment.state, 'succeeded');
      assert.equal(await balance(high), 250_000n);
      const refusals = await t.auditRows('payment.limit_refused');
      assert.equal(refusals.filter((r) => r.actor_id === high.customer.id).length, 1, JSON.stringify(refusals));
      const lowPaid = await transfer(low, '600.00');
      assert.equal(lowPaid.payment.state, 'succeeded', 'a low-risk payer keeps the whole limit');

      // The one-by-one path (an order payment, its own transaction), for another high-risk payer's day.
      const rerate = (level: string) =>
        t.store.run('UPDATE aml_customer_ratings SET level = ? WHERE customer_id = ?', [level, low.customer.id]);
      await rerate('high');
      const shop = {
        name: 'Level Tea House', registration: '91310000MA1K00002X', settlementAccount: '6222020200112233447',
      };
      const { order: small } = await testMerchantOrder(t.store, t.app.context.keyring, shop,
        { reference: 'lvl-1', amount: 1n, description: 'tea' }, Date.now());
      const pay = (orderId: string, amount: string) => {
        const instruction = instructionFor(low, { kind: 'order_payment', target: orderId, amount }, Date.now());
        return payOrder(ctx, low.principal, orderId, request(low, instruction));
      };
      // Rated high after a 600.00 day: even 0.01 is over half the limit.
      assert.deepEqual(await pay(small.id, '0.01').then(() => 'paid', refusal), {
        code: 'limit_exceeded', extra: { limit: 'day', remaining: '0.00', currency: 'CNY' },
      });
      assert.equal(await balance(low), 240_000n, 'the refused order payment moved no money');
      const order = await createCheckoutOrder(t.store, {
        merchantId: small.merchantId, merchantReference: 'lvl-2', amount: 1n, currency: 'CNY', description: 'tea',
        ttlMs: 3_600_000,
      }, Date.now());
      await rerate('low');
      assert.equal((await pay(order.id, '0.01')).payment.state, 'succeeded', 'rated low again: the whole limit');
    } finally {
      engine.stop();
      await t.close();
    }
  });
}
