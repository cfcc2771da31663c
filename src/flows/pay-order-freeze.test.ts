// A merchant frozen by a sanctions hit while a customer's order payment is on its way takes nothing:
// the freeze is read again in the transaction that claims the order, so one committed after the
// payment's first check still refuses it (`merchant_frozen`, audited), with no payment row, the order
// still open and every balance as it was. On both stores, through the payments flow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnfuError } from '../errors.ts';
import { balanceOf } from '../ledger/index.ts';
import {
  merchantAccountOf, orderById, paymentSettingsOf,
  walletOf, type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity, instructionFor, signInstruction, testMerchantOrder, type TestIdentity,
} from '../payments/testing.ts';
import { freezeMerchantAsHit } from '../sanctions/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { payOrder } from './pay-order.ts';

for (const kind of testStoreKinds()) {
  describe(`a merchant frozen while its order is being paid (${kind})`, () => {
    let t: AccessTestApp;
    let identity: TestIdentity;
    let ctx: PaymentsContext;
    const clock = () => Date.now();

    before(async () => {
      t = await createAccessTestApp(kind);
      identity = await createTestIdentity();
      ctx = { store: t.store, ledger: t.ledger, identity, settings: paymentSettingsOf(t.config), clock };
    });
    after(async () => {
      await t.close();
    });

    test('the freeze committed after the first check refuses the payment where the order is claimed', async () => {
      const alice = await identity.addCustomer();
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
      const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
      const funded = await t.ledger.submit({
        kind: 'single', key: `fund-${alice.customer.id}`, debitAccountId: bank.id, creditAccountId: wallet.id,
        amount: 50_000n, currency: 'CNY',
      });
      assert.ok(funded.ok);
      const shop = {
        name: 'Harbour Traders', registration: '91310000MA1FZ0000X', settlementAccount: '6217000099997777',
      };
      const sale = { reference: 'frozen-on-the-way', amount: 20_000n, description: 'crates' };
      const keyring = t.app.context.keyring;
      const { merchant, order } = await testMerchantOrder(t.store, keyring, shop, sale, clock());
      const instruction = instructionFor(alice, { kind: 'order_payment', target: order.id, amount: '200.00' }, clock());
      const signature = signInstruction(identity.profile, alice, instruction);
      const request = { instruction, signature, idempotencyKey: 'pof-1' };
      // The payee screening runs after the first freeze check and before the payment's transaction:
      // a re-screening's freeze committing there is the race this closes.
      const freezeOnTheWay: PaymentsContext = {
        ...ctx,
        screenPayee: () => freezeMerchantAsHit(t.store, merchant.id, clock()),
      };
      await assert.rejects(
        payOrder(freezeOnTheWay, alice.principal, order.id, request),
        (error: unknown) => error instanceof AnfuError && error.code === 'merchant_frozen',
      );
      const refusals = await t.auditRows('payment.instruction_refused');
      assert.deepEqual(refusals.map((r) => [r.actor_id, r.details.code]), [[alice.customer.id, 'merchant_frozen']]);
      assert.deepEqual(await t.store.all('SELECT id FROM payments WHERE order_id = ?', [order.id]), []);
      assert.equal((await orderById(t.store, order.id, clock()))?.state, 'open');
      const shopAccount = await merchantAccountOf(t.ledger, merchant.id, 'CNY');
      const payer = await walletOf(t.ledger, alice.customer.id, 'CNY');
      assert.deepEqual([balanceOf(payer), balanceOf(shopAccount)], [50_000n, 0n], 'nothing moved');
    });
  });
}
