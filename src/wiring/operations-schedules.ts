// The server's operations jobs: request latency flushed to the store for the operational reports,
// and the backup schedule (a job runs on the one node holding the backup lease). SQLite backs up
// with page archives; PostgreSQL through pgBackRest when ANFU_PG_DATA_DIR names the data directory.
import { randomBytes } from 'node:crypto';
import {
  directoryTarget,
  pgBackRestRunner,
  sqliteBackupRunner,
  startBackupSchedule,
  type BackupRunner,
  type BackupSchedule,
  type BackupTarget,
} from '../backup/index.ts';
import type { Config } from '../config.ts';
import { cryptoProfile, type Kek } from '../crypto/index.ts';
import type { LatencyRecorder } from '../reports/index.ts';
import type { Store } from '../store/index.ts';
import { databaseNameOf, postgresSetup, scratchRootOf } from '../commands/backup-postgres.ts';

export const latencyFlushIntervalMs = 5_000;

export interface OperationsSchedules {
  readonly backups: BackupSchedule | undefined;
  stop(): Promise<void>;
}

function runnerFor(
  config: Config,
  kek: Kek,
  publicKeyPem: () => Promise<string>,
  store: Store,
): BackupRunner | undefined {
  if (config.databaseUrl !== undefined) {
    const dataDir = process.env.ANFU_PG_DATA_DIR;
    if (dataDir === undefined || dataDir === '') return undefined;
    const second = config.backupSecondDir;
    return pgBackRestRunner(
      postgresSetup(config, { dir: config.backupDir, ...(second === undefined ? {} : { 'second-dir': second }) }),
      { store, database: databaseNameOf(config.databaseUrl), publicKeyPem, ...scratchRootOf() },
    );
  }
  const targets: [BackupTarget, ...BackupTarget[]] = [directoryTarget('primary', config.backupDir)];
  if (config.backupSecondDir !== undefined) targets.push(directoryTarget('second', config.backupSecondDir));
  const { environment, dataDir, kekFile } = config;
  // Backups run in a worker thread: the API keeps answering while pages are copied and sealed.
  const thread = {
    sqlitePath: config.sqlitePath,
    kekConfig: { environment, dataDir, kekFile, kekText: config.kek?.reveal() },
    profile: config.cryptoProfile,
    targets: [
      { name: 'primary', dir: config.backupDir },
      ...(config.backupSecondDir === undefined ? [] : [{ name: 'second', dir: config.backupSecondDir }]),
    ],
  };
  return sqliteBackupRunner(
    {
      sqlitePath: config.sqlitePath,
      kek,
      profile: cryptoProfile(config.cryptoProfile),
      targets,
      clock: Date.now,
      randomSuffix: () => randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6),
    },
    publicKeyPem,
    thread,
  );
}

export function startOperationsSchedules(parts: {
  config: Config;
  store: Store;
  kek: Kek;
  latency: LatencyRecorder;
  node: string;
  auditPublicKeyPem: () => Promise<string>;
  onError: (what: string, error: unknown) => void;
}): OperationsSchedules {
  const { config, store, latency } = parts;
  const flush = setInterval(() => {
    latency.flush(store).catch((error: unknown) => parts.onError('latency flush', error));
  }, latencyFlushIntervalMs);
  flush.unref();
  const runner = runnerFor(config, parts.kek, parts.auditPublicKeyPem, store);
  const backups =
    runner === undefined
      ? undefined
      : startBackupSchedule(store, runner, {
          intervals: {
            full: config.backupFullIntervalMs,
            incremental: config.backupIncrementalIntervalMs,
            differential: config.backupDifferentialIntervalMs,
            test: config.backupTestIntervalMs,
          },
          node: parts.node,
          clock: Date.now,
          onError: (error) => parts.onError('backup schedule', error),
        });
  return {
    backups,
    async stop() {
      clearInterval(flush);
      await backups?.stop();
      await latency.flush(store).catch((error: unknown) => parts.onError('latency flush', error));
    },
  };
}
