// GET /v1/payments is the customer's whole history (issue 10), on both stores: transfers sent and
// received, an order payment and its refund, a top-up and a withdrawal over ISO 8583 to `anfu bank-sim`
// as a real process — one list, newest first, each with its kind and direction; pages by cursor
// without gaps or repeats; filters by kind, state and currency; another customer's entries never show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CardLink } from '../banks/index.ts';
import { startBankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { withCheckDigit } from '../cards/index.ts';
import { loadConfig } from '../config.ts';
import { TokenVault } from '../crypto/index.ts';
import { testKeyring } from '../crypto/testing.ts';
import { Ledger } from '../ledger/index.ts';
import {
  createCheckoutOrder,
  merchantProtectionWith,
  onboardMerchant,
  paymentHistory,
  paymentSettingsOf,
  requestRefund,
  walletOf,
  type CardFunding,
  type HistoryEntry,
  type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  verifiedTestCard,
  type TestCustomer,
  type TestIdentity,
} from '../payments/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { payOrder } from './pay-order.ts';
import { topUpByCard } from './top-up-by-card.ts';
import { transferToCustomer } from './transfer-to-customer.ts';
import { withdrawToCard } from './withdraw-to-card.ts';

let keys = 0;
function signed(identity: TestIdentity, who: TestCustomer, fields: Parameters<typeof instructionFor>[1]) {
  const instruction = instructionFor(who, fields);
  return {
    instruction,
    signature: signInstruction(identity.profile, who, instruction),
    idempotencyKey: `hist-${keys++}-${Date.now()}`,
  };
}

const brief = (e: HistoryEntry) => `${e.kind}:${e.direction}:${e.state}:${e.amount}:${e.counterparty.type}`;

for (const kind of testStoreKinds()) {
  test(`${kind}: one paged history of transfers, order payments, refunds, top-ups and withdrawals`, async () => {
    const sim = await startBankSimProcess({ unknownCards: 'approve' });
    const database = await createTestDatabase(kind);
    const store = database.open();
    const ledger = new Ledger({ store });
    const link = new CardLink({
      port: sim.port,
      terminalId: 'THIS0001',
      merchantId: 'ANFUTOPUP000001',
      responseTimeoutMs: 2_000,
      reversalRetryDelayMs: 10,
    });
    try {
      const identity = await createTestIdentity('intl');
      const ctx: PaymentsContext = {
        store,
        ledger,
        identity,
        settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })),
        clock: Date.now,
      };
      const keyring = await testKeyring(store);
      const funding: CardFunding = {
        link,
        vault: new TokenVault(keyring),
        bank: 'SIMBANK',
        terminalId: 'THIS0001',
        merchantId: 'ANFUTOPUP000001',
      };
      const alice = await identity.addCustomer();
      const bob = await identity.addCustomer();
      const card = await verifiedTestCard(store, funding.vault, alice.customer.id, {
        pan: withCheckDigit('622202000000000001'),
        expiryMonth: 12,
        expiryYear: 2030,
        bank: 'SIMBANK',
      });
      const shop = (
        await onboardMerchant(
          store,
          merchantProtectionWith(keyring),
          {
            name: 'Tea House',
            businessRegistration: '91310000MA1K000000',
            contactEmail: 'ops@tea.example',
            settlementAccount: '6222020200112233445',
            feeBps: 0,
          },
          'op_test',
          60,
          Date.now(),
        )
      ).merchant;
      await walletOf(ledger, bob.customer.id, 'CNY');
      const step = () => new Promise((resolve) => setTimeout(resolve, 3));

      const topUp = await topUpByCard(
        ctx,
        funding,
        alice.principal,
        signed(identity, alice, { kind: 'top_up', target: card.id, amount: '500.00' }),
      );
      assert.equal(topUp.funding.state, 'succeeded');
      await step();
      const sent = await transferToCustomer(
        ctx,
        alice.principal,
        signed(identity, alice, { kind: 'transfer', target: bob.customer.id, amount: '20.00' }),
      );
      await step();
      const back = await transferToCustomer(
        ctx,
        bob.principal,
        signed(identity, bob, { kind: 'transfer', target: alice.customer.id, amount: '5.00' }),
      );
      await step();
      const order = await createCheckoutOrder(
        store,
        {
          merchantId: shop.id,
          merchantReference: 'H-1',
          amount: 3_000n,
          currency: 'CNY',
          description: 'Tea',
          ttlMs: 60_000,
        },
        Date.now(),
      );
      const paid = await payOrder(
        ctx,
        alice.principal,
        order.id,
        signed(identity, alice, { kind: 'order_payment', target: order.id, amount: '30.00' }),
      );
      await step();
      const refund = await requestRefund(ctx, shop.id, paid.payment.id, {
        amount: 1_000n,
        reason: 'cold',
        idempotencyKey: 'hist-refund',
      });
      await step();
      const out = await withdrawToCard(
        ctx,
        funding,
        alice.principal,
        signed(identity, alice, { kind: 'withdrawal', target: card.id, amount: '100.00' }),
      );
      assert.equal(out.funding.state, 'succeeded');

      const all = await paymentHistory(store, alice.customer.id, { limit: 50 });
      assert.equal(all.nextCursor, null);
      assert.deepEqual(
        all.items.map((e) => e.id),
        [out.funding.id, refund.refund.id, paid.payment.id, back.payment.id, sent.payment.id, topUp.funding.id],
      );
      assert.deepEqual(all.items.map(brief), [
        'withdrawal:out:succeeded:10000:card',
        'refund:in:succeeded:1000:merchant',
        'order_payment:out:succeeded:3000:merchant',
        'transfer:in:succeeded:500:customer',
        'transfer:out:succeeded:2000:customer',
        'top_up:in:succeeded:50000:card',
      ]);
      assert.equal(all.items[1]?.paymentId, paid.payment.id);
      assert.equal(all.items[3]?.counterparty.id, bob.customer.id);

      // Pages of two: every entry once, in the same order, and the last page says so.
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page += 1) {
        const next = await paymentHistory(store, alice.customer.id, { limit: 2, cursor });
        paged.push(...next.items.map((e) => e.id));
        if (next.nextCursor === null) break;
        cursor = next.nextCursor;
      }
      assert.deepEqual(
        paged,
        all.items.map((e) => e.id),
      );

      const ids = async (filter: Parameters<typeof paymentHistory>[2]) =>
        (await paymentHistory(store, alice.customer.id, filter)).items.map((e) => e.id);
      assert.deepEqual(await ids({ limit: 50, kind: 'top_up' }), [topUp.funding.id]);
      assert.deepEqual(await ids({ limit: 50, kind: 'refund' }), [refund.refund.id]);
      assert.deepEqual(await ids({ limit: 50, kind: 'transfer' }), [back.payment.id, sent.payment.id]);
      assert.deepEqual(await ids({ limit: 50, state: 'failed' }), []);
      assert.deepEqual(await ids({ limit: 50, currency: 'USD' }), []);
      assert.deepEqual(await ids({ limit: 1, kind: 'withdrawal', cursor: refund.refund.id }), []);
      // Bob sees his two transfers only: not Alice's card, order or refund.
      assert.deepEqual((await paymentHistory(store, bob.customer.id, { limit: 50 })).items.map(brief), [
        'transfer:out:succeeded:500:customer',
        'transfer:in:succeeded:2000:customer',
      ]);
    } finally {
      link.close();
      await ledger.close();
      await store.close();
      await database.drop();
      await sim.stop();
    }
  });
}
