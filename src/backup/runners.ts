// The two BackupRunners the schedule drives: SQLite page archives (take-backup, test-restore) and
// pgBackRest (full/diff/incr; its `verify` stands in for a restore test, which on PostgreSQL needs a
// scratch cluster: docs/OPERATIONS.md says how to run one by hand).
import { pgBackup, pgVerify, type PgBackRestSetup, type PgBackupKind } from './pgbackrest.ts';
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

export function pgBackRestRunner(setup: PgBackRestSetup): BackupRunner {
  return {
    async backup(kind, progress) {
      progress('pgbackrest', 0, 1);
      const info = await pgBackup(setup, pgKinds[kind] ?? 'incr');
      progress('pgbackrest', 1, 1);
      return { ok: true, backupId: info.label, detail: { kind: info.type } };
    },
    async test(progress) {
      progress('pgbackrest verify', 0, 1);
      const problems = await pgVerify(setup);
      progress('pgbackrest verify', 1, 1);
      return {
        ok: problems.length === 0,
        backupId: null,
        detail: { verify: 'pgbackrest verify', problems: problems.slice(0, 20) },
      };
    },
  };
}
