// Backups in a worker thread (how the server runs them): the event loop keeps answering while a full
// backup copies and seals every page, the archive restores and verifies, and a SIGKILL of the process
// mid-backup leaves no archive that claims to be complete.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ephemeralAuditSigner } from '../audit/index.ts';
import { cryptoProfile, Kek } from '../crypto/index.ts';
import { Ledger } from '../ledger/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import {
  directoryTarget,
  loadCatalog,
  restoreBackup,
  takeBackup,
  takeBackupInThread,
  type BackupContext,
} from './index.ts';

describe('backups in a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-backup-thread-'));
  const kekBytes = randomBytes(32);
  const kek = new Kek(kekBytes, 'test');
  const sqlitePath = join(dir, 'anfu.db');
  let store: Store;
  let ledger: Ledger;
  const request = (suffix: string) => ({
    sqlitePath,
    kekConfig: { environment: 'test' as const, dataDir: dir, kekFile: undefined, kekText: kekBytes.toString('base64') },
    profile: 'intl' as const,
    targets: [{ name: 'primary', dir: join(dir, 'backups') }],
    kind: 'full' as const,
    suffix,
  });
  const ctx = (): BackupContext => ({
    sqlitePath,
    kek,
    profile: cryptoProfile('intl'),
    targets: [directoryTarget('primary', join(dir, 'backups'))],
    clock: Date.now,
    randomSuffix: () => randomBytes(3).toString('hex'),
  });

  before(async () => {
    store = openStore({ sqlitePath, databaseUrl: undefined });
    await migrate(store);
    ledger = new Ledger({ store });
    const code = 'bank_settlement:T:CNY';
    const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'B', code });
    const wallets: string[] = [];
    for (let i = 0; i < 200; i += 1)
      wallets.push(
        (await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: `W${i}`, ownerId: `c${i}` })).id,
      );
    for (let start = 0; start < 12_000; start += 1_000) {
      const batch = [];
      for (let i = start; i < start + 1_000; i += 1)
        batch.push(
          ledger.submit({
            kind: 'single',
            key: `t-${i}`,
            debitAccountId: bank.id,
            creditAccountId: wallets[i % wallets.length] ?? '',
            amount: 1n + BigInt(i % 97),
            currency: 'CNY',
          }),
        );
      for (const outcome of await Promise.all(batch)) assert.ok(outcome.ok);
    }
    await store.run('PRAGMA wal_checkpoint(TRUNCATE)');
  });
  after(async () => {
    await ledger.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The longest the event loop was held (ms) while `work` ran. */
  async function longestStall(work: () => Promise<unknown>): Promise<number> {
    let last = performance.now();
    let longest = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    try {
      await work();
    } finally {
      clearInterval(tick);
    }
    return Math.max(longest, performance.now() - last);
  }

  const freeLoop = 'keeps the event loop free during a full backup, and the archive restores and verifies';
  it(freeLoop, { timeout: 120_000 }, async () => {
    const steps: string[] = [];
    const inline = await longestStall(() => takeBackup(ctx(), 'full'));
    let manifest;
    const threaded = await longestStall(async () => {
      manifest = await takeBackupInThread(request('thread'), (step) => steps.push(step));
    });
    assert.ok(manifest !== undefined);
    // Inline, this database holds the loop ~150 ms on a quiet machine and longer under load; the thread
    // must hold it less than half that (a timer tick's jitter, not the backup's work).
    assert.ok(
      inline > 50 && threaded < inline / 2,
      `event loop held ${threaded.toFixed(0)} ms with the thread, ${inline.toFixed(0)} ms without`,
    );
    assert.ok(steps.includes('pages'), 'progress comes back from the thread');
    const id = (manifest as { id: string }).id;
    const into = join(dir, 'restored.db');
    const report = await restoreBackup(ctx(), { backupId: id }, into, ephemeralAuditSigner('intl').publicKeyPem);
    assert.deepEqual(report.problems, []);
  });

  const killed = 'a SIGKILL mid-backup leaves no archive claiming to be complete; the next one succeeds';
  it(killed, { timeout: 120_000 }, async () => {
    const before = loadCatalog(ctx().targets[0], kek).manifests.length;
    const child = fork(join(import.meta.dirname, 'testing', 'killed-thread-backup.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, DIR: dir, KEK: kekBytes.toString('base64') },
      stdio: 'ignore',
    });
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL');
    assert.equal(loadCatalog(ctx().targets[0], kek).manifests.length, before, 'no new backup claims to exist');
    assert.ok(!readdirSync(join(dir, 'backups')).some((f) => f.includes('killed') && f.endsWith('.manifest.json')));
    const next = await takeBackupInThread(request('after'));
    assert.equal(next.kind, 'full');
    assert.equal(readdirSync(join(dir, 'backups')).filter((f) => f.endsWith('.partial')).length, 0);
  });
});
