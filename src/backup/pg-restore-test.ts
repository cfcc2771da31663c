/* eslint-disable security/detect-non-literal-fs-filename -- the scratch directory is our own mkdtemp */
// "Test recovery" (guideline §8.3) on PostgreSQL: pgBackRest restores the newest backup into a scratch
// data directory, replaying WAL to the named restore point Anfu made right after the backup; a
// temporary PostgreSQL is started on it (a free loopback port, reachable only through a socket in the
// scratch directory); the ledger and the audit log (against its signed checkpoints) are verified and
// the ledger fingerprint compared with the one recorded with the backup; then it is stopped and removed.
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyAuditLog } from '../audit/index.ts';
import { Ledger } from '../ledger/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { BackupError } from './errors.ts';
import { ledgerFingerprint, sameFingerprint, type LedgerFingerprint } from './fingerprint.ts';
import { asDatabaseUser, freeLoopbackPort, startCluster, stopCluster } from './pg-cluster.ts';
import {
  pgbackrest,
  pgBackupList,
  pgRestore,
  pgVerify,
  type PgBackRestSetup,
  type PgBackupInfo,
} from './pgbackrest.ts';

export const restorePointAnnotation = 'anfu-restore-point';
export const fingerprintAnnotation = 'anfu-fingerprint';

/**
 * After a backup: with writers to the balances, the journal and the audit head held off (SHARE lock),
 * the ledger fingerprint is read and a named restore point written to the WAL, so a restore to that
 * name holds exactly that fingerprint. The WAL is switched and archived (`pgbackrest check`), and both
 * are kept with the backup as pgBackRest annotations.
 */
export async function markPgBackup(setup: PgBackRestSetup, live: Store, label: string): Promise<LedgerFingerprint> {
  const name = `anfu-${label}`;
  const fingerprint = await live.transaction(async (tx) => {
    await tx.run('LOCK TABLE ledger_accounts, ledger_transfers, audit_head IN SHARE MODE');
    const found = await ledgerFingerprint(tx);
    // Another session (the database's OS user): Anfu's role need not be allowed restore points.
    await asDatabaseUser(setup.osUser, 'psql', [
      '-h',
      setup.pgSocketDir,
      '-p',
      String(setup.pgPort),
      '-d',
      'postgres',
      '-XAtc',
      `SELECT pg_create_restore_point('${name}')`,
    ]);
    return found;
  });
  await pgbackrest(setup, ['check']);
  await pgbackrest(setup, [
    '--repo=1',
    `--set=${label}`,
    `--annotation=${restorePointAnnotation}=${name}`,
    `--annotation=${fingerprintAnnotation}=${JSON.stringify(fingerprint)}`,
    'annotate',
  ]);
  return fingerprint;
}

export interface PgRestoreTestReport {
  readonly ok: boolean;
  readonly backupId: string | null;
  readonly restorePoint: string | null;
  readonly fingerprintEqual: boolean;
  readonly ledgerOk: boolean;
  readonly auditOk: boolean;
  readonly problems: readonly string[];
}

export interface PgRestoreTestContext {
  readonly setup: PgBackRestSetup;
  /** The live database's name; the restored cluster holds it under the same name. */
  readonly database: string;
  readonly publicKeyPem: string;
  /** Where the scratch data directory is made (default: the OS temporary directory). */
  readonly scratchRoot?: string;
  readonly progress?: (step: string, done: number, total: number) => void;
}

function expectedOf(backup: PgBackupInfo): LedgerFingerprint | undefined {
  const text = backup.annotation[fingerprintAnnotation];
  return text === undefined ? undefined : (JSON.parse(text) as LedgerFingerprint);
}

function logTail(path: string): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
}

async function promoted(store: Store): Promise<void> {
  for (let i = 0; i < 240; i += 1) {
    const row = await store.get('SELECT pg_is_in_recovery() AS r').catch(() => undefined);
    if (row !== undefined && row.r === false) return;
    await sleep(500);
  }
  throw new BackupError('backup_chain_broken', 'the restored cluster did not finish recovery within 120 s');
}

