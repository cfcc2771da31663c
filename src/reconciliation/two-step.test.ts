// The camt.054 → camt.053 two step on both stores, with exact balances: unknown intraday bookings move
// through the partner's in-transit account (a credit in_transit → suspense, a debit suspense → in_transit),
// the end-of-day statement line that carries one settles it (in-transit ↔ settlement) once and links it; a
// notified booking the statement did not carry is a break after the cut-off, closed by a later statement
// or by a correction that reverses its in-transit leg. A fast-check property over random days.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyNotification, camt053, camt054, createPartner, type BankEntry, type Partner,
} from '../clearing/index.ts';
import { testClearing, type TestClearing } from '../clearing/testing/context.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { resolveBreak } from './breaks.ts';
import { reconcileStatement } from './import.ts';

const day = '2026-12-02';
const nextDay = '2026-12-03';
const credit = (amount: bigint, bankRef: string, date = day): BankEntry => ({
  amount, currency: 'CNY', direction: 'credit', bookingDate: date, valueDate: date, bankRef,
  bankCode: 'PMNT/RCDT/DMCT', counterparty: 'Somebody',
});
const debit = (amount: bigint, bankRef: string, bankCode = 'PMNT/ICDT/DMCT', date = day): BankEntry => ({
  amount, currency: 'CNY', direction: 'debit', bookingDate: date, valueDate: date, bankRef, bankCode,
});

