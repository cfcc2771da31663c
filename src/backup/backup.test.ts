// Backups of the SQLite store: full, incremental and differential archives restore to exactly the
// state they were taken at (the ledger fingerprint equal, the ledger and the audit log verifying),
// point-in-time picks the right backup, and every kind of damage is named and refused: an altered,
// truncated or missing archive, a manifest under another KEK, a broken chain, a killed backup.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { appendAudit, createCheckpoint, ephemeralAuditSigner, type AuditSigner } from '../audit/index.ts';
import { cryptoProfile, Kek, type ProfileName } from '../crypto/index.ts';
import { Ledger } from '../ledger/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import {
  BackupError,
  directoryTarget,
  ledgerFingerprint,
  loadCatalog,
  pruneBackups,
  restoreBackup,
  takeBackup,
  type BackupContext,
  type BackupKind,
  type BackupManifest,
  type LedgerFingerprint,
} from './index.ts';

interface Live {
  dir: string;
  store: Store;
  ledger: Ledger;
  signer: AuditSigner;
  bank: string;
  wallets: string[];
  moved: number;
}

async function openLive(profile: ProfileName): Promise<Live> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-backup-test-'));
  const store = openStore({ sqlitePath: join(dir, 'anfu.db'), databaseUrl: undefined });
  await migrate(store);
  const ledger = new Ledger({ store });
  const bank = await ledger.openAccount({
    kind: 'bank_settlement',
    currency: 'CNY',
    name: 'Bank',
    code: 'bank_settlement:T:CNY',
  });
  const wallets: string[] = [];
  for (let i = 0; i < 4; i += 1)
    wallets.push(
      (await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: `W${i}`, ownerId: `cus_${i}` })).id,
    );
  return { dir, store, ledger, signer: ephemeralAuditSigner(profile), bank: bank.id, wallets, moved: 0 };
}

/** Moves money (journal rows, balance updates) and writes audit entries and a signed checkpoint. */
async function activity(live: Live, transfers: number): Promise<void> {
  for (let i = 0; i < transfers; i += 1) {
    const credit = live.wallets[(live.moved + i) % live.wallets.length] ?? '';
    const outcome = await live.ledger.submit({
      kind: 'single',
      key: `t-${live.moved + i}`,
      debitAccountId: live.bank,
      creditAccountId: credit,
      amount: BigInt(100 + i),
      currency: 'CNY',
    });
    assert.ok(outcome.ok);
  }
  live.moved += transfers;
  await live.store.transaction((tx) =>
    appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId: 'test',
          action: 'test.activity',
          target: null,
          outcome: 'success',
          details: { transfers },
        },
      ],
      Date.now(),
    ),
  );
  await createCheckpoint(live.store, live.signer, Date.now());
}

function fingerprintOf(live: Live): Promise<LedgerFingerprint> {
  return ledgerFingerprint(live.store);
}

let clockMs = Date.parse('2026-12-01T00:00:00Z');
function contextFor(live: Live, kek: Kek, profile: ProfileName, second = false): BackupContext {
  const primary = directoryTarget('primary', join(live.dir, 'backups'));
  return {
    sqlitePath: join(live.dir, 'anfu.db'),
    kek,
    profile: cryptoProfile(profile),
    targets: second ? [primary, directoryTarget('second', join(live.dir, 'backups-2'))] : [primary],
    clock: () => (clockMs += 60_000),
    randomSuffix: () => randomBytes(3).toString('hex'),
  };
}

async function assertRefused(work: Promise<unknown>, code: string, mentions: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof BackupError, String(error));
    assert.equal(error.code, code);
    assert.ok((error.detail ?? '').includes(mentions), `${error.detail ?? ''} should name ${mentions}`);
    return true;
  });
}

