// Hostile or wrong bank files against a real store (both stores): each refused with its code, and
// nothing of the file applied — no bank_files row, no statement line, no ledger posting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ledger } from '../ledger/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import {
  applyNotification, applyStatusReport, camt053, camt054, createPartner, pacs002, type Partner,
} from '../clearing/index.ts';
import { testClearing, type TestClearing } from '../clearing/testing/context.ts';
import { reconcileStatement } from './import.ts';

const account = '6222000011112222';
const entry = {
  amount: 500n, currency: 'CNY', direction: 'credit' as const, bookingDate: '2026-12-02', valueDate: '2026-12-02',
  bankRef: 'R', bankCode: 'PMNT/RCDT/DMCT',
};

for (const kind of testStoreKinds()) {
  describe(`bank files refused whole (${kind})`, () => {
    type Parts = [TestDatabase, Store, Ledger, TestClearing, Partner];
    let [database, store, ledger, clearing, partner] = [] as unknown as Parts;
    const counts = async () => ({
      files: Number((await store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM bank_files'))?.n),
      lines: Number((await store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM statement_lines'))?.n),
      transfers: Number((await store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM ledger_transfers'))?.n),
    });

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store });
      clearing = await testClearing(store, ledger, Date.now);
      partner = await createPartner(
        store, ledger,
        {
          name: 'BOC', role: 'clearing_house', currency: 'CNY', bic: 'BKCHCNBJ', accountNumber: account,
          netDebitCap: 1_000_000n,
        },
        'opr_test', Date.now(),
      );
    });

    after(async () => {
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    it('another account, an unknown batch, a bad amount mid-file, a bomb: refused, nothing kept', async () => {
      const before = await counts();
      const statement = (acct: string) =>
        camt053({
          messageId: `M${acct}`,
          created: '2026-12-02T18:00:00Z', statementId: 'S', sequence: 1, date: '2026-12-02', opening: 0n,
          closing: 500n, account: acct, currency: 'CNY',
          entries: [entry, entry],
        });
      await assert.rejects(reconcileStatement(clearing.ctx, partner.id, statement('6222000099990000')), {
        code: 'bank_file_wrong_account',
      });
      const status = pacs002({
        messageId: 'X1', created: '2026-12-02T10:00:00Z', originalMessageId: 'cbt_never_sent',
        originalKind: 'pacs.008.001.08', groupStatus: 'ACSC',
        lines: [],
      });
      await assert.rejects(applyStatusReport(clearing.ctx, partner.id, status), { code: 'bank_file_unknown_batch' });
      // The first entry is read and stored before the second is refused: the transaction takes both back.
      const [text, amount] = [statement(account), '<Amt Ccy="CNY">5.00</Amt>'];
      const last = text.lastIndexOf(amount);
      const late = `${text.slice(0, last)}<Amt Ccy="CNY">5.001</Amt>${text.slice(last + amount.length)}`;
      assert.ok(last > text.indexOf('</Ntry>'), 'the bad amount is in the second entry');
      await assert.rejects(reconcileStatement(clearing.ctx, partner.id, late), { code: 'bank_file_amount_precision' });
      const bomb = camt054({
        messageId: 'N', created: '2026-12-02T10:00:00Z', account, currency: 'CNY',
        entries: [entry],
      }).replace('<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>');
      await assert.rejects(applyNotification(clearing.ctx, partner.id, bomb), { code: 'bank_file_entities_refused' });
      assert.deepEqual(await counts(), before);
      // The good file still imports once (nothing was left half-registered), and only once.
      const good = await reconcileStatement(clearing.ctx, partner.id, statement(account));
      assert.equal(good.lines, 2);
      await assert.rejects(reconcileStatement(clearing.ctx, partner.id, statement(account)), {
        code: 'bank_file_replayed',
      });
    });
  });
}
