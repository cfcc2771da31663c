// Scheduled backups on both stores (the job rows, lease and audit entries live in the store under
// test; the archives are real page backups of a SQLite ledger): two nodes tick at once and one runs
// each due job; nothing is queued again before its interval; an operator's request through the API
// runs on the next tick with its progress visible; a job whose node died is shown abandoned, then failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAudit, createCheckpoint, ephemeralAuditSigner } from '../audit/index.ts';
import { cryptoProfile, Kek } from '../crypto/index.ts';
import { Ledger } from '../ledger/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp } from '../wiring/test-app.ts';
import {
  directoryTarget,
  listBackupJobs,
  sqliteBackupRunner,
  startBackupSchedule,
  type BackupRunner,
} from './index.ts';

async function sourceDatabase(): Promise<{ runner: BackupRunner; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-schedule-'));
  const sqlitePath = join(dir, 'anfu.db');
  const store = openStore({ sqlitePath, databaseUrl: undefined });
  await migrate(store);
  const ledger = new Ledger({ store });
  const bank = await ledger.openAccount({
    kind: 'bank_settlement',
    currency: 'CNY',
    name: 'Bank',
    code: 'bank_settlement:S:CNY',
  });
  const wallet = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'W', ownerId: 'cus_1' });
  for (let i = 0; i < 50; i += 1) {
    const outcome = await ledger.submit({
      kind: 'single',
      key: `s-${i}`,
      debitAccountId: bank.id,
      creditAccountId: wallet.id,
      amount: 100n,
      currency: 'CNY',
    });
    assert.ok(outcome.ok);
  }
  const signer = ephemeralAuditSigner('intl');
  await store.transaction((tx) =>
    appendAudit(
      tx,
      [{ actorType: 'system', actorId: null, action: 'test.event', target: 't', outcome: 'success' }],
      Date.now(),
    ),
  );
  await createCheckpoint(store, signer, Date.now());
  const runner = sqliteBackupRunner(
    {
      sqlitePath,
      kek: new Kek(randomBytes(32), 'test'),
      profile: cryptoProfile('intl'),
      targets: [directoryTarget('primary', join(dir, 'backups'))],
      clock: Date.now,
      randomSuffix: () => randomBytes(3).toString('hex'),
    },
    async () => signer.publicKeyPem,
  );
  return {
    runner,
    close: async () => {
      await ledger.close();
      await store.close();
    },
  };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: scheduled and requested backup jobs run once under the lease, with progress and audit`, async () => {
    const t = await createTestApp(kind);
    const source = await sourceDatabase();
    try {
      const hour = 3600_000;
      const intervals = { full: hour, incremental: 0, differential: 0, test: hour };
      const options = (node: string) => ({
        intervals,
        node,
        clock: Date.now,
        tickMs: 3_600_000,
        onError: (e: unknown) => assert.fail(String(e)),
      });
      const a = startBackupSchedule(t.store, source.runner, options('node-a'));
      const b = startBackupSchedule(t.store, source.runner, options('node-b'));
      await Promise.all([a.tick(), b.tick()]);
      const jobs = await listBackupJobs(t.store, 10);
      const states = jobs.map((j) => `${j.kind}:${j.state}`).sort();
      assert.deepEqual(states, ['full:succeeded', 'test:succeeded'], JSON.stringify(jobs.map((j) => j.detail)));
      assert.equal(new Set(jobs.map((j) => j.node)).size, 1, 'one node ran both');
      const full = jobs.find((j) => j.kind === 'full');
      assert.ok(full !== undefined && full.total > 0 && full.done === full.total, JSON.stringify(full));
      assert.match(full.backupId ?? '', /^bk_/);
      const audited = await t.store.all(
        "SELECT action, outcome FROM audit_entries WHERE action LIKE 'backup.%' ORDER BY seq",
      );
      assert.deepEqual(audited.map((r) => `${String(r.action)}:${String(r.outcome)}`).sort(), [
        'backup.full:success',
        'backup.test:success',
      ]);
      await Promise.all([a.tick(), b.tick()]);
      assert.equal((await listBackupJobs(t.store, 10)).length, 2, 'nothing due again within the interval');

      // An operator asks for an incremental: queued now, run by the lease holder's next tick.
      const headers = { authorization: `Bearer ${t.token}` };
      const queued = await t.app.inject({
        method: 'POST',
        url: '/v1/backups/jobs',
        headers,
        payload: { kind: 'incremental' },
      });
      assert.equal(queued.statusCode, 202, queued.body);
      const job = queued.json() as { id: string; state: string };
      assert.equal(job.state, 'queued');
      const refused = await t.app.inject({
        method: 'POST',
        url: '/v1/backups/jobs',
        headers: { authorization: `Bearer ${await t.tokenFor('auditor')}` },
        payload: { kind: 'full' },
      });
      assert.equal(refused.statusCode, 403);
      const bad = await t.app.inject({
        method: 'POST',
        url: '/v1/backups/jobs',
        headers,
        payload: { kind: 'everything' },
      });
      assert.equal(bad.statusCode, 400);
      await Promise.all([a.tick(), b.tick()]);
      const done = await t.app.inject({ method: 'GET', url: `/v1/backups/jobs/${job.id}`, headers });
      const view = done.json() as { state: string; percent: number; backupId: string };
      assert.equal(view.state, 'succeeded', done.body);
      assert.equal(view.percent, 100);

      // A job whose node died mid-run: shown abandoned, then failed by the next lease holder.
      await t.store.run(
        `INSERT INTO backup_jobs (id, kind, state, node, requested_by, queued_at, started_at, heartbeat_at)
         VALUES ('bkj_dead', 'full', 'running', 'node-x', 'schedule', ?, ?, ?)`,
        [Date.now() - 3 * hour, Date.now() - 3 * hour, Date.now() - hour],
      );
      const list = await t.app.inject({
        method: 'GET',
        url: '/v1/backups',
        headers: { authorization: `Bearer ${await t.tokenFor('auditor')}` },
      });
      assert.equal(list.statusCode, 200);
      const items = (list.json() as { items: { id: string; state: string }[] }).items;
      assert.equal(items.find((i) => i.id === 'bkj_dead')?.state, 'abandoned');
      await Promise.all([a.tick(), b.tick()]);
      const ended = (await listBackupJobs(t.store, 10)).find((j) => j.id === 'bkj_dead');
      assert.equal(ended?.state, 'failed');
      await a.stop();
      await b.stop();
    } finally {
      await source.close();
      await t.close();
    }
  });
}
