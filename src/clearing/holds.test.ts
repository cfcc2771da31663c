// The net debit cap on both stores: an instruction that would take the partner past its cap is held, it
// goes in the first run after the bank's answers free the liquidity, and one held past the hold limit
// opens one `clearing_hold` case (not one per run). Exact balances throughout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemActor } from '../access/index.ts';
import { closeResolvedElsewhere, getCase, listCases, openCase } from '../cases/index.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { isoDateTime } from './context.ts';
import { instructionById } from './instructions.ts';
import { pacs002 } from './messages.ts';
import { createPartner, type Partner } from './partners.ts';
import { runClearing } from './run.ts';
import { applyStatusReport } from './status.ts';
import { fundedWithdrawals, testClearing } from './testing/context.ts';
import type { ClearingContext } from './context.ts';

const hour = 3_600_000;

for (const kind of testStoreKinds()) {
  describe(`held by the net debit cap (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let ctx: ClearingContext;
    let partner: Partner;
    let time = Date.UTC(2030, 0, 7, 9);
    const clock = () => time;

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock });
      const base = (await testClearing(store, ledger, clock)).ctx;
      ctx = {
        ...base,
        holds: {
          maxMs: 2 * hour, open: openCase,
          close: (tx, subject, reason, now) => closeResolvedElsewhere(tx, subject, reason, systemActor, now),
        },
      };
      partner = await createPartner(store, ledger, {
        name: 'Cap Bank', role: 'settlement_bank', currency: 'CNY', bic: 'CAPBCNBJ', accountNumber: '6222000099990000',
        netDebitCap: 10_000n,
      }, 'opr_test', time);
    });
    after(async () => {
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    it('holds what exceeds the cap, releases it when answers return, and opens one case when it waits too long',
      async () => {
        const { walletId, out } = await fundedWithdrawals(ctx, ledger, partner.id, 'cus_h', 'hold', () => {
          time += 1_000;
        });
        const [a, b, c] = [await out(8_000n, 1), await out(5_000n, 2), await out(1_500n, 3)];
        const balance = async (id: string) => balanceOf((await ledger.account(id))!);

        const first = await runClearing(ctx, partner.id);
        assert.equal(first.batch?.count, 2, 'A and C fit under 10,000 (9,500); B does not');
        assert.equal(first.batch?.total, 9_500n);
        assert.deepEqual(first.held, [b.id]);
        assert.deepEqual(first.overdue, []);
        assert.equal((await instructionById(store, b.id))?.state, 'held');
        assert.equal(await balance(partner.inTransitAccountId), 14_500n);
        assert.equal(await balance(walletId), 85_500n);

        // Still no answer: B waits; after the hold limit it opens its case, once however often the run goes.
        time += hour;
        assert.deepEqual((await runClearing(ctx, partner.id)).overdue, []);
        time += hour;
        const late = await runClearing(ctx, partner.id);
        assert.equal(late.batch, undefined);
        assert.equal(late.overdue.length, 1);
        assert.equal(late.overdue[0]?.instructionId, b.id);
        time += 10 * 60_000;
        const again = await runClearing(ctx, partner.id);
        assert.equal(again.overdue[0]?.caseId, late.overdue[0]?.caseId);
        const cases = await listCases(store, { kind: 'clearing_hold', limit: 10 });
        assert.equal(cases.items.length, 1);
        assert.equal(cases.items[0]?.subject.id, b.id);

        // The bank accepts A and C: liquidity returns, the next run takes B.
        const report = pacs002({
          messageId: 'PSR-CAP-1', created: isoDateTime(time), originalMessageId: first.batch!.messageId,
          originalKind: 'pain.001.001.09', groupStatus: 'ACSC',
          lines: [{ endToEndId: a.endToEndId, status: 'ACSC' }, { endToEndId: c.endToEndId, status: 'ACSC' }],
        });
        assert.equal((await applyStatusReport(ctx, partner.id, report)).accepted, 2);
        assert.equal(await balance(partner.inTransitAccountId), 5_000n);
        assert.equal(await balance(partner.settlementAccountId), 9_500n, 'the bank holds 9,500 less for us');
        const released = await runClearing(ctx, partner.id);
        assert.equal(released.batch?.count, 1);
        assert.equal(released.batch?.total, 5_000n);
        assert.deepEqual(released.held, []);
        assert.equal((await instructionById(store, b.id))?.state, 'batched');
        // Batched: its case closed itself, with the batch named, and only that one.
        const caseId = late.overdue[0]?.caseId as string;
        assert.deepEqual(released.closedCases, [caseId]);
        assert.equal((await getCase(store, caseId))?.status, 'closed');
        assert.deepEqual(first.closedCases, [], 'A and C were never held');
        assert.equal(await balance(walletId), 85_500n, 'nothing moved twice');
      });
  });
}
