// Backups and restores (guideline §8.3); the CLI is src/commands/backup.ts.
// The SQLite store is backed up page by page: full,
// incremental and differential archives, each sealed under its own KEK-wrapped key, with a
// KEK-authenticated manifest chain; a restore rebuilds a new file and proves it. Format and
// runbook: docs/OPERATIONS.md.
export { BackupError, type BackupErrorCode } from './errors.ts';
export { backupKinds, type BackupKind, type BackupManifest } from './manifest.ts';
export { directoryTarget, type BackupTarget } from './targets.ts';
export { loadCatalog, checkManifestChain } from './catalog.ts';
export { takeBackup, backupId, type BackupContext } from './take-backup.ts';
export { restoreBackup, type RestorePoint, type RestoreReport } from './restore-backup.ts';
export { pruneBackups } from './prune-backups.ts';
export { testRestore } from './test-restore.ts';
export { ledgerFingerprint, type LedgerFingerprint } from './fingerprint.ts';
export {
  archiveCommandOf,
  createStanza,
  pgBackup,
  pgBackupList,
  pgRestore,
  pgVerify,
  writePgBackRestConfig,
  type PgBackRestSetup,
  type PgBackupInfo,
  type PgBackupKind,
  type PgRestorePoint,
} from './pgbackrest.ts';
export {
  backupJobKinds,
  backupJobById,
  listBackupJobs,
  queueBackupJob,
  jobHeartbeatStaleMs,
  type BackupJob,
  type BackupJobKind,
  type BackupJobState,
} from './jobs.ts';
export {
  startBackupSchedule,
  backupLeaseName,
  type BackupRunner,
  type BackupSchedule,
  type JobResult,
  type ScheduleOptions,
} from './schedule.ts';
export { sqliteBackupRunner, pgBackRestRunner, type PgLive } from './runners.ts';
export { markPgBackup, pgRestoreTest, type PgRestoreTestReport } from './pg-restore-test.ts';
export { takeBackupInThread, type BackupThreadRequest } from './backup-thread.ts';
