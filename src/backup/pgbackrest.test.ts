// PostgreSQL backups through Debian's pgBackRest, on a throw-away cluster with WAL archiving: full,
// incremental and differential backups into two encrypted repositories; a point-in-time restore and a
// restore to a backup, each started as its own PostgreSQL, give exactly the ledger of that moment, and
// the ledger and audit log verify; damage in a repository is reported although `pgbackrest verify`
// itself exits 0; a time in the future or before the first backup is refused. The restore test
// (`anfu backup test`, scheduled) restores the newest backup into a scratch cluster of its own, verifies
// it against the fingerprint recorded with the backup while payments went on, records the result as a
// backup job and in the audit log, and names a damaged repository file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendAudit, createCheckpoint, ephemeralAuditSigner, latestEntryOf, verifyAuditLog } from '../audit/index.ts';
import { Kek } from '../crypto/index.ts';
import { Ledger } from '../ledger/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import { hasTool, skipUnless } from '../testing/required-tools.ts';
import { BackupError } from './errors.ts';
import { ledgerFingerprint, type LedgerFingerprint } from './fingerprint.ts';
import {
  archiveCommandOf,
  createStanza,
  pgBackup,
  pgBackupList,
  pgRestore,
  pgVerify,
  writePgBackRestConfig,
  type PgBackRestSetup,
} from './pgbackrest.ts';
import { listBackupJobs, queueBackupJob } from './jobs.ts';
import { pgBackRestRunner } from './runners.ts';
import { startBackupSchedule } from './schedule.ts';
import { initScratchPostgres, postgresBinDir, type ScratchPostgres } from './testing/scratch-postgres.ts';

const ready = hasTool('pgbackrest') && postgresBinDir() !== undefined && hasTool('runuser');
const port = 15_400 + Math.floor(Math.random() * 200);
const signer = ephemeralAuditSigner('intl');

async function activity(store: Store, ledger: Ledger, tag: string, count: number): Promise<void> {
  const bank = (await store.get("SELECT id FROM ledger_accounts WHERE code = 'bank_settlement:T:CNY'"))?.id as string;
  const wallets = (await store.all("SELECT id FROM ledger_accounts WHERE kind = 'customer_wallet' ORDER BY id")).map(
    (r) => String(r.id),
  );
  for (let i = 0; i < count; i += 1) {
    const outcome = await ledger.submit({
      kind: 'single',
      key: `${tag}-${i}`,
      debitAccountId: bank,
      creditAccountId: wallets[i % wallets.length] ?? '',
      amount: BigInt(100 + i),
      currency: 'CNY',
    });
    assert.ok(outcome.ok);
  }
  await store.transaction((tx) =>
    appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId: 'test',
          action: 'test.activity',
          target: null,
          outcome: 'success',
          details: { tag },
        },
      ],
      Date.now(),
    ),
  );
  await createCheckpoint(store, signer, Date.now());
}

async function verifyRestored(
  pg: ScratchPostgres,
  dataDir: string,
  restoredPort: number,
): Promise<{ fingerprint: LedgerFingerprint; ledgerOk: boolean; auditOk: boolean }> {
  await pg.start(dataDir, restoredPort);
  for (let i = 0; i < 60 && (await pg.psql('SELECT pg_is_in_recovery()', restoredPort)).trim() !== 'f'; i += 1)
    await sleep(500);
  const store = openStore({ databaseUrl: `postgres://postgres@127.0.0.1:${restoredPort}/anfu`, sqlitePath: '' });
  const ledger = new Ledger({ store });
  try {
    return {
      fingerprint: await ledgerFingerprint(store),
      ledgerOk: (await ledger.verify()).ok,
      auditOk: (await verifyAuditLog(store, { publicKeyPem: signer.publicKeyPem })).ok,
    };
  } finally {
    await ledger.close();
    await store.close();
    await pg.stop(dataDir);
  }
}

