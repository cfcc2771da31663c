// The journal is covered by the audit log: an edit that leaves every balance sum intact (a changed
// reference, a row slipped in with matching balance updates) is still caught by `verify`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { Ledger } from './ledger.ts';
import { journalDigest, parseSeqRanges, seqRanges } from './journal-digest.ts';
import { idOf, openAccounts } from './testing/fixtures.ts';

async function dropAppendOnly(store: Store): Promise<void> {
  if (store.dialect === 'sqlite') {
    await store.run('DROP TRIGGER ledger_transfers_no_update');
    await store.run('DROP TRIGGER ledger_transfers_no_delete');
  } else {
    await store.run('DROP TRIGGER ledger_transfers_append_only ON ledger_transfers');
  }
}

test('seq ranges round-trip', () => {
  assert.equal(seqRanges([5n, 1n, 2n, 3n, 9n, 10n]), '1-3,5-5,9-10');
  assert.deepEqual(parseSeqRanges('1-3,5-5'), [[1n, 3n], [5n, 5n]]);
  assert.equal(parseSeqRanges('1-3;drop'), undefined);
  assert.notEqual(journalDigest([]), '');
});

for (const kind of testStoreKinds()) {
  describe(`journal tamper evidence on ${kind}`, () => {
    async function setUp() {
      const database = await createTestDatabase(kind);
      const store = database.open();
      const ledger = new Ledger({ store });
      const ids = await openAccounts(ledger, [
        { name: 'bank', kind: 'bank_settlement', currency: 'CNY' },
        { name: 'a', kind: 'customer_wallet', currency: 'CNY' },
        { name: 'b', kind: 'customer_wallet', currency: 'CNY' },
      ]);
      await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.submit({ kind: 'single', key: `t${i}`, debitAccountId: idOf(ids, 'bank'), creditAccountId: idOf(ids, i % 2 ? 'a' : 'b'), amount: 100n, currency: 'CNY', reference: 'ok' })));
      assert.deepEqual((await ledger.verify()).problems, []);
      await dropAppendOnly(store);
      return { database, store, ledger, ids, async close() { await ledger.close(); await store.close(); await database.drop(); } };
    }

    test('an edited reference is named by its seqs', async () => {
      const s = await setUp();
      await s.store.run("UPDATE ledger_transfers SET reference = 'forged' WHERE idempotency_key = 't7'");
      const report = await s.ledger.verify();
      assert.equal(report.ok, false);
      assert.equal(report.problems.length, 1, report.problems.join('\n'));
      assert.match(report.problems[0] ?? '', /rows differ from the digest in audit entry \d+/);
      await s.close();
    });

    test('a row slipped in beside the ledger, balances adjusted to match, is found', async () => {
      const s = await setUp();
      const a = idOf(s.ids, 'a');
      const b = idOf(s.ids, 'b');
      await s.store.run("INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount, currency, created_at) VALUES ('forged', 'x', 'single', ?, ?, 50, 'CNY', 0)", [a, b]);
      await s.store.run('UPDATE ledger_accounts SET debits_posted = debits_posted + 50 WHERE id = ?', [a]);
      await s.store.run('UPDATE ledger_accounts SET credits_posted = credits_posted + 50 WHERE id = ?', [b]);
      const report = await s.ledger.verify();
      assert.deepEqual(report.problems, ['the journal holds 21 rows but audit entries cover 20']);
      await s.close();
    });

    test('a removed row is found', async () => {
      const s = await setUp();
      // Remove a row and undo its effect on the balances, so only the audit coverage can tell.
      await s.store.run("DELETE FROM ledger_transfers WHERE idempotency_key = 't3'");
      await s.store.run('UPDATE ledger_accounts SET debits_posted = debits_posted - 100 WHERE id = ?', [idOf(s.ids, 'bank')]);
      await s.store.run('UPDATE ledger_accounts SET credits_posted = credits_posted - 100 WHERE id = ?', [idOf(s.ids, 'a')]);
      const report = await s.ledger.verify();
      assert.equal(report.ok, false);
      assert.ok(report.problems.some((p) => /rows where audit entry \d+ recorded/.test(p)), report.problems.join('\n'));
      await s.close();
    });
  });
}
