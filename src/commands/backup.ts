/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's command line */
// `anfu backup full|incremental|differential|list|test|prune` and `anfu restore`. Every backup,
// restore test and restore is recorded in the audit log of the live database.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendAudit, keyringAuditSigner } from '../audit/index.ts';
import { loadConfig, type Config } from '../config.ts';
import { cryptoProfile, loadKek, loadPreviousKek } from '../crypto/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { openStore } from '../store/index.ts';
import { postgresBackup, postgresRestore } from './backup-postgres.ts';
import { backupJobsCommand, queueBackupCommand } from './backup-jobs.ts';
import {
  BackupError,
  backupKinds,
  directoryTarget,
  loadCatalog,
  pruneBackups,
  restoreBackup,
  takeBackup,
  testRestore,
  type BackupContext,
  type BackupKind,
  type BackupTarget,
  type RestorePoint,
  type RestoreReport,
} from '../backup/index.ts';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

export const backupUsage = `usage:
  anfu backup full|incremental|differential [--dir DIR] [--second-dir DIR]
  anfu backup list|test [--dir DIR] [--public-key PEM]
  anfu backup prune --keep-full N [--dir DIR] [--second-dir DIR]
  anfu backup jobs [--watch]        the server's backup jobs; --watch follows progress on the terminal
  anfu backup queue full|incremental|differential|test   ask the server to run one now
  anfu restore --into NEW_DB_FILE [--to ISO_TIME|MILLISECONDS|BACKUP_ID] [--dir DIR] [--public-key PEM]
  on PostgreSQL (pgBackRest; ANFU_PG_DATA_DIR names the data directory):
  anfu backup setup|check|full|incremental|differential|list|verify|test [--dir DIR] [--second-dir DIR]
  anfu restore --into NEW_DATA_DIR [--to ISO_TIME|LABEL]
  (--data-dir DIR as for every command; DIR defaults to DATA_DIR/backups)`;

const options = {
  dir: { type: 'string' },
  'second-dir': { type: 'string' },
  'keep-full': { type: 'string' },
  into: { type: 'string' },
  to: { type: 'string' },
  'public-key': { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
>['values'];

function contextOf(config: Config, values: Values): BackupContext {
  const targets: [BackupTarget, ...BackupTarget[]] = [
    directoryTarget('primary', values.dir ?? join(config.dataDir, 'backups')),
  ];
  if (values['second-dir'] !== undefined) targets.push(directoryTarget('second', values['second-dir']));
  const interactive = process.stderr.isTTY;
  return {
    sqlitePath: config.sqlitePath,
    kek: loadKek(config),
    profile: cryptoProfile(config.cryptoProfile),
    targets,
    clock: Date.now,
    randomSuffix: () => randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6),
    ...(interactive
      ? {
          progress: (step: string, done: number, total: number) =>
            process.stderr.write(`\r${step} ${done}/${total}   `),
        }
      : {}),
  };
}

async function audited(config: Config, action: string, ok: boolean, details: Record<string, unknown>): Promise<void> {
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  try {
    await store.transaction((tx) =>
      appendAudit(
        tx,
        [
          {
            actorType: 'system',
            actorId: 'cli',
            action,
            target: typeof details.backupId === 'string' ? details.backupId : null,
            outcome: ok ? 'success' : 'failure',
            details,
          },
        ],
        Date.now(),
      ),
    );
  } finally {
    await store.close();
  }
}

function restorePoint(to: string | undefined): RestorePoint {
  if (to === undefined) return { latest: true };
  if (/^bk_[0-9a-z_]+$/.test(to)) return { backupId: to };
  const at = /^\d+$/.test(to) ? Number(to) : Date.parse(to);
  if (!Number.isFinite(at))
    throw new BackupError('backup_not_found', `--to ${JSON.stringify(to)} is neither a time nor a backup id`);
  return { at };
}

function printRestore(report: RestoreReport): void {
  print(
    JSON.stringify(
      {
        ok: report.ok,
        backupId: report.backupId,
        chain: report.chain,
        pagesApplied: report.pagesApplied,
        integrity: report.integrity,
        fingerprintEqual: report.fingerprint.equal,
        ledgerOk: report.ledger.ok,
        auditOk: report.audit?.ok ?? 'not checked (no --public-key)',
        problems: report.problems,
      },
      null,
      2,
    ),
  );
}

/** The --public-key file, or the public half of the audit signing key sealed in the live database's keyring. */
async function publicKeyOf(config: Config, values: Values): Promise<string> {
  if (values['public-key'] !== undefined) return readFileSync(values['public-key'], 'utf8');
  if (config.databaseUrl === undefined && !existsSync(config.sqlitePath)) throw new BackupError('backup_not_found', `no live database at ${config.sqlitePath} to read the audit public key from: pass --public-key`);
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  try {
    const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config), previousKek: loadPreviousKek(config), actor: 'cli' });
    return (await keyringAuditSigner(keyring, { dataDir: config.dataDir, profile: config.cryptoProfile })).publicKeyPem;
  } finally {
    await store.close();
  }
}