for (const profile of ['intl', 'gm'] as const) {
  describe(`SQLite backups under the ${profile} profile`, () => {
    let live: Live;
    const kek = new Kek(randomBytes(32), 'test');
    const taken: Array<{ manifest: BackupManifest; state: LedgerFingerprint }> = [];

    before(async () => {
      live = await openLive(profile);
      const ctx = contextFor(live, kek, profile, true);
      const plan: BackupKind[] = ['full', 'incremental', 'incremental', 'differential', 'incremental'];
      for (const kind of plan) {
        await activity(live, 40);
        const manifest = await takeBackup(ctx, kind);
        taken.push({ manifest, state: await fingerprintOf(live) });
      }
      await activity(live, 10);
    });
    after(async () => {
      await live.ledger.close();
      await live.store.close();
      rmSync(live.dir, { recursive: true, force: true });
    });

    it('each backup holds what its kind promises, and links to its parent and to the one before', () => {
      const [full, inc1, inc2, diff, inc3] = taken.map((t) => t.manifest);
      assert.ok(full && inc1 && inc2 && diff && inc3);
      assert.equal(full.pagesWritten, full.pageCount);
      assert.equal(inc1.parent?.id, full.id);
      assert.equal(inc2.parent?.id, inc1.id);
      assert.equal(diff.parent?.id, full.id, 'a differential is relative to the last full');
      assert.equal(inc3.parent?.id, diff.id, 'an incremental is relative to the last backup of any kind');
      assert.equal(inc3.previous?.id, diff.id);
      assert.equal(full.format, 'anfu-backup-manifest/2');
      assert.equal(full.rowsWritten, undefined, 'a full holds pages');
      assert.ok(full.tracking !== undefined && inc1.tracking !== undefined);
      assert.equal(inc1.pagesWritten, 0, 'an incremental holds changed rows, not pages');
      // 40 transfers: 40 journal rows, 2 changed balances each at most, plus audit rows and checkpoints.
      assert.ok((inc1.rowsWritten ?? 0) >= 40 && (inc1.rowsWritten ?? 0) < 200, `rows ${String(inc1.rowsWritten)}`);
      assert.ok(BigInt(inc1.tracking.changeSeq) > BigInt(full.tracking.changeSeq), 'the change log moved on');
      assert.ok(
        (diff.rowsWritten ?? 0) > (inc2.rowsWritten ?? 0),
        'a differential holds the changes of both incrementals since the full and its own',
      );
    });

    it('restoring each backup gives exactly the state it was taken at, and it verifies', async () => {
      for (const { manifest, state } of taken) {
        const into = join(live.dir, `restored-${manifest.id}.db`);
        const report = await restoreBackup(
          contextFor(live, kek, profile),
          { backupId: manifest.id },
          into,
          live.signer.publicKeyPem,
        );
        assert.deepEqual(report.problems, [], manifest.id);
        assert.equal(report.ok, true);
        assert.deepEqual(
          report.fingerprint.found,
          state,
          `${manifest.id} restores the balances, journal and audit head of its time`,
        );
        assert.equal(report.ledger.ok, true);
        assert.equal(report.audit?.ok, true);
        assert.ok(existsSync(into));
        const db = new Database(into, { readonly: true });
        const rows = db.prepare('SELECT COUNT(*) AS n FROM ledger_transfers').get() as { n: number };
        db.close();
        assert.equal(String(rows.n), state.lastJournalSeq);
      }
    });

    it('point in time: the newest backup at or before it; the future or before the first full refused', async () => {
      const second = taken[1]?.manifest;
      const third = taken[2]?.manifest;
      assert.ok(second && third);
      const ctx = contextFor(live, kek, profile);
      const between = await restoreBackup(
        ctx,
        { at: second.createdAt + 1 },
        join(live.dir, 'pitr.db'),
        live.signer.publicKeyPem,
      );
      assert.equal(between.backupId, second.id);
      await assertRefused(
        restoreBackup(ctx, { at: Date.now() + 3_600_000 }, join(live.dir, 'future.db')),
        'backup_not_found',
        'future',
      );
      await assertRefused(
        restoreBackup(ctx, { at: (taken[0]?.manifest.createdAt ?? 0) - 1 }, join(live.dir, 'early.db')),
        'backup_not_found',
        'no backup',
      );
      assert.equal(existsSync(join(live.dir, 'future.db')), false);
    });

    it('a restore never writes over an existing file (the live database is untouched)', async () => {
      const before = readFileSync(join(live.dir, 'anfu.db'));
      await assertRefused(
        restoreBackup(contextFor(live, kek, profile), { latest: true }, join(live.dir, 'anfu.db')),
        'backup_target_unusable',
        'exists',
      );
      assert.ok(readFileSync(join(live.dir, 'anfu.db')).equals(before));
    });

    it('a manifest under another KEK, or altered, is refused and named', async () => {
      const otherKek = new Kek(randomBytes(32), 'other');
      await assertRefused(
        restoreBackup(contextFor(live, otherKek, profile), { latest: true }, join(live.dir, 'other.db')),
        'backup_manifest_invalid',
        'not authenticated',
      );
      const dir = join(live.dir, 'altered');
      const copy = directoryTarget('copy', dir);
      const primary = directoryTarget('primary', join(live.dir, 'backups'));
      for (const f of primary.list()) copy.copyFrom(primary, f);
      const full = taken[0]?.manifest;
      assert.ok(full);
      const manifestPath = join(dir, `${full.id}.manifest.json`);
      writeFileSync(
        manifestPath,
        readFileSync(manifestPath, 'utf8').replace(
          `"pageCount": ${full.pageCount}`,
          `"pageCount": ${full.pageCount + 1}`,
        ),
      );
      assert.throws(
        () => loadCatalog(copy, kek),
        (e: unknown) =>
          e instanceof BackupError && e.code === 'backup_manifest_invalid' && (e.detail ?? '').includes(full.id),
      );
    });
  });
}

