// Netting in a clearing run: outgoing payments (withdrawals, merchant settlements) against incoming
// credits (card top-up captures, returns) per partner and currency. The batch records gross debits,
// gross credits and the net; the net debit cap applies to the net. A property over random positions and
// a run on both stores with exact figures.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import fc from 'fast-check';
import { Ledger, balanceOf } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { ClearingContext } from './context.ts';
import { instructionById } from './instructions.ts';
import { createPartner, type Partner } from './partners.ts';
import { netUnderCap, recordIncoming, runClearing } from './run.ts';
import { fundedWithdrawals, testClearing } from './testing/context.ts';

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

test('net = sum(out) − sum(in), and the cap holds exactly what would push the net over it', () => {
  const amount = fc.bigInt({ min: 1n, max: 1_000_000n });
  fc.assert(
    fc.property(
      fc.array(amount, { maxLength: 30 }),
      fc.array(amount, { maxLength: 10 }),
      fc.bigInt({ min: -1_000_000n, max: 3_000_000n }),
      fc.bigInt({ min: 0n, max: 5_000_000n }),
      (outs, ins, outstanding, cap) => {
        const outgoing = outs.map((a, n) => ({ id: `o${n}`, amount: a }));
        const r = netUnderCap(outgoing, ins.map((a) => ({ amount: a })), outstanding, cap);
        const byId = new Map(outgoing.map((o) => [o.id, o.amount]));
        const taken = r.take.map((id) => byId.get(id) as bigint);
        assert.equal(r.grossDebit, sum(taken));
        assert.equal(r.grossCredit, sum(ins));
        assert.equal(r.net, sum(taken) - sum(ins));
        // Every outgoing item is taken or held, once, in order.
        assert.deepEqual([...r.take, ...r.hold].sort(), outgoing.map((o) => o.id).sort());
        // Walking in order of age: a taken item keeps the position within the cap, a held one would break it.
        let position = outstanding - sum(ins);
        for (const o of outgoing) {
          if (r.take.includes(o.id)) {
            position += o.amount;
            assert.ok(position <= cap, `taking ${o.id} left ${position} over ${cap}`);
          } else assert.ok(position + o.amount > cap, `${o.id} was held though it fitted`);
        }
        if (r.take.length > 0) assert.ok(outstanding + r.net <= cap);
      },
    ),
    { numRuns: 500 },
  );
});

for (const kind of testStoreKinds()) {
  describe(`netting in a clearing run (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let ctx: ClearingContext;
    let partner: Partner;
    let time = Date.UTC(2030, 0, 8, 9);
    const clock = () => time;

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock });
      ctx = (await testClearing(store, ledger, clock)).ctx;
      partner = await createPartner(store, ledger, {
        name: 'Net House', role: 'clearing_house', currency: 'CNY', bic: 'NETHCNBJ', accountNumber: '6222000088880000',
        netDebitCap: 10_000n,
      }, 'opr_test', time);
    });
    after(async () => {
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    it('nets captures and returns against payouts; the cap applies to the net', async () => {
      const { walletId, out } = await fundedWithdrawals(ctx, ledger, partner.id, 'cus_n', 'net', () => {
        time += 1_000;
      });
      const incoming = async (kind: 'card_capture' | 'return', reference: string, amount: bigint) =>
        recordIncoming(store, { partnerId: partner.id, kind, reference, currency: 'CNY', amount }, time);
      const balance = async (id: string) => balanceOf((await ledger.account(id))!);

      // Credits alone lock no batch (no message to send) and stay for the next run.
      await incoming('card_capture', 'fnd_capture_1', 4_000n);
      await incoming('card_capture', 'fnd_capture_1', 4_000n); // recorded once
      await assert.rejects(
        recordIncoming(store, {
          partnerId: partner.id, kind: 'return', reference: 'x', currency: 'USD', amount: 1n,
        }, time),
        { code: 'clearing_instruction_invalid' },
      );
      const empty = await runClearing(ctx, partner.id);
      assert.equal(empty.batch, undefined);

      const [a, b, c] = [await out(6_000n, 1), await out(7_000n, 2), await out(2_000n, 3)];
      const first = await runClearing(ctx, partner.id);
      // Gross 6,000 + 7,000 = 13,000 is over the 10,000 cap; net of the 4,000 capture it is 9,000. C would
      // make it 11,000: held.
      assert.deepEqual(first.held, [c.id]);
      assert.equal(first.batch?.count, 2);
      assert.equal(first.batch?.total, 13_000n);
      assert.equal(first.batch?.grossDebit, 13_000n);
      assert.equal(first.batch?.grossCredit, 4_000n);
      assert.equal(first.batch?.netDebit, 9_000n);
      assert.equal((await instructionById(store, a.id))?.state, 'batched');
      assert.equal((await instructionById(store, b.id))?.state, 'batched');
      const credits = await store.all(
        'SELECT reference, state, batch_id FROM clearing_incoming WHERE partner_id = ? ORDER BY reference',
        [partner.id],
      );
      assert.deepEqual(credits.map((r) => [r.reference, r.state, r.batch_id]), [
        ['fnd_capture_1', 'batched', first.batch?.id],
      ]);

      // Outstanding net 9,000: C (2,000) still does not fit; a 1,000 return brings it to exactly the cap.
      time += 60_000;
      assert.deepEqual((await runClearing(ctx, partner.id)).held, [c.id]);
      await incoming('return', 'cin_returned_1', 1_000n);
      const second = await runClearing(ctx, partner.id);
      assert.deepEqual(second.held, []);
      assert.equal(second.batch?.grossDebit, 2_000n);
      assert.equal(second.batch?.grossCredit, 1_000n);
      assert.equal(second.batch?.netDebit, 1_000n);
      assert.equal((await instructionById(store, c.id))?.state, 'batched');

      // Netting changes what is sent and capped, not what the ledger holds: all 15,000 wait in transit.
      assert.equal(await balance(partner.inTransitAccountId), 15_000n);
      assert.equal(await balance(walletId), 85_000n);
      const audit = await store.all(
        "SELECT details FROM audit_entries WHERE action = 'clearing.run' ORDER BY seq", [],
      );
      const last = JSON.parse(audit.at(-1)?.details as string) as Record<string, unknown>;
      assert.equal(last.grossCredit, '1000');
      assert.equal(last.net, '1000');
    });
  });
}
