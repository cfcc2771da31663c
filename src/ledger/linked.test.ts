// Linked transfers (a payment and its fee, a refund and its fee back): all legs apply in one commit
// or none does, on both stores, including under concurrency with other batches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { Ledger } from './ledger.ts';
import type { TransferRequest } from './types.ts';
import { assertLedgerWhole, balancesOf, idOf, journalByKey, openAccounts } from './testing/fixtures.ts';

const specs = [
  { name: 'bank', kind: 'bank_settlement', currency: 'CNY' },
  { name: 'payer', kind: 'customer_wallet', currency: 'CNY' },
  { name: 'merchant', kind: 'merchant', currency: 'CNY' },
  { name: 'fees', kind: 'fees', currency: 'CNY' },
  { name: 'usd', kind: 'customer_wallet', currency: 'USD' },
] as const;

for (const kind of testStoreKinds()) {
  describe(`linked transfers on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let ids: Map<string, string>;
    const single = (key: string, from: string, to: string, amount: bigint, currency = 'CNY'): TransferRequest => ({
      kind: 'single', key, debitAccountId: idOf(ids, from), creditAccountId: idOf(ids, to), amount, currency,
    });

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store });
      ids = await openAccounts(ledger, specs);
      assert.ok((await ledger.submit(single('fund', 'bank', 'payer', 10_000n))).ok);
    });
    after(async () => {
      await ledger.close();
      await store.close();
      await database.drop();
    });

    test('a payment and its fee apply together, and a retry replays both', async () => {
      const legs = [single('pay-1', 'payer', 'merchant', 1_000n), single('pay-1:fee', 'merchant', 'fees', 6n)];
      const outcome = await ledger.submitLinked(legs);
      assert.equal(outcome.ok, true);
      assert.ok(outcome.ok && outcome.transfers.length === 2 && !outcome.replayed);
      const again = await ledger.submitLinked(legs);
      assert.ok(again.ok && again.replayed);
      assert.deepEqual(again.transfers.map((t) => t.seq), outcome.transfers.map((t) => t.seq));
      const balances = await balancesOf(store, [idOf(ids, 'merchant'), idOf(ids, 'fees')]);
      assert.equal(balances.get(idOf(ids, 'merchant'))?.balance, 994n);
      assert.equal(balances.get(idOf(ids, 'fees'))?.balance, 6n);
    });

    test('when one leg is refused none applies, and the caller learns which leg and why', async () => {
      const before = await balancesOf(store, [...ids.values()]);
      const outcome = await ledger.submitLinked([single('pay-2', 'payer', 'merchant', 500n), single('pay-2:fee', 'merchant', 'usd', 3n)]);
      assert.deepEqual(outcome, { ok: false, index: 1, code: 'currency_mismatch', detail: outcome.ok ? '' : outcome.detail });
      const broke = await ledger.submitLinked([single('pay-3', 'payer', 'merchant', 500n), single('pay-3:fee', 'fees', 'merchant', 1_000_000n)]);
      assert.ok(!broke.ok && broke.index === 1 && broke.code === 'insufficient_funds');
      assert.deepEqual(await balancesOf(store, [...ids.values()]), before);
      assert.equal((await journalByKey(store, 'pay-2')).size + (await journalByKey(store, 'pay-3')).size, 0, 'no leg reached the journal');
      // The keys stay free: the corrected request applies.
      assert.ok((await ledger.submitLinked([single('pay-2', 'payer', 'merchant', 500n), single('pay-2:fee', 'merchant', 'fees', 3n)])).ok);
    });

    test('a hold can be posted together with a fee leg', async () => {
      const hold = await ledger.submit({ kind: 'hold', key: 'hold-1', debitAccountId: idOf(ids, 'payer'), creditAccountId: idOf(ids, 'merchant'), amount: 300n, currency: 'CNY', timeoutMs: 60_000 });
      assert.ok(hold.ok);
      const posted = await ledger.submitLinked([{ kind: 'post', key: 'hold-1:post', holdSeq: hold.transfer.seq }, single('hold-1:fee', 'merchant', 'fees', 2n)]);
      assert.ok(posted.ok);
      assert.equal((await ledger.hold(hold.transfer.seq))?.state, 'posted');
      const refused = await ledger.submitLinked([{ kind: 'void', key: 'hold-1:void', holdSeq: hold.transfer.seq }, single('x', 'payer', 'merchant', 1n)]);
      assert.ok(!refused.ok && refused.index === 0 && refused.code === 'hold_not_pending');
    });

    test('property: concurrent linked units land whole or not at all, and money is conserved', async () => {
      const names = ['payer', 'merchant', 'fees'] as const;
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.record({ from: fc.constantFrom(...names), to: fc.constantFrom(...names), amount: fc.bigInt({ min: 1n, max: 4_000n }) }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
          async (units) => {
            run++;
            const requests = units.map((legs, u) => legs.map((leg, l) => single(`p${run}-u${u}-l${l}`, leg.from, leg.to, leg.amount)));
            const outcomes = await Promise.all(requests.map((legs) => ledger.submitLinked(legs)));
            const journal = await journalByKey(store, `p${run}-`);
            outcomes.forEach((outcome, u) => {
              const landed = (requests[u] ?? []).filter((leg) => journal.has(leg.key)).length;
              assert.equal(landed, outcome.ok ? requests[u]?.length : 0, `unit ${u} landed ${landed} legs`);
            });
            await assertLedgerWhole(ledger, [...ids.values()]);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
