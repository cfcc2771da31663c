// A misconfigured cluster at the unit level (issue 17, "Bad input"): the test PostgreSQL is a leader
// with no synchronous standby. With ANFU_DATABASE_REQUIRE_SYNC_STANDBY on, Anfu must refuse to
// acknowledge writes it could not make durable — the ledger's batch fails with the reason and writes
// nothing — and /ready must answer 503 saying why (and log it). The drills cover a real cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger } from '../ledger/index.ts';
import { StoreNotDurable, startDurabilityMonitor, type PostgresStore } from '../store/index.ts';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import { postgresSkip } from '../testing/required-tools.ts';
import { createTestApp } from '../wiring/test-app.ts';

const skip = postgresSkip();

const refusesWrites = 'postgres without a synchronous standby: the ledger refuses the write, says why, writes nothing';
test(refusesWrites, { skip }, async () => {
  const { store, release } = await withTestStore('postgres');
  const changes: (string | undefined)[] = [];
  const monitor = startDurabilityMonitor(store as PostgresStore, {
    requireSyncStandby: true, intervalMs: 50, onChange: (refusal) => changes.push(refusal),
  });
  const ledger = new Ledger({ store, failoverWaitMs: 300, writeRefusal: () => monitor.refusal() });
  try {
    const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'bank' });
    const wallet = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'wallet' });
    for (let i = 0; i < 100 && monitor.refusal() === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(monitor.refusal() ?? '', /no synchronous standby/);
    assert.match(changes[0] ?? '', /no synchronous standby/, 'the change was reported (serve() logs it)');
    const request = {
      kind: 'single' as const, key: 'not-durable-1', debitAccountId: bank.id, creditAccountId: wallet.id, amount: 500n,
      currency: 'CNY',
    };
    await assert.rejects(ledger.submit(request), (error: unknown) =>
      error instanceof StoreNotDurable && /no synchronous standby/.test(error.message));
    const rows = await store.all("SELECT seq FROM ledger_transfers WHERE idempotency_key = 'not-durable-1'");
    assert.equal(rows.length, 0);
    assert.equal((await ledger.account(wallet.id))?.creditsPosted, 0n);
  } finally {
    monitor.stop();
    await ledger.close();
    await release();
  }
});

const notReady = 'postgres without a synchronous standby: /ready is 503 with the reason when one is required';
test(notReady, { skip }, async () => {
  const strict = await createTestApp('postgres', { ANFU_DATABASE_REQUIRE_SYNC_STANDBY: 'true' });
  try {
    const response = await strict.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(response.statusCode, 503);
    const problem = response.json<{ code: string; detail: string }>();
    assert.equal(problem.code, 'not_ready');
    assert.match(problem.detail, /no synchronous standby/);
    const logged = (line: string) => /writes cannot be made durable/.test(line) && /no synchronous standby/.test(line);
    assert.ok(strict.logs.some(logged));
  } finally {
    await strict.close();
  }
  const relaxed = await createTestApp('postgres');
  try {
    const response = await relaxed.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(response.statusCode, 200, 'a standby not required: ready');
  } finally {
    await relaxed.close();
  }
});

// etcd unreachable, no leader: the write address answers nothing. /ready asks the database first, so it
// says that — not "migrations are pending", which is what an unreadable migration table used to look like.
for (const kind of testStoreKinds()) {
  test(`${kind}: a database that does not answer: /ready 503 says so, and logs it`, async () => {
    const fixture = await createTestApp(kind);
    const store = fixture.store as unknown as Record<'get' | 'all' | 'run', (...args: unknown[]) => Promise<unknown>>;
    const saved = { get: store.get, all: store.all, run: store.run };
    const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    try {
      store.get = refused;
      store.all = refused;
      store.run = refused;
      const response = await fixture.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(response.statusCode, 503);
      const problem = response.json<{ code: string; detail: string }>();
      assert.equal(problem.code, 'not_ready');
      assert.equal(problem.detail, 'the database does not answer');
      assert.ok(fixture.logs.some((line) => /not ready: the database does not answer/.test(line)));
    } finally {
      Object.assign(store, saved);
      await fixture.close();
    }
    const again = await createTestApp(kind);
    try {
      const ready = await again.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(ready.statusCode, 200, 'answering again: ready');
    } finally {
      await again.close();
    }
  });
}
