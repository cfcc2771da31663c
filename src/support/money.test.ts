// Dispute refunds and debt recovery against a reference model (fast-check): for any merchant balance,
// refund amount and later merchant income, the customer gets exactly the refund, the merchant pays what
// it had (never below zero), the reserve fronts exactly the shortfall, and recovery takes back exactly
// min(shortfall, later income). A retried execution (same key) moves nothing more. A merchant frozen by a
// sanctions hit pays nothing: the reserve fronts the whole refund and recovery takes nothing from it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openCase, type CaseRecord } from '../cases/index.ts';
import { balanceOf } from '../ledger/index.ts';
import { merchantAccountOf, walletOf } from '../payments/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import { compensationAccountOf, recoverMerchantDebts, type SupportContext } from './index.ts';
import { supportMoney } from './money.ts';
import { insertMerchantFreeze } from '../sanctions/store.ts';
import { insertDispute } from './store.ts';

for (const kind of testStoreKinds()) {
  describe(`dispute money (${kind})`, () => {
    let t: AccessTestApp;
    let ctx: SupportContext;
    let run = 0;
    before(async () => {
      t = await createAccessTestApp(kind);
      ctx = t.app.context.support;
    });
    after(() => t.close());

    test('refund, shortfall and recovery match the model (property)', async () => {
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
      const fund = (key: string, to: string, amount: bigint) =>
        amount === 0n
          ? Promise.resolve()
          : t.ledger
              .submit({ kind: 'single', key, debitAccountId: bank.id, creditAccountId: to, amount, currency: 'CNY' })
              .then((o) => assert.ok(o.ok));
      const balance = async (id: string) => balanceOf((await t.ledger.account(id))!);
      /** The merchant frozen as a sanctions hit would freeze it (the freeze row of its case). */
      const freeze = async (merchantId: string, n: number) => {
        const hit = await openCase(
          t.store,
          {
            kind: 'sanctions_hit', dedupeKey: `hit-${n}`, title: 'hit', subject: { type: 'merchant', id: merchantId },
            severity: 'critical', openedBy: 'system:test',
          },
          t.now(),
        );
        const row = { id: `smf-${n}`, caseId: hit.id, merchantId, now: t.now() };
        assert.ok(await t.store.transaction((tx) => insertMerchantFreeze(tx, row)));
      };
      const reserve = await compensationAccountOf(t.ledger, 'CNY');
      await fund('reserve', reserve.id, 10_000_000n);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 0n, max: 50_000n }),
          fc.bigInt({ min: 1n, max: 50_000n }),
          fc.bigInt({ min: 0n, max: 50_000n }),
          fc.boolean(),
          async (merchantHas, refund, laterIncome, frozen) => {
            const n = run++;
            const merchantId = `mer_${String(n).padStart(26, '0')}`;
            const customerId = `cus_${String(n).padStart(26, '0')}`;
            const merchant = await merchantAccountOf(t.ledger, merchantId, 'CNY');
            const wallet = await walletOf(t.ledger, customerId, 'CNY');
            await fund(`m-${n}`, merchant.id, merchantHas);
            const record: CaseRecord = await openCase(
              t.store,
              {
                kind: 'merchant_dispute',
                dedupeKey: `p-${n}`,
                title: 't',
                subject: { type: 'payment', id: `p-${n}` },
                customerId,
                severity: 'low',
                openedBy: 'system:test',
                amount: { minor: refund, currency: 'CNY' },
              },
              t.now(),
            );
            await insertDispute(t.store, {
              caseId: record.id,
              paymentId: `p-${n}`,
              customerId,
              merchantId,
              reason: 'amount',
              respondBy: t.now() + 1,
              createdAt: t.now(),
            });
            if (frozen) await freeze(merchantId, n);
            const reserveBefore = await balance(reserve.id);
            const money = supportMoney(() => ctx);
            assert.ok((await money(record, 'refund_customer', `proposal:prop-${n}`)).ok);
            assert.ok((await money(record, 'refund_customer', `proposal:prop-${n}`)).ok, 'a retry replays');
            const paidByMerchant = frozen ? 0n : merchantHas < refund ? merchantHas : refund;
            const shortfall = refund - paidByMerchant;
            assert.equal(await balance(wallet.id), refund);
            assert.equal(await balance(merchant.id), merchantHas - paidByMerchant);
            assert.equal(await balance(reserve.id), reserveBefore - shortfall);
            await fund(`later-${n}`, merchant.id, laterIncome);
            await recoverMerchantDebts(ctx);
            const recovered = frozen ? 0n : shortfall < laterIncome ? shortfall : laterIncome;
            assert.equal(await balance(merchant.id), merchantHas - paidByMerchant + laterIncome - recovered);
            assert.equal(await balance(reserve.id), reserveBefore - shortfall + recovered);
          },
        ),
        { numRuns: kind === 'sqlite' ? 25 : 10 },
      );
      assert.ok((await t.ledger.verify()).ok);
    });
  });
}