describe('damaged chains', () => {
  let live: Live;
  const kek = new Kek(randomBytes(32), 'test');
  const ids: string[] = [];

  before(async () => {
    live = await openLive('intl');
    const ctx = contextFor(live, kek, 'intl', true);
    for (const kind of ['full', 'incremental', 'incremental'] as const) {
      await activity(live, 30);
      ids.push((await takeBackup(ctx, kind)).id);
    }
  });
  after(async () => {
    await live.ledger.close();
    await live.store.close();
    rmSync(live.dir, { recursive: true, force: true });
  });

  it('an archive altered on the primary target is read from the second; altered on both, it is named', async () => {
    const middle = ids[1] ?? '';
    const flip = (path: string) => {
      const bytes = readFileSync(path);
      bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
    };
    flip(join(live.dir, 'backups', `${middle}.data`));
    const healed = await restoreBackup(
      contextFor(live, kek, 'intl', true),
      { latest: true },
      join(live.dir, 'healed.db'),
      live.signer.publicKeyPem,
    );
    assert.equal(healed.ok, true, 'the intact copy on the second target was used');
    flip(join(live.dir, 'backups-2', `${middle}.data`));
    await assertRefused(
      restoreBackup(contextFor(live, kek, 'intl', true), { latest: true }, join(live.dir, 'broken.db')),
      'backup_archive_corrupt',
      middle,
    );
    assert.equal(existsSync(join(live.dir, 'broken.db')), false, 'nothing half-restored under the requested name');
  });

  it('a truncated archive is named', async () => {
    const first = ids[0] ?? '';
    for (const dir of ['backups', 'backups-2']) truncateSync(join(live.dir, dir, `${first}.data`), 100);
    await assertRefused(
      restoreBackup(contextFor(live, kek, 'intl', true), { backupId: first }, join(live.dir, 'cut.db')),
      'backup_archive_corrupt',
      first,
    );
  });

  it('a backup missing from the middle of the chain is named', async () => {
    const middle = ids[1] ?? '';
    rmSync(join(live.dir, 'backups', `${middle}.manifest.json`));
    await assertRefused(
      restoreBackup(contextFor(live, kek, 'intl'), { latest: true }, join(live.dir, 'gap.db')),
      'backup_chain_broken',
      middle,
    );
  });

  it('an unusable target is refused with a clear error', () => {
    const file = join(live.dir, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(
      () => directoryTarget('bad', join(file, 'sub')),
      (e: unknown) => e instanceof BackupError && e.code === 'backup_target_unusable',
    );
  });
});

describe('a backup killed half-way', () => {
  it(
    'leaves no archive that claims to be complete; the next backup cleans up and succeeds',
    { timeout: 60_000 },
    async () => {
      const live = await openLive('intl');
      try {
        await activity(live, 200);
        const kekBytes = randomBytes(32);
        const kek = new Kek(kekBytes, 'test');
        const ctx = contextFor(live, kek, 'intl');
        await takeBackup(ctx, 'full');
        const worker = fork(join(import.meta.dirname, 'testing', 'killed-backup-worker.ts'), [], {
          execArgv: ['--import', 'tsx'],
          env: { ...process.env, DIR: live.dir, KEK: kekBytes.toString('base64') },
          stdio: 'ignore',
        });
        const [code, signal] = (await once(worker, 'exit')) as [number | null, string | null];
        assert.equal(signal, 'SIGKILL', `the worker exited with ${String(code)} instead of being killed`);
        const files = readdirSync(join(live.dir, 'backups'));
        assert.ok(
          files.some((f) => f.endsWith('.partial')),
          'the killed run left staged files',
        );
        assert.equal(loadCatalog(ctx.targets[0], kek).manifests.length, 1, 'no second backup claims to exist');
        const next = await takeBackup(ctx, 'incremental');
        assert.equal(readdirSync(join(live.dir, 'backups')).filter((f) => f.endsWith('.partial')).length, 0);
        const report = await restoreBackup(
          ctx,
          { backupId: next.id },
          join(live.dir, 'after-kill.db'),
          live.signer.publicKeyPem,
        );
        assert.equal(report.ok, true);
      } finally {
        await live.ledger.close();
        await live.store.close();
        rmSync(live.dir, { recursive: true, force: true });
      }
    },
  );
});

describe('retention', () => {
  it('keeps the newest N full chains and whatever follows them', async () => {
    const live = await openLive('intl');
    try {
      const kek = new Kek(randomBytes(32), 'test');
      const ctx = contextFor(live, kek, 'intl');
      const made: string[] = [];
      for (const kind of ['full', 'incremental', 'full', 'incremental', 'full'] as const) {
        await activity(live, 5);
        made.push((await takeBackup(ctx, kind)).id);
      }
      const removed = pruneBackups(ctx.targets, kek, 2);
      assert.deepEqual(removed, made.slice(0, 2));
      assert.deepEqual(
        loadCatalog(ctx.targets[0], kek).manifests.map((m) => m.id),
        made.slice(2),
      );
      const report = await restoreBackup(ctx, { latest: true }, join(live.dir, 'kept.db'), live.signer.publicKeyPem);
      assert.equal(report.ok, true, 'the kept chain still restores after pruning');
    } finally {
      await live.ledger.close();
      await live.store.close();
      rmSync(live.dir, { recursive: true, force: true });
    }
  });
});

describe('change tracking', () => {
  const tableRows = (path: string, sql: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };

  it('updates and deletes of mutable rows replay exactly; the log is pruned below each full', async () => {
    const live = await openLive('intl');
    try {
      const kek = new Kek(randomBytes(32), 'test');
      const ctx = contextFor(live, kek, 'intl');
      const jobs = 'SELECT id, state, detail FROM backup_jobs ORDER BY id';
      const add = (id: string) =>
        live.store.run(
          "INSERT INTO backup_jobs (id, kind, state, requested_by, queued_at) VALUES (?, 'test', 'queued', 'op', 1)",
          [id],
        );
      await add('bkj_a');
      await add('bkj_b');
      await add('bkj_c');
      const full = await takeBackup(ctx, 'full');
      await live.store.run("UPDATE backup_jobs SET state = 'failed', detail = 'changed' WHERE id = 'bkj_a'");
      await live.store.run("DELETE FROM backup_jobs WHERE id = 'bkj_b'");
      await add('bkj_d');
      await activity(live, 7);
      const expected = tableRows(join(live.dir, 'anfu.db'), jobs);
      const state = await fingerprintOf(live);
      const inc = await takeBackup(ctx, 'incremental');
      assert.equal(inc.kind, 'incremental');
      await live.store.run("DELETE FROM backup_jobs WHERE id = 'bkj_c'");
      const into = join(live.dir, 'restored.db');
      const report = await restoreBackup(ctx, { backupId: inc.id }, into, live.signer.publicKeyPem);
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.chain, [full.id, inc.id]);
      assert.deepEqual(report.fingerprint.found, state);
      assert.deepEqual(tableRows(into, jobs), expected, 'a changed row, a deleted row and a new row, as they were');
      assert.deepEqual(
        expected.map((r) => (r as { id: string }).id),
        ['bkj_a', 'bkj_c', 'bkj_d'],
      );
      const logged = (path: string, below: string) =>
        tableRows(path, `SELECT COUNT(*) AS n FROM backup_changes WHERE seq < ${below}`)[0] as { n: number };
      assert.ok(logged(join(live.dir, 'anfu.db'), inc.tracking?.changeSeq ?? '0').n > 0);
      const second = await takeBackup(ctx, 'full');
      assert.equal(logged(join(live.dir, 'anfu.db'), second.tracking?.changeSeq ?? '0').n, 0, 'pruned by the full');
    } finally {
      await live.ledger.close();
      await live.store.close();
      rmSync(live.dir, { recursive: true, force: true });
    }
  });

  it('an incremental after a schema change is promoted to a full, says so, and the chain goes on', async () => {
    const live = await openLive('gm');
    try {
      const kek = new Kek(randomBytes(32), 'test');
      const ctx = contextFor(live, kek, 'gm');
      await activity(live, 5);
      const full = await takeBackup(ctx, 'full');
      await live.store.run('CREATE TABLE later_feature (id TEXT PRIMARY KEY, note TEXT NOT NULL)');
      await live.store.run("INSERT INTO later_feature (id, note) VALUES ('x', 'before the promoted full')");
      const promoted = await takeBackup(ctx, 'incremental');
      assert.equal(promoted.kind, 'full');
      assert.equal(promoted.parent, null);
      assert.equal(promoted.previous?.id, full.id);
      assert.equal(promoted.promoted?.requested, 'incremental');
      assert.match(promoted.promoted?.reason ?? '', /schema changed/);
      await live.store.run("INSERT INTO later_feature (id, note) VALUES ('y', 'tracked after it')");
      await live.store.run("UPDATE later_feature SET note = 'edited' WHERE id = 'x'");
      await activity(live, 5);
      const inc = await takeBackup(ctx, 'incremental');
      assert.equal(inc.kind, 'incremental');
      assert.equal(inc.parent?.id, promoted.id);
      const into = join(live.dir, 'restored.db');
      const report = await restoreBackup(ctx, { backupId: inc.id }, into, live.signer.publicKeyPem);
      assert.deepEqual(report.problems, []);
      assert.deepEqual(tableRows(into, 'SELECT id, note FROM later_feature ORDER BY id'), [
        { id: 'x', note: 'edited' },
        { id: 'y', note: 'tracked after it' },
      ]);
    } finally {
      await live.ledger.close();
      await live.store.close();
      rmSync(live.dir, { recursive: true, force: true });
    }
  });
});

