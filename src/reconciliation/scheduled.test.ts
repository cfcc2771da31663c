// The server's scheduled clearing run against the simulator process on both stores: every active partner is
// run, a partner with an endpoint gets its batch sent and the pacs.002 applied, one without keeps it locked,
// a partner suspended since its instruction is skipped, and a second run with nothing due locks nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ledger } from '../ledger/index.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import {
  batchById, createPartner, instructionById, requestTransferOut, updatePartnerLimits, type Instruction, type Partner,
} from '../clearing/index.ts';
import { startClearingSimProcess, type ClearingSimProcess } from '../clearing/testing/sim-process.ts';
import { testClearing, type TestClearing } from '../clearing/testing/context.ts';
import { runScheduledClearing } from './scheduled.ts';

const account = '6222000011113333';

for (const kind of testStoreKinds()) {
  describe(`scheduled clearing runs (${kind})`, () => {
    let database: TestDatabase;
    let store: Store;
    let ledger: Ledger;
    let sim: ClearingSimProcess;
    let clearing: TestClearing;
    const partners: Partner[] = [];
    const time = Date.now();
    const clock = (): number => time;
    const partner = (name: string, endpoint: string | undefined) =>
      createPartner(store, ledger, {
        name, role: 'settlement_bank', currency: 'CNY', bic: 'ICBKCNBJSHI', accountNumber: account,
        netDebitCap: 5_000_000n, endpoint,
      }, 'opr_test', time);

    before(async () => {
      database = await createTestDatabase(kind);
      store = database.open();
      ledger = new Ledger({ store, clock });
      clearing = await testClearing(store, ledger, clock);
      sim = await startClearingSimProcess({ account, currency: 'CNY', opening: '0', rules: [] });
      partners.push(await partner('Sent Bank', sim.url), await partner('Manual Bank', undefined));
      partners.push(await partner('Paused Bank', sim.url));
    });
    after(async () => {
      await sim?.stop();
      await ledger?.close();
      await store?.close();
      await database?.drop();
    });

    it('runs every active partner, sends where it can, and is a no-op with nothing due', async () => {
      const { ctx } = clearing;
      const funding = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Top-ups' });
      const wallet = await ledger.openAccount({
        kind: 'customer_wallet', currency: 'CNY', name: 'W', ownerId: 'cus_a',
      });
      const funded = await ledger.submit({
        kind: 'single', key: 'fund', debitAccountId: funding.id, creditAccountId: wallet.id, amount: 1_000_000n,
        currency: 'CNY',
      });
      assert.ok(funded.ok);
      const made: Instruction[] = [];
      for (const [n, p] of partners.entries())
        made.push(await requestTransferOut(ctx, {
          kind: 'withdrawal', partnerId: p.id, ownerId: 'cus_a', sourceAccountId: wallet.id, amount: 10_000n,
          creditorName: `Payee ${n}`, creditorAccount: `621700001111000${n}`, creditorAgent: '102100099996',
          key: `s-${n}`, actorId: 'cus_a',
        }));
      await updatePartnerLimits(store, partners[2]!.id, { status: 'suspended' }, 'opr_test', time);
      const errors: unknown[] = [];
      const runs = await runScheduledClearing(ctx, 'system:clearing', (_id, e) => errors.push(e));
      assert.equal(errors.length, 0, String(errors[0]));
      const of = (p: Partner) => runs.find((r) => r.partnerId === p.id);
      assert.equal(runs.length, 2, 'the suspended partner is not run');
      assert.equal(of(partners[0]!)?.sent, true);
      assert.equal(of(partners[1]!)?.sent, false);
      assert.equal((await batchById(store, of(partners[0]!)!.batchId!))?.state, 'answered');
      assert.equal((await batchById(store, of(partners[1]!)!.batchId!))?.state, 'locked');
      const state = async (i: number) => (await instructionById(store, made[i]!.id))?.state;
      assert.deepEqual([await state(0), await state(1), await state(2)], ['accepted', 'batched', 'pending']);
      const again = await runScheduledClearing(ctx, 'system:clearing', (_id, e) => errors.push(e));
      assert.deepEqual(again.map((r) => r.batchId), [undefined, undefined]);
      assert.equal(errors.length, 0, String(errors[0]));
    });
  });
}
