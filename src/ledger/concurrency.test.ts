// Concurrency: several OS processes, each with its own connections, hammer the same few hot accounts
// on PostgreSQL; on SQLite, thousands of concurrent submits in one process and two processes on one
// file. Whatever the interleaving: no error reaches a caller, every acknowledged transfer is in the
// journal once, balances equal the sum of acknowledged movements (no lost update), money is conserved.
import { postgresSkip } from '../testing/required-tools.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestDatabase, type StoreKind, type TestDatabase } from '../store/testing.ts';
import { Ledger } from './ledger.ts';
import { assertLedgerWhole, balancesOf, journalByKey, openAccounts } from './testing/fixtures.ts';
import { forkWorker, reportOf } from './testing/fork-worker.ts';
import { hammer, type HammerConfig, type HammerReport } from './testing/hammer.ts';
import type { HammerWorkerConfig } from './testing/hammer-worker.ts';

const hotBalance = 1_000_000_000n;

interface Fixture {
  readonly database: TestDatabase;
  readonly ledger: Ledger;
  readonly bank: string;
  readonly hot: string[];
  close(): Promise<void>;
}

async function fixture(kind: StoreKind): Promise<Fixture> {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const ids = await openAccounts(ledger, [
    { name: 'bank', kind: 'bank_settlement', currency: 'CNY' },
    ...['a', 'b', 'c', 'd'].map((name) => ({ name, kind: 'customer_wallet' as const, currency: 'CNY' })),
  ]);
  const [bank, ...hot] = [...ids.values()];
  assert.ok(bank !== undefined);
  for (const id of hot) {
    const funded = await ledger.submit({ kind: 'single', key: `fund:${id}`, debitAccountId: bank, creditAccountId: id, amount: hotBalance, currency: 'CNY' });
    assert.equal(funded.ok, true);
  }
  return {
    database, ledger, bank, hot,
    async close() {
      await ledger.close();
      await store.close();
      await database.drop();
    },
  };
}

function configFor(f: Fixture, worker: number, operations: number, concurrency: number): HammerConfig {
  return {
    accounts: f.hot, currency: 'CNY', prefix: `w${worker}:`, sharedPrefix: 'shared:', sharedKeys: 40, sharedRepeats: 2,
    operations, concurrency, seed: 1_000 + worker,
  };
}

async function runWorkers(f: Fixture, workers: number, operations: number, concurrency: number): Promise<HammerReport[]> {
  const children = Array.from({ length: workers }, (_, worker) => {
    const config: HammerWorkerConfig = {
      ...configFor(f, worker, operations, concurrency),
      databaseUrl: f.database.databaseUrl, sqlitePath: f.database.sqlitePath, schema: f.database.schema,
    };
    return forkWorker('hammer-worker.ts', { ANFU_HAMMER_CONFIG: JSON.stringify(config) });
  });
  return Promise.all(children.map((child) => reportOf<HammerReport>(child, 150_000)));
}

/** The checks a user of the ledger would make after the storm. */
async function assertAfterStorm(f: Fixture, reports: readonly HammerReport[], expectedOwnOperations: number): Promise<void> {
  const { ledger } = f;
  assert.deepEqual(reports.flatMap((r) => r.errors), [], 'no rejected promise reached a caller');
  assert.deepEqual(reports.map((r) => r.refused), reports.map(() => ({})), 'nothing was refused: the hot accounts never run dry');
  const acks = reports.flatMap((r) => r.acks);
  const applied = acks.filter(([, , replayed]) => !replayed);

  // Each acknowledged key is in the journal exactly once, under the seq its caller was told.
  const journal = new Map([...(await journalByKey(ledger.store, 'w')), ...(await journalByKey(ledger.store, 'shared:'))]);
  for (const [key, seq] of acks) assert.deepEqual(journal.get(key)?.map(String), [seq], `journal entry of ${key}`);
  assert.equal(journal.size, applied.length, 'the journal holds exactly the applied transfers');
  assert.ok(applied.filter(([key]) => !key.startsWith('shared:') && !key.includes(':post') && !key.includes(':void')).length === expectedOwnOperations);

  // Shared keys: once in the journal, applied by exactly one submitter, every other got a replay of it.
  for (let i = 0; i < 40; i++) {
    const key = `shared:${i}`;
    const forKey = acks.filter(([k]) => k === key);
    assert.equal(forKey.length, reports.length * 2, `every submission of ${key} was acknowledged`);
    assert.equal(forKey.filter(([, , replayed]) => !replayed).length, 1, `${key} applied once`);
    assert.equal(new Set(forKey.map(([, seq]) => seq)).size, 1, `${key} has one seq`);
  }

  // No lost update: each balance is the opening balance plus the movements acknowledged to callers.
  const expected = new Map(f.hot.map((id) => [id, hotBalance]));
  expected.set(f.bank, -hotBalance * BigInt(f.hot.length));
  for (const [, , , kind, debit, credit, amount] of applied) {
    if (kind !== 'single' && kind !== 'post') continue;
    expected.set(debit, (expected.get(debit) ?? 0n) - BigInt(amount));
    expected.set(credit, (expected.get(credit) ?? 0n) + BigInt(amount));
  }
  const balances = await assertLedgerWhole(ledger, [f.bank, ...f.hot]);
  for (const [id, balance] of expected) assert.equal(balances.get(id)?.balance, balance, `balance of ${id}`);
  for (const id of f.hot) assert.equal(balances.get(id)?.debitsPending, 0n, 'every hold was resolved');
}

describe('concurrency on postgres', () => {
  it('4 processes hammer the same hot accounts: no deadlock reaches a caller, no lost update, shared keys applied once', { timeout: 180_000 }, async (t) => {
    const skip = postgresSkip();
    if (skip !== false) {
      t.skip(skip);
      return;
    }
    const f = await fixture('postgres');
    try {
      const operations = 2_500;
      const reports = await runWorkers(f, 4, operations, 64);
      await assertAfterStorm(f, reports, 4 * operations);
    } finally {
      await f.close();
    }
  });
});

describe('concurrency on sqlite', () => {
  it('thousands of concurrent submits in one process form batches and keep every invariant', { timeout: 120_000 }, async () => {
    const f = await fixture('sqlite');
    const batchSizes: number[] = [];
    const ledger = new Ledger({ store: f.ledger.store, onBatch: (size) => batchSizes.push(size) });
    try {
      const operations = 6_000;
      const reports = await Promise.all([
        hammer(ledger, configFor(f, 0, operations, 3_000)),
        hammer(ledger, configFor(f, 1, operations, 3_000)),
      ]);
      await ledger.close();
      assert.ok(Math.max(...batchSizes) >= 500, `batches formed (largest ${Math.max(...batchSizes)})`);
      await assertAfterStorm(f, reports, 2 * operations);
    } finally {
      await f.close();
    }
  });

  it('two processes on one SQLite file take turns and keep every invariant', { timeout: 120_000 }, async () => {
    const f = await fixture('sqlite');
    try {
      const operations = 3_000;
      const reports = await runWorkers(f, 2, operations, 500);
      await assertAfterStorm(f, reports, 2 * operations);
      assert.ok((await balancesOf(f.ledger.store, f.hot)).size === f.hot.length);
    } finally {
      await f.close();
    }
  });
});
