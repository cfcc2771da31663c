/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's command line */
// `anfu backup full|incremental|differential|list|test|prune` and `anfu restore`. Every backup,
// restore test and restore is recorded in the audit log of the live database.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendAudit, fileAuditSigner } from '../audit/index.ts';
import { loadConfig, type Config } from '../config.ts';
import { cryptoProfile, loadKek } from '../crypto/index.ts';
import { openStore } from '../store/index.ts';
import { postgresBackup, postgresRestore } from './backup-postgres.ts';
import {
  BackupError, backupKinds, directoryTarget, loadCatalog, pruneBackups, restoreBackup, takeBackup, testRestore,
  type BackupContext, type BackupKind, type BackupTarget, type RestorePoint, type RestoreReport,
} from '../backup/index.ts';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

export const backupUsage = `usage:
  anfu backup full|incremental|differential [--dir DIR] [--second-dir DIR]
  anfu backup list|test [--dir DIR] [--public-key PEM]
  anfu backup prune --keep-full N [--dir DIR] [--second-dir DIR]
  anfu restore --into NEW_DB_FILE [--to ISO_TIME|MILLISECONDS|BACKUP_ID] [--dir DIR] [--public-key PEM]
  on PostgreSQL (pgBackRest; ANFU_PG_DATA_DIR names the data directory):
  anfu backup setup|check|full|incremental|differential|list|verify [--dir DIR] [--second-dir DIR]
  anfu restore --into NEW_DATA_DIR [--to ISO_TIME|LABEL]
  (--data-dir DIR as for every command; DIR defaults to DATA_DIR/backups)`;

const options = {
  dir: { type: 'string' }, 'second-dir': { type: 'string' }, 'keep-full': { type: 'string' }, into: { type: 'string' },
  to: { type: 'string' }, 'public-key': { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>>['values'];

function contextOf(config: Config, values: Values): BackupContext {
  const targets: [BackupTarget, ...BackupTarget[]] = [directoryTarget('primary', values.dir ?? join(config.dataDir, 'backups'))];
  if (values['second-dir'] !== undefined) targets.push(directoryTarget('second', values['second-dir']));
  const interactive = process.stderr.isTTY;
  return {
    sqlitePath: config.sqlitePath, kek: loadKek(config), profile: cryptoProfile(config.cryptoProfile), targets,
    clock: Date.now, randomSuffix: () => randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6),
    ...(interactive ? { progress: (step: string, done: number, total: number) => process.stderr.write(`\r${step} ${done}/${total}   `) } : {}),
  };
}

async function audited(config: Config, action: string, ok: boolean, details: Record<string, unknown>): Promise<void> {
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  try {
    await store.transaction((tx) => appendAudit(tx, [{
      actorType: 'system', actorId: 'cli', action, target: typeof details.backupId === 'string' ? details.backupId : null,
      outcome: ok ? 'success' : 'failure', details,
    }], Date.now()));
  } finally {
    await store.close();
  }
}

function restorePoint(to: string | undefined): RestorePoint {
  if (to === undefined) return { latest: true };
  if (/^bk_[0-9a-z_]+$/.test(to)) return { backupId: to };
  const at = /^\d+$/.test(to) ? Number(to) : Date.parse(to);
  if (!Number.isFinite(at)) throw new BackupError('backup_not_found', `--to ${JSON.stringify(to)} is neither a time nor a backup id`);
  return { at };
}

function printRestore(report: RestoreReport): void {
  print(JSON.stringify({
    ok: report.ok, backupId: report.backupId, chain: report.chain, pagesApplied: report.pagesApplied, integrity: report.integrity,
    fingerprintEqual: report.fingerprint.equal, ledgerOk: report.ledger.ok, auditOk: report.audit?.ok ?? 'not checked (no --public-key)',
    problems: report.problems,
  }, null, 2));
}

function publicKeyOf(config: Config, values: Values): string {
  return values['public-key'] !== undefined ? readFileSync(values['public-key'], 'utf8') : fileAuditSigner(config.dataDir, config.cryptoProfile).publicKeyPem;
}

async function backupSubcommand(config: Config, action: string, values: Values): Promise<number> {
  if (config.databaseUrl !== undefined) {
    const code = await postgresBackup(config, action, values);
    if (code === 2) print(backupUsage);
    return code;
  }
  const ctx = contextOf(config, values);
  if (backupKinds.includes(action as BackupKind)) {
    const manifest = await takeBackup(ctx, action as BackupKind);
    await audited(config, `backup.${action}`, true, { backupId: manifest.id, pages: manifest.pagesWritten, bytes: manifest.data.bytes });
    print(JSON.stringify({ id: manifest.id, kind: manifest.kind, parent: manifest.parent?.id ?? null, pageCount: manifest.pageCount,
      pagesWritten: manifest.pagesWritten, bytes: manifest.data.bytes, fingerprint: manifest.fingerprint }, null, 2));
    return 0;
  }
  if (action === 'list') {
    for (const m of loadCatalog(ctx.targets[0], ctx.kek).manifests) {
      print(`${m.id}  ${m.kind.padEnd(12)} ${new Date(m.createdAt).toISOString()}  pages ${m.pagesWritten}/${m.pageCount}  parent ${m.parent?.id ?? '-'}`);
    }
    return 0;
  }
  if (action === 'test') {
    const report = await testRestore(ctx, publicKeyOf(config, values));
    await audited(config, 'backup.test', report.ok, { backupId: report.backupId, chain: report.chain.length, problems: report.problems });
    printRestore(report);
    return report.ok ? 0 : 1;
  }
  if (action === 'prune') {
    const keep = Number(values['keep-full'] ?? Number.NaN);
    if (!Number.isSafeInteger(keep) || keep < 1) throw new BackupError('backup_not_found', '--keep-full N (N ≥ 1) is required');
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
    if (command === 'backup') return await backupSubcommand(config, positionals[0] ?? '', values);
    if (values.into === undefined) {
      console.error(backupUsage);
      return 2;
    }
    if (config.databaseUrl !== undefined) return await postgresRestore(config, values);
    const report = await restoreBackup(contextOf(config, values), restorePoint(values.to), values.into, publicKeyOf(config, values));
    await audited(config, 'backup.restore', report.ok, { backupId: report.backupId, chain: report.chain.length, problems: report.problems });
    printRestore(report);
    return report.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    console.error(`anfu: ${error.code}: ${error.detail ?? error.message}`);
    return 1;
  }
}