/** Takes a SQLite backup, audits it and prints its manifest summary. */
async function sqliteBackup(config: Config, ctx: BackupContext, kind: BackupKind): Promise<void> {
  const manifest = await takeBackup(ctx, kind);
  await audited(config, `backup.${kind}`, true, {
    backupId: manifest.id,
    kind: manifest.kind,
    pages: manifest.pagesWritten,
    rows: manifest.rowsWritten ?? null,
    bytes: manifest.data.bytes,
  });
  // An incremental that had to be a full says so, on the terminal and in the output.
  if (manifest.promoted) process.stderr.write(`taken as a full backup: ${manifest.promoted.reason}\n`);
  print(
    JSON.stringify(
      {
        id: manifest.id,
        kind: manifest.kind,
        parent: manifest.parent?.id ?? null,
        pageCount: manifest.pageCount,
        pagesWritten: manifest.pagesWritten,
        rowsWritten: manifest.rowsWritten ?? null,
        promoted: manifest.promoted ?? null,
        bytes: manifest.data.bytes,
        fingerprint: manifest.fingerprint,
      },
      null,
      2,
    ),
  );
}

async function backupSubcommand(config: Config, action: string, values: Values, rest: string[]): Promise<number> {
  if (action === 'jobs') return backupJobsCommand(config, values.watch === true);
  if (action === 'queue') return queueBackupCommand(config, rest[0]);
  if (config.databaseUrl !== undefined) {
    const code = await postgresBackup(config, action, values, {
      publicKeyPem: () => publicKeyOf(config, values),
      audited: (what, ok, details) => audited(config, what, ok, details),
    });
    if (code === 2) print(backupUsage);
    // pgBackRest runs are audited like SQLite's, so freshness shows in `anfu assess` on both stores.
    if (code === 0 && backupKinds.includes(action as BackupKind)) await audited(config, `backup.${action}`, true, {});
    return code;
  }
  const ctx = contextOf(config, values);
  if (backupKinds.includes(action as BackupKind)) {
    await sqliteBackup(config, ctx, action as BackupKind);
    return 0;
  }
  if (action === 'list') {
    for (const m of loadCatalog(ctx.targets[0], ctx.kek).manifests) {
      print(
        `${m.id}  ${m.kind.padEnd(12)} ${new Date(m.createdAt).toISOString()}  ` +
          `pages ${m.pagesWritten}/${m.pageCount}  parent ${m.parent?.id ?? '-'}`,
      );
    }
    return 0;
  }
  if (action === 'test') {
    const report = await testRestore(ctx, await publicKeyOf(config, values));
    await audited(config, 'backup.test', report.ok, {
      backupId: report.backupId,
      chain: report.chain.length,
      problems: report.problems,
    });
    printRestore(report);
    return report.ok ? 0 : 1;
  }
  if (action === 'prune') {
    const keep = Number(values['keep-full'] ?? Number.NaN);
    if (!Number.isSafeInteger(keep) || keep < 1)
      throw new BackupError('backup_not_found', '--keep-full N (N ≥ 1) is required');
    const removed = pruneBackups(ctx.targets, ctx.kek, keep);
    await audited(config, 'backup.prune', true, { removed: removed.length });
    print(JSON.stringify({ removed }, null, 2));
    return 0;
  }
  console.error(backupUsage);
  return 2;
}

/** `anfu backup …` and `anfu restore …`; a BackupError prints its code and what is wrong, exit 1. */
export async function backupCommand(command: 'backup' | 'restore', args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const config = loadConfig(process.env, values['data-dir'] === undefined ? {} : { ANFU_DATA_DIR: values['data-dir'] });
  try {
    if (command === 'backup') return await backupSubcommand(config, positionals[0] ?? '', values, positionals.slice(1));
    if (values.into === undefined) {
      console.error(backupUsage);
      return 2;
    }
    if (config.databaseUrl !== undefined) return await postgresRestore(config, values);
    const report = await restoreBackup(
      contextOf(config, values),
      restorePoint(values.to),
      values.into,
      await publicKeyOf(config, values),
    );
    await audited(config, 'backup.restore', report.ok, {
      backupId: report.backupId,
      chain: report.chain.length,
      problems: report.problems,
    });
    printRestore(report);
    return report.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    console.error(`anfu: ${error.code}: ${error.detail ?? error.message}`);
    return 1;
  }
}