describe('unusable targets', () => {
  it('a target folder the backup may not write is refused with backup_target_unusable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anfu-backup-perm-'));
    try {
      const locked = join(dir, 'locked');
      mkdirSync(locked, { mode: 0o700 });
      const target = join(locked, 'backups');
      if (process.getuid?.() === 0) {
        // root writes anywhere: the check runs as `nobody`, for whom the folder is closed.
        const worker = fork(join(import.meta.dirname, 'testing', 'unwritable-target-worker.ts'), [], {
          execArgv: ['--import', 'tsx'],
          env: { ...process.env, TARGET: target },
          stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
          uid: 65534,
          gid: 65534,
        });
        let out = '';
        worker.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
        await once(worker, 'exit');
        assert.equal(out.trim(), 'backup_target_unusable');
      } else {
        chmodSync(locked, 0o500);
        assert.throws(
          () => directoryTarget('primary', target),
          (e: unknown) => e instanceof BackupError && e.code === 'backup_target_unusable',
        );
      }
      assert.equal(existsSync(target), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a target that fails mid-backup gives backup_target_unusable; the live database is untouched', async () => {
    const live = await openLive('intl');
    try {
      const kek = new Kek(randomBytes(32), 'test');
      const ctx = contextFor(live, kek, 'intl');
      await activity(live, 10);
      await takeBackup(ctx, 'full');
      await activity(live, 10);
      const state = await fingerprintOf(live);
      const bytes = readFileSync(join(live.dir, 'anfu.db'));
      const primary = ctx.targets[0];
      const failing = { ...primary, stagingPath: (file: string) => join(live.dir, 'unmounted', file) };
      await assertRefused(
        takeBackup({ ...ctx, targets: [failing] }, 'incremental'),
        'backup_target_unusable',
        'ENOENT',
      );
      assert.deepEqual(await fingerprintOf(live), state);
      assert.ok(readFileSync(join(live.dir, 'anfu.db')).equals(bytes), 'the live database file is unchanged');
      assert.equal(loadCatalog(primary, kek).manifests.length, 1, 'no backup claims to exist');
    } finally {
      await live.ledger.close();
      await live.store.close();
      rmSync(live.dir, { recursive: true, force: true });
    }
  });
});