describe(
  'PostgreSQL backups with pgBackRest',
  { skip: skipUnless(ready, 'pgbackrest and PostgreSQL binaries') },
  () => {
    let pg: ScratchPostgres;
    let setup: PgBackRestSetup;
    let store: Store;
    let ledger: Ledger;
    const kek = new Kek(randomBytes(32), 'test');
    const states: Record<string, { fingerprint: LedgerFingerprint; at: number; label?: string }> = {};

    before(async () => {
      pg = await initScratchPostgres(port);
      setup = {
        configDir: join(pg.root, 'pgbackrest'),
        stanza: 'anfu',
        repoPaths: [join(pg.root, 'repo1'), join(pg.root, 'repo2')],
        pgDataDir: pg.dataDir,
        pgPort: port,
        pgSocketDir: pg.socketDir,
        osUser: 'postgres',
        retentionFull: 2,
      };
      writePgBackRestConfig(setup, kek);
      writeFileSync(
        join(pg.dataDir, 'postgresql.conf'),
        readFileSync(join(pg.dataDir, 'postgresql.conf'), 'utf8') +
          `archive_mode = on\narchive_command = '${archiveCommandOf(setup)}'\n`,
      );
      await pg.start();
      await pg.psql('CREATE DATABASE anfu');
      store = openStore({ databaseUrl: pg.url('anfu'), sqlitePath: '' });
      await migrate(store);
      ledger = new Ledger({ store });
      await ledger.openAccount({
        kind: 'bank_settlement',
        currency: 'CNY',
        name: 'Bank',
        code: 'bank_settlement:T:CNY',
      });
      for (let i = 0; i < 3; i += 1)
        await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: `W${i}`, ownerId: `cus_${i}` });
      await createStanza(setup);
      const take = async (name: string, kind: 'full' | 'incr' | 'diff') => {
        await activity(store, ledger, name, 25);
        const info = await pgBackup(setup, kind);
        states[name] = { fingerprint: await ledgerFingerprint(store), at: Date.now(), label: info.label };
      };
      await take('full', 'full');
      await sleep(1_100);
      await activity(store, ledger, 'between', 10);
      states.between = { fingerprint: await ledgerFingerprint(store), at: Date.now() };
      await sleep(1_100);
      await take('incr', 'incr');
      await take('diff', 'diff');
      await activity(store, ledger, 'after', 5);
      await pg.psql('SELECT pg_switch_wal()');
      await pg.psql('CHECKPOINT');
    });
    after(async () => {
      await ledger?.close();
      await store?.close();
      await pg?.stop();
      await pg?.remove();
    });

    it('lists full, incremental and differential backups with their parents, in both repositories', async () => {
      const backups = await pgBackupList(setup);
      assert.deepEqual(
        backups.map((b) => b.type),
        ['full', 'incr', 'diff'],
        JSON.stringify(backups),
      );
      assert.equal(
        backups[1]?.prior,
        backups[0]?.label,
        `the incremental follows the full: ${JSON.stringify(backups)}`,
      );
      assert.equal(backups[2]?.prior, backups[0]?.label, 'the differential is relative to the full');
      for (const repo of setup.repoPaths) {
        // Each repository is written by its own run, so labels differ; each holds the three backups.
        const listed = readdirSync(join(repo, 'backup', 'anfu')).filter(
          (f) => /^\d{8}-\d{6}F/.test(f) && /[FDI]$/.test(f),
        );
        assert.deepEqual(listed.map((f) => f.at(-1)).sort(), ['D', 'F', 'I'], `${repo} holds ${listed.join(', ')}`);
      }
    });

    it(
      'point in time: a restore between two backups holds exactly the ledger of that moment, and verifies',
      { timeout: 300_000 },
      async () => {
        const between = states.between;
        assert.ok(between);
        const into = join(pg.root, 'restored-pitr');
        await pgRestore(setup, { at: between.at }, into, Date.now());
        const restored = await verifyRestored(pg, into, port + 1);
        assert.deepEqual(restored.fingerprint, between.fingerprint);
        assert.equal(restored.ledgerOk, true);
        assert.equal(restored.auditOk, true);
      },
    );

    it('a restore to a backup holds the ledger at that backup', { timeout: 300_000 }, async () => {
      const diff = states.diff;
      assert.ok(diff?.label);
      const into = join(pg.root, 'restored-diff');
      await pgRestore(setup, { label: diff.label }, into, Date.now());
      const restored = await verifyRestored(pg, into, port + 2);
      assert.deepEqual(restored.fingerprint, diff.fingerprint);
      assert.equal(restored.ledgerOk && restored.auditOk, true);
    });

    it('the future and a time before the first backup are refused', async () => {
      for (const at of [Date.now() + 3_600_000, (states.full?.at ?? 0) - 3_600_000]) {
        await assert.rejects(
          pgRestore(setup, { at }, join(pg.root, `never-${at}`), Date.now()),
          (e: unknown) => e instanceof BackupError && e.code === 'backup_not_found',
        );
      }
    });

    it('repository damage is reported although pgbackrest verify exits 0', { timeout: 300_000 }, async () => {
      assert.deepEqual(await pgVerify(setup), [], 'a healthy repository has no problem');
      const label = states.incr?.label ?? '';
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const f of readdirSync(dir)) {
          const p = join(dir, f);
          if (statSync(p).isDirectory()) walk(p);
          else if (statSync(p).size > 64) files.push(p);
        }
      };
      walk(join(setup.repoPaths[0] ?? '', 'backup', 'anfu', label, 'pg_data'));
      const victim = files[0] ?? '';
      const bytes = readFileSync(victim);
      bytes[40] = (bytes[40] ?? 0) ^ 0xff;
      writeFileSync(victim, bytes);
      const problems = await pgVerify(setup);
      assert.ok(problems.length > 0, 'the altered file is reported');
    });

    /** Queues a restore test, runs it through the schedule, and returns its job and audit entry. */
    async function scheduledTest(scratchRoot: string) {
      const runner = pgBackRestRunner(setup, {
        store,
        database: 'anfu',
        publicKeyPem: async () => signer.publicKeyPem,
        scratchRoot,
      });
      const intervals = { full: 0, incremental: 0, differential: 0, test: 0 };
      const errors: unknown[] = [];
      const schedule = startBackupSchedule(store, runner, {
        intervals,
        node: 'test-node',
        clock: Date.now,
        tickMs: 3_600_000,
        onError: (e) => errors.push(e),
      });
      try {
        await queueBackupJob(store, 'test', 'operator', Date.now());
        await schedule.tick();
      } finally {
        await schedule.stop();
      }
      assert.deepEqual(errors, []);
      const [job] = await listBackupJobs(store, 1);
      const audit = await latestEntryOf(store, ['backup.test']);
      return { job, audit, runner };
    }

    it(
      'backup test: the newest backup, taken while payments went on, restores into a scratch cluster and verifies',
      { timeout: 600_000 },
      async () => {
        const publicKeyPem = async () => signer.publicKeyPem;
        const runner = pgBackRestRunner(setup, { store, database: 'anfu', publicKeyPem });
        // Payments keep arriving while the backup and its restore point are taken.
        const [taken] = await Promise.all([
          runner.backup('incremental', () => {}),
          activity(store, ledger, 'during', 40),
        ]);
        const scratchRoot = join(pg.root, 'scratch-ok');
        mkdirSync(scratchRoot);
        const { job, audit } = await scheduledTest(scratchRoot);
        assert.equal(job?.kind, 'test');
        assert.equal(job?.state, 'succeeded', job?.detail ?? '');
        assert.equal(job?.backupId, taken.backupId);
        const detail = JSON.parse(job?.detail ?? '{}') as Record<string, unknown>;
        assert.equal(detail.restore, 'pgbackrest restore into a scratch cluster');
        assert.equal(detail.restorePoint, `anfu-${taken.backupId}`);
        assert.equal(detail.fingerprintEqual, true);
        assert.equal(detail.ledgerOk, true);
        assert.equal(detail.auditOk, true);
        assert.deepEqual(detail.problems, []);
        assert.equal(audit?.outcome, 'success');
        assert.deepEqual(readdirSync(scratchRoot), [], 'the scratch data directory is removed');
        // The restore point recorded with the backup is the fingerprint of a moment, not of now.
        const recorded = (await pgBackupList(setup)).at(-1)?.annotation['anfu-fingerprint'] ?? '{}';
        assert.notDeepEqual(JSON.parse(recorded), await ledgerFingerprint(store));
      },
    );

    it('backup test: a damaged file of the newest backup fails the test, named', { timeout: 600_000 }, async () => {
      const latest = (await pgBackupList(setup)).at(-1);
      assert.ok(latest);
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const f of readdirSync(dir)) {
          const p = join(dir, f);
          if (statSync(p).isDirectory()) walk(p);
          else if (statSync(p).size > 64) files.push(p);
        }
      };
      walk(join(setup.repoPaths[0] ?? '', 'backup', 'anfu', latest.label, 'pg_data'));
      const victim = files.find((f) => f.includes('/base/')) ?? files[0] ?? '';
      const bytes = readFileSync(victim);
      bytes[40] = (bytes[40] ?? 0) ^ 0xff;
      writeFileSync(victim, bytes);
      const scratchRoot = join(pg.root, 'scratch-bad');
      mkdirSync(scratchRoot);
      const { job, audit } = await scheduledTest(scratchRoot);
      assert.equal(job?.state, 'failed');
      const detail = JSON.parse(job?.detail ?? '{}') as { problems: string[] };
      const name = victim.slice(victim.indexOf('pg_data/')).replace(/\.gz$/, '');
      assert.ok(detail.problems.join(' ').includes(name.slice('pg_data/'.length)), `${name} in ${job?.detail ?? ''}`);
      assert.equal(audit?.outcome, 'failure');
      assert.deepEqual(readdirSync(scratchRoot), [], 'nothing is left behind');
    });
  },
);