async function verifyRestored(
  ctx: PgRestoreTestContext,
  url: string,
  expected: LedgerFingerprint | undefined,
  problems: string[],
): Promise<{ fingerprintEqual: boolean; ledgerOk: boolean; auditOk: boolean }> {
  const store = openStore({ databaseUrl: url, sqlitePath: '' });
  const ledger = new Ledger({ store });
  try {
    await promoted(store);
    ctx.progress?.('ledger verify', 2, 5);
    const ledgerReport = await ledger.verify();
    if (!ledgerReport.ok) problems.push(`ledger verify: ${JSON.stringify(ledgerReport).slice(0, 500)}`);
    ctx.progress?.('audit verify', 3, 5);
    const audit = await verifyAuditLog(store, { publicKeyPem: ctx.publicKeyPem });
    if (!audit.ok) problems.push(`audit verify: ${JSON.stringify(audit).slice(0, 500)}`);
    ctx.progress?.('fingerprint', 4, 5);
    const found = await ledgerFingerprint(store);
    const fingerprintEqual = expected !== undefined && sameFingerprint(expected, found);
    if (expected === undefined) problems.push('no fingerprint was recorded with the backup');
    else if (!fingerprintEqual)
      problems.push(`fingerprint differs: recorded ${JSON.stringify(expected)}, restored ${JSON.stringify(found)}`);
    return { fingerprintEqual, ledgerOk: ledgerReport.ok, auditOk: audit.ok };
  } finally {
    await ledger.close();
    await store.close();
  }
}

/** Restores, starts, verifies, stops and removes; a failure anywhere is a problem in the report. */
export async function pgRestoreTest(ctx: PgRestoreTestContext): Promise<PgRestoreTestReport> {
  const { setup } = ctx;
  const latest = (await pgBackupList(setup)).at(-1);
  if (latest === undefined) throw new BackupError('backup_not_found', 'the pgBackRest repository holds no backup');
  const restorePoint = latest.annotation[restorePointAnnotation];
  const scratch = mkdtempSync(join(ctx.scratchRoot ?? tmpdir(), 'anfu-pg-restore-test-'));
  const owner = statSync(setup.pgDataDir);
  chownSync(scratch, owner.uid, owner.gid);
  chmodSync(scratch, 0o700);
  const dataDir = join(scratch, 'data');
  const problems: string[] = [];
  let result = { fingerprintEqual: false, ledgerOk: false, auditOk: false };
  let started = false;
  try {
    ctx.progress?.('pgbackrest restore', 0, 5);
    const point = restorePoint === undefined ? { label: latest.label } : { label: latest.label, restorePoint };
    await pgRestore(setup, point, dataDir, Date.now()).catch(async (error: unknown) => {
      // pgBackRest's restore says what went wrong, not in which file: its verify names the file.
      const named = await pgVerify(setup).catch(() => []);
      throw new BackupError(
        'backup_chain_broken',
        [error instanceof BackupError ? (error.detail ?? error.message) : String(error), ...named].join('; '),
      );
    });
    ctx.progress?.('start scratch cluster', 1, 5);
    // Only the socket in the 0700 scratch directory lets anyone in, whatever the live pg_hba.conf says.
    const hba = join(scratch, 'pg_hba.conf');
    writeFileSync(hba, 'local all all trust\n');
    writeFileSync(join(scratch, 'pg_ident.conf'), '');
    if (!existsSync(join(dataDir, 'postgresql.conf'))) writeFileSync(join(dataDir, 'postgresql.conf'), '');
    for (const f of [hba, join(scratch, 'pg_ident.conf'), join(dataDir, 'postgresql.conf')])
      chownSync(f, owner.uid, owner.gid);
    const port = await freeLoopbackPort();
    const logFile = join(scratch, 'postgres.log');
    await startCluster({
      osUser: setup.osUser,
      dataDir,
      port,
      socketDir: scratch,
      logFile,
      settings: {
        listen_addresses: '127.0.0.1',
        hba_file: hba,
        ident_file: join(scratch, 'pg_ident.conf'),
        ssl: 'off',
        archive_mode: 'off',
        logging_collector: 'off',
      },
    }).catch((error: unknown) => {
      const why = logTail(logFile) || String(error);
      throw new BackupError('backup_chain_broken', `the restored cluster did not start: ${why}`);
    });
    started = true;
    const url = `postgres://postgres@localhost:${port}/${ctx.database}?host=${encodeURIComponent(scratch)}`;
    result = await verifyRestored(ctx, url, expectedOf(latest), problems);
    ctx.progress?.('done', 5, 5);
  } catch (error) {
    problems.push(error instanceof BackupError ? (error.detail ?? error.message) : String(error));
  } finally {
    if (started) await stopCluster(setup.osUser, dataDir);
    rmSync(scratch, { recursive: true, force: true });
  }
  return { ok: problems.length === 0, backupId: latest.label, restorePoint: restorePoint ?? null, ...result, problems };
}
