// Crash safety: a child process serving transfers is killed with SIGKILL mid-load. After reopening
// the database, every transfer the child had acknowledged is in the journal, the ledger verifies,
// money is conserved, and the ledger carries on (a retry of an acknowledged key is a replay).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { Ledger } from './ledger.ts';
import { assertLedgerWhole, journalByKey, openAccounts } from './testing/fixtures.ts';
import type { CrashWorkerConfig } from './testing/crash-worker.ts';
import { forkWorker } from './testing/fork-worker.ts';

const killAfterMs = 1_500;
const acksMin = 200;

for (const kind of testStoreKinds()) {
  describe(`crash on ${kind}`, () => {
    it('every acknowledged transfer survives SIGKILL mid-load', { timeout: 60_000 }, async (t) => {
      const database = await createTestDatabase(kind);
      try {
        const accounts = await setUpAccounts(database.open());
        const config: CrashWorkerConfig = {
          databaseUrl: database.databaseUrl, sqlitePath: database.sqlitePath, schema: database.schema,
          accounts, currency: 'CNY', prefix: 'crash:', concurrency: 400, operationsMax: 2_000_000,
        };
        const acked = await runAndKill(config);
        assert.ok(acked.length >= acksMin, `the child acknowledged only ${acked.length} transfers before the kill`);

        const store = database.open();
        const ledger = new Ledger({ store });
        try {
          const journal = await journalByKey(store, 'crash:');
          t.diagnostic(`${acked.length} transfers acknowledged before SIGKILL, ${journal.size} committed`);
          const missing = acked.filter((key) => journal.get(key)?.length !== 1);
          assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.length} acknowledged transfers are not in the journal once`);
          await assertLedgerWhole(ledger, (await store.all('SELECT id FROM ledger_accounts')).map((r) => String(r.id)));

          const key = acked.at(-1) ?? '';
          const seq = journal.get(key)?.[0];
          const retried = await store.get('SELECT debit_account_id, credit_account_id, amount FROM ledger_transfers WHERE idempotency_key = ?', [key]);
          assert.ok(retried !== undefined && seq !== undefined);
          const replay = await ledger.submit({
            kind: 'single', key, debitAccountId: String(retried.debit_account_id), creditAccountId: String(retried.credit_account_id),
            amount: BigInt(retried.amount as bigint), currency: 'CNY',
          });
          assert.ok(replay.ok && replay.replayed && replay.transfer.seq === seq, 'a retry after the restart is a replay');
        } finally {
          await ledger.close();
          await store.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}

async function setUpAccounts(store: ReturnType<Awaited<ReturnType<typeof createTestDatabase>>['open']>): Promise<string[]> {
  const ledger = new Ledger({ store });
  const ids = await openAccounts(ledger, [
    { name: 'bank', kind: 'bank_settlement', currency: 'CNY' },
    ...['a', 'b', 'c'].map((name) => ({ name, kind: 'customer_wallet' as const, currency: 'CNY' })),
  ]);
  const [bank, ...wallets] = [...ids.values()];
  for (const id of wallets) {
    const funded = await ledger.submit({ kind: 'single', key: `fund:${id}`, debitAccountId: bank ?? '', creditAccountId: id, amount: 10_000_000n, currency: 'CNY' });
    assert.equal(funded.ok, true);
  }
  await ledger.close();
  await store.close();
  return wallets;
}

/** Runs the worker, collects the keys it printed (complete lines only), kills it mid-load. */
async function runAndKill(config: CrashWorkerConfig): Promise<string[]> {
  const child = forkWorker('crash-worker.ts', { ANFU_CRASH_CONFIG: JSON.stringify(config) }, 'pipe');
  const acked: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    acked.push(...lines);
  });
  const exited = once(child, 'exit');
  // Kill once the load is running and acknowledgements are flowing; give up waiting after 30 s.
  const deadline = Date.now() + 30_000;
  let firstAckAt: number | undefined;
  while (Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (firstAckAt === undefined && acked.length > 0) firstAckAt = Date.now();
    if (firstAckAt !== undefined && Date.now() - firstAckAt >= killAfterMs && acked.length >= acksMin) break;
  }
  assert.equal(child.exitCode, null, 'the worker was still serving when killed');
  child.kill('SIGKILL');
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL');
  return acked;
}