for (const kind of testStoreKinds()) {
  describe(`camt.054 then camt.053, two steps (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let clearing: TestClearing;
    let partners = 0;
    const balance = async (id: string) => balanceOf((await ledger.account(id))!);
    const positions = async (p: Partner) => ({
      settlement: await balance(p.settlementAccountId), inTransit: await balance(p.inTransitAccountId),
      suspense: await balance(p.suspenseAccountId),
    });
    const newPartner = async () => {
      partners += 1;
      const accountNumber = `62220000${String(partners).padStart(8, '0')}`;
      return createPartner(store, ledger, {
        name: `Two Step ${partners}`, role: 'settlement_bank', currency: 'CNY', bic: 'TWOSCNBJ', accountNumber,
        netDebitCap: 1_000_000n,
      }, 'opr_test', Date.now());
    };
    const notify = (p: Partner, id: string, entries: BankEntry[]) =>
      applyNotification(clearing.ctx, p.id, camt054({
        messageId: id, created: `${day}T10:00:00Z`, account: p.accountNumber, currency: 'CNY', entries,
      }));
    const statement = (p: Partner, id: string, date: string, opening: bigint, entries: BankEntry[]) => {
      const closing = entries.reduce((s, e) => s + (e.direction === 'credit' ? e.amount : -e.amount), opening);
      return reconcileStatement(clearing.ctx, p.id, camt053({
        messageId: id, created: `${date}T18:00:00Z`, statementId: id, sequence: 1, date, opening, closing,
        account: p.accountNumber, currency: 'CNY', entries,
      }));
    };

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store });
      clearing = await testClearing(store, ledger, Date.now);
    });
    after(async () => {
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    it('notified, then stated and settled once; a notification never stated breaks and is corrected', async () => {
      const p = await newPartner();
      const fee = debit(300n, 'FEE1', 'ACMT/MDOP/CHRG');
      const n = await notify(p, 'N1', [credit(50_000n, 'IN1'), debit(12_000n, 'OUT1'), credit(7_000n, 'IN2'), fee]);
      assert.deepEqual([n.unknown, n.announced], [4, 3], 'the bank charge is left to the statement');
      assert.deepEqual(await positions(p), { settlement: 0n, inTransit: -45_000n, suspense: 45_000n });
      await assert.rejects(notify(p, 'N1', [credit(50_000n, 'IN1')]), { code: 'bank_file_replayed' });

      const s1 = await statement(p, 'S1', day, 0n, [credit(50_000n, 'IN1'), debit(12_000n, 'OUT1'), fee]);
      assert.equal(s1.balanced, true);
      assert.deepEqual(s1.breaks.map((b) => [b.kind, b.amount, b.balanceEffect]).sort(), [
        ['fee_variance', 300n, -300n], ['missing_on_our_side', 12_000n, 0n], ['missing_on_our_side', 50_000n, 0n],
        ['notified_not_stated', 7_000n, 0n],
      ]);
      // Settlement follows the bank (38,000 net in), in transit keeps only IN2, suspense the money to attribute.
      assert.deepEqual(await positions(p), { settlement: -38_000n, inTransit: -7_000n, suspense: 45_000n });
      const settles = await store.all(
        "SELECT idempotency_key FROM ledger_transfers WHERE idempotency_key LIKE 'notification:%:settle'", [],
      );
      assert.equal(settles.length, 2, 'each stated line settled once');
      await assert.rejects(statement(p, 'S1', day, 0n, [credit(50_000n, 'IN1')]), { code: 'bank_file_replayed' });

      // IN2 comes a day late: the next statement settles it and closes its break; IN3 is never stated.
      await notify(p, 'N2', [credit(2_000n, 'IN3', nextDay)]);
      const s2 = await statement(p, 'S2', nextDay, 37_700n, [credit(7_000n, 'IN2')]);
      assert.equal(s2.balanced, true);
      assert.deepEqual(s2.breaks.map((b) => [b.kind, b.amount]).sort(), [
        ['missing_on_our_side', 7_000n], ['notified_not_stated', 2_000n],
      ]);
      const late = s1.breaks.find((b) => b.kind === 'notified_not_stated');
      const closed = await store.get<{ state: string }>('SELECT state FROM reconciliation_breaks WHERE id = ?', [
        late?.id ?? '',
      ]);
      assert.equal(closed?.state, 'resolved');
      assert.deepEqual(await positions(p), { settlement: -45_000n, inTransit: -2_000n, suspense: 47_000n });

      // The correction of IN3 reverses its in-transit leg: nothing reached settlement, so nothing else moves.
      const unstated = s2.breaks.find((b) => b.kind === 'notified_not_stated');
      const resolved = await resolveBreak(store, ledger, async () => p, unstated!.id, 'opr_test', Date.now());
      assert.equal(resolved.ok, true);
      assert.deepEqual(await positions(p), { settlement: -45_000n, inTransit: 0n, suspense: 45_000n });
      const again = await resolveBreak(store, ledger, async () => p, unstated!.id, 'opr_test', Date.now());
      assert.deepEqual(again, { ok: false, code: 'break_resolved' });
      const states = await store.all(
        'SELECT bank_ref, state FROM clearing_notified_entries WHERE partner_id = ? ORDER BY bank_ref', [p.id],
      );
      assert.deepEqual(states.map((r) => [r.bank_ref, r.state]), [
        ['IN1', 'stated'], ['IN2', 'stated'], ['IN3', 'withdrawn'], ['OUT1', 'stated'],
      ]);
    });

    it('property: exact positions after any notified day and any subset stated', async () => {
      const booking = fc.record({
        credit: fc.boolean(), amount: fc.bigInt({ min: 1n, max: 999_999n }), stated: fc.boolean(),
      });
      await fc.assert(fc.asyncProperty(fc.array(booking, { minLength: 1, maxLength: 12 }), async (bookings) => {
        const p = await newPartner();
        const entries = bookings.map((b, k) => (b.credit ? credit(b.amount, `R${k}`) : debit(b.amount, `R${k}`)));
        await notify(p, `N${partners}`, entries);
        const stated = entries.filter((_e, k) => bookings[k]?.stated === true);
        const result = await statement(p, `S${partners}`, day, 0n, stated);
        const signed = (xs: readonly BankEntry[]) =>
          xs.reduce((s, e) => s + (e.direction === 'credit' ? e.amount : -e.amount), 0n);
        const unstated = entries.filter((_e, k) => bookings[k]?.stated !== true);
        assert.equal(result.balanced, true);
        assert.deepEqual(await positions(p), {
          settlement: -signed(stated), inTransit: -signed(unstated), suspense: signed(entries),
        });
        assert.equal(result.breaks.filter((b) => b.kind === 'notified_not_stated').length, unstated.length);
        assert.equal(result.breaks.filter((b) => b.kind === 'missing_on_our_side').length, stated.length);
      }), { numRuns: kind === 'sqlite' ? 40 : 15 });
    });
  });
}
