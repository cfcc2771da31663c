// A COMMIT whose answer is lost: the ledger neither assumes it rolled back (and applies the transfer
// again) nor gives up on it — it asks again with the same idempotency key and finds it, once. A TCP
// proxy between the ledger and PostgreSQL forwards the first COMMIT and then cuts both sides
// before the answer comes back, which is what a leader crash right after a commit looks like
// (src/testing/cutting-proxy.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../store/testing.ts';
import { CommitOutcomeUnknown, openStore, retriedTransaction, type PostgresStore } from '../store/index.ts';
import { Ledger } from './index.ts';
import { postgresSkip } from '../testing/required-tools.ts';
import { cuttingProxy } from '../testing/cutting-proxy.ts';

const url = process.env.ANFU_TEST_DATABASE_URL;

// Under ANFU_REQUIRE_TOOLS=1 (CI) a missing PostgreSQL fails the run instead of skipping it.
const skip = postgresSkip();

test('a COMMIT whose answer is lost is reported unknown, not failed; its connection is dropped', { skip }, async () => {
  const database = await createTestDatabase('postgres');
  const target = new URL(url as string);
  const proxy = await cuttingProxy(target);
  const proxied = new URL(target);
  proxied.port = String(proxy.port);
  const options = { databaseUrl: proxied.toString(), sqlitePath: '', schema: database.schema, poolSize: 2 };
  const store = openStore(options) as PostgresStore;
  try {
    proxy.cutAfterNextCommit();
    await assert.rejects(
      retriedTransaction(store, (client) =>
        client.query("INSERT INTO schema_migrations (id, name, applied_at) VALUES (99999, 'probe', 0)")),
      (error: unknown) => error instanceof CommitOutcomeUnknown,
    );
    // The commit happened on the server: asking again finds it (and the pool hands out a live connection).
    const row = await store.get('SELECT name FROM schema_migrations WHERE id = 99999');
    assert.equal(row?.name, 'probe');
  } finally {
    await store.close();
    await proxy.close();
    await database.drop();
  }
});

const lostAnswer = 'a ledger batch whose answer was lost (one-statement transaction) is found by its key on retry: '
  + 'applied once';
test(lostAnswer, { skip }, async () => {
  const database = await createTestDatabase('postgres');
  const target = new URL(url as string);
  const proxy = await cuttingProxy(target);
  const proxied = new URL(target);
  proxied.port = String(proxy.port);
  const store = openStore({ databaseUrl: proxied.toString(), sqlitePath: '', schema: database.schema, poolSize: 2 });
  const ledger = new Ledger({ store, failoverWaitMs: 10_000 });
  try {
    const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'bank' });
    const wallet = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'wallet' });
    proxy.cutAfterNextCommit('anfu_ledger_apply');
    const transfer = { debitAccountId: bank.id, creditAccountId: wallet.id, amount: 1234n, currency: 'CNY' };
    const outcome = await ledger.submit({ kind: 'single', key: 'lost-answer-1', ...transfer });
    assert.equal(proxy.cuts(), 1);
    assert.ok(outcome.ok);
    assert.equal(outcome.replayed, true, 'the retry found the committed transfer instead of applying it again');
    const rows = await store.all("SELECT seq FROM ledger_transfers WHERE idempotency_key = 'lost-answer-1'");
    assert.equal(rows.length, 1);
    assert.equal((await ledger.account(wallet.id))?.creditsPosted, 1234n);
    assert.ok((await ledger.verify()).ok);
  } finally {
    await ledger.close();
    await store.close();
    await proxy.close();
    await database.drop();
  }
});
