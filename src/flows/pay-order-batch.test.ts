// Order payments commit through the payments batch (commit-payments.ts), on both stores: the batch
// claims each order in arrival order, so of two payments for one order the first wins and the other
// is refused `order_already_paid`; a merchant frozen after a payment's first check refuses that payment
// alone (`merchant_frozen`); a refused claim writes nothing and charges nothing, a refused ledger leg
// gives the order back, and every neighbour in the batch commits as if alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig } from '../config.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import {
  createCheckoutOrder, feeAccountOf, feeOf, merchantAccountOf, merchantProtectionWith, onboardMerchant, orderById,
  paymentSettingsOf, walletOf, type Merchant, type PaymentsContext,
} from '../payments/index.ts';
import {
  createTestIdentity, instructionFor, signInstruction, type TestCustomer, type TestIdentity,
} from '../payments/testing.ts';
import { testKeyring } from '../crypto/testing.ts';
import { freezeMerchantAsHit } from '../sanctions/testing.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { payOrder } from './pay-order.ts';
import { outcomeOf } from './testing/outcome-of.ts';
import type { StartedPayment } from './start-signed-payment.ts';
import { transferToCustomer } from './transfer-to-customer.ts';

const feeBps = 100;

/**
 * The payments context with an identity port whose last read before a payment is queued for the batch
 * waits until `count` payments have reached it: every one of them has passed its first checks (the
 * order open, the merchant not frozen) before any commits, and they queue together.
 */
function meeting(ctx: PaymentsContext, identity: TestIdentity, count: number): PaymentsContext {
  const waiting: Array<() => void> = [];
  const recentFactorChangeAt = async (customerId: string) => {
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === count) waiting.splice(0).forEach((go) => go());
    });
    return identity.recentFactorChangeAt(customerId);
  };
  return { ...ctx, identity: { ...identity, recentFactorChangeAt } };
}

