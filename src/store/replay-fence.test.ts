// The replay fence must make a COMMIT wait for the synchronous standby. A throw-away PostgreSQL 15 whose
// synchronous_standby_names names a standby that never connects is a leader whose standby stopped
// answering: every commit that must wait, waits for ever (in wait event SyncRep). On it, a transaction
// that only took a transaction id commits at once — the old fence, which proved nothing — while the
// fence (a transactional WAL message) stays unanswered until the standby requirement is lifted (this
// first test fails with the old fence in its place). A ledger replay through both PostgreSQL paths (the
// anfu_ledger_apply function rebuilt by migration 202, and the TypeScript decider) waits too and then
// answers the original transfer, applied once. Today those replays would also wait without the fence,
// because their row locks (SELECT … FOR UPDATE) write WAL; the fence keeps that from resting on it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import pg from 'pg';
import { initScratchPostgres, postgresBinDir, type ScratchPostgres } from '../backup/testing/scratch-postgres.ts';
import { Ledger, type TransferOutcome } from '../ledger/index.ts';
import { skipUnless } from '../testing/required-tools.ts';
import { migrate, openStore, replayFenceSql, type Store } from './index.ts';

const isRoot = process.getuid?.() === 0;
const skip = skipUnless(postgresBinDir() !== undefined, 'PostgreSQL binaries (/usr/lib/postgresql)')
  || skipUnless(isRoot, 'root (the scratch PostgreSQL runs as postgres)');
/** Long enough for an unfenced commit on a loaded machine; a fenced one never answers at all. */
const answerMs = 3_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('no port')) : resolve(port)));
    });
  });
}

let scratch: ScratchPostgres | undefined;
let store: Store | undefined;

async function requireAbsentStandby(on: boolean): Promise<void> {
  const names = on ? 'anfu_absent_standby' : '';
  await scratch?.psql(`ALTER SYSTEM SET synchronous_standby_names = '${names}'`);
  await scratch?.psql('SELECT pg_reload_conf()');
  // The setting reaches each backend at its next command; wait until a new session sees it.
  for (let i = 0; i < 50; i++) {
    if ((await scratch?.psql('SHOW synchronous_standby_names'))?.trim() === names) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('synchronous_standby_names did not take effect');
}

/** Settles with the value, or with 'unanswered' when `answerMs` passed first. */
async function answeredWithin<T>(work: Promise<T>): Promise<T | 'unanswered'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'unanswered'>((resolve) => { timer = setTimeout(() => resolve('unanswered'), answerMs); });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitingOnStandby(client: pg.Client): Promise<string[]> {
  const rows = await client.query<{ query: string }>(
    "SELECT query FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND pid <> pg_backend_pid()",
  );
  return rows.rows.map((row) => row.query);
}

before(async () => {
  if (skip !== false) return;
  scratch = await initScratchPostgres(await freePort());
  await scratch.start();
  store = openStore({ databaseUrl: scratch.url('postgres'), sqlitePath: '', poolSize: 3 });
  await migrate(store);
});

after(async () => {
  await store?.close().catch(() => undefined);
  await scratch?.stop();
  await scratch?.remove();
});

test('a commit that only took a transaction id does not wait for the standby; the fence does', { skip }, async () => {
  const url = scratch?.url('postgres') as string;
  const observer = new pg.Client({ connectionString: url });
  const xidOnly = new pg.Client({ connectionString: url });
  const fenced = new pg.Client({ connectionString: url });
  await Promise.all([observer.connect(), xidOnly.connect(), fenced.connect()]);
  try {
    await requireAbsentStandby(true);
    await xidOnly.query('BEGIN');
    await xidOnly.query('SELECT pg_current_xact_id()');
    assert.notEqual(await answeredWithin(xidOnly.query('COMMIT')), 'unanswered', 'an xid alone commits at once');
    await fenced.query('BEGIN');
    await fenced.query(replayFenceSql);
    const commit = fenced.query('COMMIT');
    assert.equal(await answeredWithin(commit), 'unanswered', 'the fenced commit waits for the standby');
    assert.deepEqual(await waitingOnStandby(observer), ['COMMIT']);
    await requireAbsentStandby(false);
    await commit; // released once no standby is required: the wait was the standby's, nothing else
  } finally {
    await requireAbsentStandby(false);
    await Promise.all([observer.end(), xidOnly.end(), fenced.end()]);
  }
});

for (const decider of ['function', 'typescript'] as const) {
  test(`a ledger replay (${decider} decider) is answered only once the standby holds it`, { skip }, async () => {
    const ledger = new Ledger({ store: store as Store, postgresDecider: decider });
    const observer = new pg.Client({ connectionString: scratch?.url('postgres') as string });
    await observer.connect();
    try {
      const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: `bank ${decider}` });
      const wallet = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: `wallet ${decider}` });
      const request = {
        kind: 'single', key: `fence-${decider}`, debitAccountId: bank.id, creditAccountId: wallet.id,
        amount: 2500n, currency: 'CNY',
      } as const;
      const first = await ledger.submit(request);
      assert.ok(first.ok);
      await requireAbsentStandby(true);
      const replay = ledger.submit(request);
      assert.equal(await answeredWithin(replay), 'unanswered', 'the replay waits for the standby');
      assert.equal((await waitingOnStandby(observer)).length, 1, 'its commit waits in SyncRep');
      await requireAbsentStandby(false);
      const answered: TransferOutcome = await replay;
      assert.ok(answered.ok);
      assert.equal(answered.replayed, true);
      assert.equal(answered.transfer.seq, first.transfer.seq);
      assert.equal((await ledger.account(wallet.id))?.creditsPosted, 2500n, 'applied once');
      assert.ok((await ledger.verify()).ok);
    } finally {
      await requireAbsentStandby(false);
      await observer.end();
      await ledger.close();
    }
  });
}
