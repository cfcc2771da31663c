// The two BackupRunners the schedule drives: SQLite page archives (take-backup, test-restore) and
// pgBackRest (full/diff/incr, each followed by a restore point and fingerprint; the test restores the
// newest into a scratch cluster and verifies it: pg-restore-test.ts).
import type { Store } from '../store/index.ts';
import { markPgBackup, pgRestoreTest } from './pg-restore-test.ts';
import { pgBackup, type PgBackRestSetup, type PgBackupKind } from './pgbackrest.ts';
import type { BackupRunner } from './schedule.ts';
import { takeBackupInThread, type BackupThreadRequest } from './backup-thread.ts';
import { takeBackup, type BackupContext } from './take-backup.ts';
import { testRestore } from './test-restore.ts';

/**
 * SQLite backups; with `thread`, each backup runs in a worker thread (the server's case) so the event
 * loop keeps serving requests while pages are copied and sealed.
 */
export function sqliteBackupRunner(
  base: Omit<BackupContext, 'progress'>,
  publicKeyPem: () => Promise<string>,
  thread?: Omit<BackupThreadRequest, 'kind' | 'suffix'>,
): BackupRunner {
  return {
    async backup(kind, progress) {
      const manifest =
        thread === undefined
          ? await takeBackup({ ...base, progress }, kind)
          : await takeBackupInThread({ ...thread, kind, suffix: base.randomSuffix() }, progress);
      return {
        ok: true,
        backupId: manifest.id,
        detail: { pages: manifest.pagesWritten, pageCount: manifest.pageCount, bytes: manifest.data.bytes },
      };
    },
    async test(progress) {
      progress('restore', 0, 1);
      const report = await testRestore({ ...base, progress }, await publicKeyPem());
      progress('restore', 1, 1);
      return {
        ok: report.ok,
        backupId: report.backupId,
        detail: { chain: report.chain.length, problems: report.problems.slice(0, 20) },
      };
    },
  };
}

const pgKinds: Readonly<Record<string, PgBackupKind>> = { full: 'full', incremental: 'incr', differential: 'diff' };

export interface PgLive {
  readonly store: Store;
  /** The live database's name (the restored scratch cluster holds it under the same name). */
  readonly database: string;
  readonly publicKeyPem: () => Promise<string>;
  readonly scratchRoot?: string;
}

export function pgBackRestRunner(setup: PgBackRestSetup, live: PgLive): BackupRunner {
  return {
    async backup(kind, progress) {
      progress('pgbackrest', 0, 2);
      const info = await pgBackup(setup, pgKinds[kind] ?? 'incr');
      progress('restore point', 1, 2);
      await markPgBackup(setup, live.store, info.label);
      progress('restore point', 2, 2);
      return { ok: true, backupId: info.label, detail: { kind: info.type } };
    },
    async test(progress) {
      const report = await pgRestoreTest({
        setup,
        database: live.database,
        publicKeyPem: await live.publicKeyPem(),
        progress,
        ...(live.scratchRoot === undefined ? {} : { scratchRoot: live.scratchRoot }),
      });
      return {
        ok: report.ok,
        backupId: report.backupId,
        detail: {
          restore: 'pgbackrest restore into a scratch cluster',
          restorePoint: report.restorePoint,
          fingerprintEqual: report.fingerprintEqual,
          ledgerOk: report.ledgerOk,
          auditOk: report.auditOk,
          problems: report.problems.slice(0, 20),
        },
      };
    },
  };
}