/** The ledger, recording the keys of the legs the payments batch applies in its transaction (applyWithin). */
function recording(ledger: Ledger, batched: Set<string>): Ledger {
  return new Proxy(ledger, {
    get(target, property) {
      if (property === 'applyWithin') {
        return (...args: Parameters<Ledger['applyWithin']>) => {
          for (const unit of args[1]) for (const leg of unit) batched.add(leg.key);
          return target.applyWithin(...args);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

for (const kind of testStoreKinds()) {
  describe(`order payments in the payments batch (${kind})`, () => {
    const database = createTestDatabase(kind);
    let ctx: PaymentsContext;
    let identity: TestIdentity;
    let ledger: Ledger;
    let bankId: string;
    let keyring: Awaited<ReturnType<typeof testKeyring>>;
    let serial = 0;
    const batched = new Set<string>();
    const inBatch = (started: StartedPayment | string | undefined) =>
      typeof started === 'object' && batched.has(`${started.payment.id}:principal`);

    before(async () => {
      const store = (await database).open();
      ledger = recording(new Ledger({ store }), batched);
      identity = await createTestIdentity('intl');
      ctx = { store, ledger, identity, settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })), clock: Date.now };
      bankId = (await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' })).id;
      keyring = await testKeyring(store);
    });
    after(async () => {
      await ledger.close();
      await ctx.store.close();
      await (await database).drop();
    });

    const customer = async (minor: bigint): Promise<TestCustomer> => {
      const who = await identity.addCustomer();
      const wallet = await walletOf(ledger, who.customer.id, 'CNY');
      const key = `fund:${who.customer.id}`;
      const request = {
        kind: 'single' as const, key, debitAccountId: bankId, creditAccountId: wallet.id, currency: 'CNY',
      };
      if (minor > 0n) assert.ok((await ledger.submit({ ...request, amount: minor })).ok);
      return who;
    };
    const balance = async (who: TestCustomer) => balanceOf(await walletOf(ledger, who.customer.id, 'CNY'));
    const shop = async (): Promise<Merchant> => {
      serial += 1;
      const input = {
        name: `Tea House ${serial}`, businessRegistration: `91310000MA1K${String(serial).padStart(6, '0')}`,
        contactEmail: 'ops@tea.example', settlementAccount: '6222020200112233445', feeBps,
      };
      const protection = merchantProtectionWith(keyring);
      return (await onboardMerchant(ctx.store, protection, input, 'op_test', 60, Date.now())).merchant;
    };
    const order = async (merchant: Merchant, amount: bigint) => {
      serial += 1;
      const input = {
        merchantId: merchant.id, merchantReference: `B-${serial}`, amount, currency: 'CNY', description: 'Tea',
        ttlMs: 3_600_000,
      };
      return createCheckoutOrder(ctx.store, input, Date.now());
    };
    type Target = { kind: 'order_payment' | 'transfer'; target: string; amount: bigint };
    const signed = (who: TestCustomer, target: Target) => {
      serial += 1;
      const amount = `${target.amount / 100n}.${String(target.amount % 100n).padStart(2, '0')}`;
      const instruction = instructionFor(who, { kind: target.kind, target: target.target, amount });
      const signature = signInstruction(identity.profile, who, instruction);
      return { instruction, signature, idempotencyKey: `order-batch-${serial}` };
    };
    const pay = (c: PaymentsContext, who: TestCustomer, orderId: string, amount: bigint) =>
      outcomeOf(payOrder(c, who.principal, orderId, signed(who, { kind: 'order_payment', target: orderId, amount })));
    const transfer = (c: PaymentsContext, who: TestCustomer, payee: TestCustomer, amount: bigint) => {
      const request = signed(who, { kind: 'transfer', target: payee.customer.id, amount });
      return outcomeOf(transferToCustomer(c, who.principal, request));
    };
    const shopBalances = async (merchant: Merchant) =>
      [balanceOf(await merchantAccountOf(ledger, merchant.id, 'CNY')), balanceOf(await feeAccountOf(ledger, 'CNY'))];

    test('two payments for one order in one batch: the first claims it, the other is refused', async () => {
      const merchant = await shop();
      const [alice, bob] = [await customer(50_000n), await customer(50_000n)];
      const feesBefore = balanceOf(await feeAccountOf(ledger, 'CNY'));
      // Each has paid the shop before, so nothing but the meeting stands between them and the queue.
      for (const who of [alice, bob]) {
        const before = await pay(ctx, who, (await order(merchant, 1_000n)).id, 1_000n);
        assert.equal(typeof before === 'object' && before.payment.state, 'succeeded');
      }
      const wanted = await order(merchant, 10_000n);
      const together = meeting(ctx, identity, 2);
      const results = await Promise.all([alice, bob].map((who) => pay(together, who, wanted.id, 10_000n)));
      const won = results.filter((r): r is StartedPayment => typeof r === 'object');
      assert.equal(won.length, 1);
      assert.equal(won[0]?.payment.state, 'succeeded');
      assert.ok(inBatch(won[0]) && batched.has(`${won[0]?.payment.id}:fee`), 'the money moved in the batch');
      assert.deepEqual(results.filter((r) => typeof r === 'string'), ['order_already_paid']);
      const winner = results[0] === 'order_already_paid' ? bob : alice;
      const loser = winner === alice ? bob : alice;
      assert.equal(await balance(winner), 50_000n - 1_000n - 10_000n);
      assert.equal(await balance(loser), 50_000n - 1_000n);
      const [merchantBalance, fees] = await shopBalances(merchant);
      const charged = 2n * feeOf(1_000n, feeBps) + feeOf(10_000n, feeBps);
      assert.deepEqual([merchantBalance, fees], [12_000n - charged, feesBefore + charged]);
      const paid = await orderById(ctx.store, wanted.id, Date.now());
      assert.deepEqual([paid?.state, paid?.paymentId], ['paid', won[0]?.payment.id]);
      assert.deepEqual(await ctx.store.all('SELECT payer_id FROM payments WHERE order_id = ?', [wanted.id]), [
        { payer_id: winner.customer.id },
      ]);
      const events = await ctx.store.all(
        "SELECT event_key FROM events WHERE topic = 'order.paid' AND subject = ?", [wanted.id],
      );
      assert.deepEqual(events, [{ event_key: `order.paid:${won[0]?.payment.id}` }]);
    });

    test('a merchant frozen on the way: its payment refused, a transfer beside it commits', async () => {
      const merchant = await shop();
      const [alice, carol, dave] = [await customer(50_000n), await customer(50_000n), await customer(0n)];
      const sale = await order(merchant, 20_000n);
      const together = meeting(ctx, identity, 2);
      // The freeze commits after the payment's first check, while the transfer waits at the meeting.
      const freezing: PaymentsContext = {
        ...together,
        screenPayee: () => freezeMerchantAsHit(ctx.store, merchant.id, Date.now()),
      };
      const [frozen, moved] = await Promise.all([
        pay(freezing, alice, sale.id, 20_000n), transfer(together, carol, dave, 3_000n),
      ]);
      assert.equal(frozen, 'merchant_frozen');
      assert.equal(typeof moved === 'object' && moved.payment.state, 'succeeded');
      assert.deepEqual([await balance(alice), await balance(carol), await balance(dave)], [50_000n, 47_000n, 3_000n]);
      assert.deepEqual((await shopBalances(merchant))[0], 0n);
      const open = await orderById(ctx.store, sale.id, Date.now());
      assert.deepEqual([open?.state, open?.paymentId], ['open', null]);
      assert.deepEqual(await ctx.store.all('SELECT id FROM payments WHERE order_id = ?', [sale.id]), []);
      const refusals = await ctx.store.all(
        "SELECT details FROM audit_entries WHERE action = 'payment.instruction_refused' AND actor_id = ?",
        [alice.customer.id],
      );
      const codes = refusals.map((r) => (JSON.parse(String(r.details)) as { code: string }).code);
      assert.deepEqual(codes, ['merchant_frozen']);
    });

    // One payment per payer (so whether it is covered does not hang on the order of the batch), each
    // an order payment or a transfer to a customer who pays nothing; some name the same order.
    const operation = fc.record({
      order: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      funded: fc.bigInt({ min: 0n, max: 12_000n }),
      amount: fc.bigInt({ min: 1n, max: 10_000n }),
    });

    test('property: transfers and order payments in one batch end with exact balances and order states', async () => {
      await fc.assert(fc.asyncProperty(
        fc.array(operation, { minLength: 1, maxLength: 8 }),
        fc.array(fc.bigInt({ min: 1n, max: 10_000n }), { minLength: 3, maxLength: 3 }),
        async (operations, prices) => {
          const merchant = await shop();
          const orders = await Promise.all(prices.map((price) => order(merchant, price)));
          const payee = await customer(0n);
          const feesBefore = balanceOf(await feeAccountOf(ledger, 'CNY'));
          const payers = await Promise.all(operations.map((o) => customer(o.funded)));
          const together = meeting(ctx, identity, operations.length);
          const results = await Promise.all(operations.map((o, i) => {
            const payer = payers[i] as TestCustomer;
            if (o.order === undefined) return transfer(together, payer, payee, o.amount);
            const wanted = orders[o.order] as (typeof orders)[number];
            return pay(together, payer, wanted.id, wanted.amount);
          }));
          const amountOf = (i: number) => {
            const o = operations[i] as (typeof operations)[number];
            return o.order === undefined ? o.amount : (orders[o.order] as (typeof orders)[number]).amount;
          };
          const covered = (i: number) => amountOf(i) <= (operations[i] as (typeof operations)[number]).funded;
          let received = 0n;
          let merchantCredit = 0n;
          let fees = 0n;
          for (const [i, result] of results.entries()) {
            const charged = typeof result === 'object' && result.payment.state === 'succeeded';
            // Refused (the order claimed first by another) or not covered: nothing charged.
            assert.equal(charged, typeof result === 'object' && covered(i));
            assert.equal(inBatch(result), typeof result === 'object', 'every payment written went to the batch');
            if (typeof result === 'object' && !charged) assert.equal(result.payment.failureCode, 'insufficient_funds');
            if (typeof result === 'string') assert.equal(result, 'order_already_paid');
            const funded = (operations[i] as (typeof operations)[number]).funded;
            assert.equal(await balance(payers[i] as TestCustomer), funded - (charged ? amountOf(i) : 0n));
            if (!charged) continue;
            if (operations[i]?.order === undefined) received += amountOf(i);
            else {
              merchantCredit += amountOf(i) - feeOf(amountOf(i), feeBps);
              fees += feeOf(amountOf(i), feeBps);
            }
          }
          for (const [k, wanted] of orders.entries()) {
            const claimers = results.flatMap((r, i) => (
              operations[i]?.order === k && typeof r === 'object' ? [r] : []));
            const named = operations.some((o) => o.order === k);
            // Every payment for the order passed its first check: the first to reach a batch claimed it;
            // another only once that one failed (not covered) and gave the order back, in a later batch.
            assert.ok(named ? claimers.length >= 1 : claimers.length === 0);
            const succeeded = claimers.filter((r) => r.payment.state === 'succeeded');
            assert.ok(succeeded.length <= 1, 'an order is paid once');
            const paid = succeeded[0];
            const now = await orderById(ctx.store, wanted.id, Date.now());
            const expected = paid === undefined ? ['open', null] : ['paid', paid.payment.id];
            assert.deepEqual([now?.state, now?.paymentId], expected);
          }
          assert.equal(await balance(payee), received);
          assert.deepEqual(await shopBalances(merchant), [merchantCredit, feesBefore + fees]);
          assert.deepEqual((await ledger.verify()).problems, []);
        },
      ), { numRuns: kind === 'sqlite' ? 25 : 10, seed: 12 });
    });
  });
}
