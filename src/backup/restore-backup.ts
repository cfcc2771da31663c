/* eslint-disable security/detect-non-literal-fs-filename -- the restore path is the operator's */
// Rebuilds a database from a chain of backups into a NEW file (the live database is never touched),
// then proves it: SQLite's integrity check, the journal sums to the balances and money is conserved,
// the audit log verifies against its signed checkpoints, and the ledger fingerprint equals the one
// recorded when the backup was taken. Any missing or altered archive is named; nothing half-restored
// is left under the requested name.
import { closeSync, existsSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { verifyAuditLog, type AuditVerification } from '../audit/index.ts';
import { Ledger, type VerifyReport } from '../ledger/index.ts';
import { openStore } from '../store/index.ts';
import { fileHashOf, readArchive } from './archive.ts';
import { backupAt, checkManifestChain, loadCatalog, restoreChain } from './catalog.ts';
import { decodeRecords, dropChangeTracking, installChangeTracking, replayChanges } from './change-tracking.ts';
import { BackupError } from './errors.ts';
import { ledgerFingerprint, sameFingerprint, type LedgerFingerprint } from './fingerprint.ts';
import { openArchiveKey } from './keys.ts';
import type { BackupManifest } from './manifest.ts';
import type { BackupContext } from './take-backup.ts';

export type RestorePoint = { readonly backupId: string } | { readonly at: number } | { readonly latest: true };

export interface RestoreReport {
  readonly ok: boolean;
  readonly backupId: string;
  readonly chain: readonly string[];
  readonly pagesApplied: number;
  readonly rowsApplied: number;
  readonly integrity: string;
  readonly fingerprint: {
    readonly expected: LedgerFingerprint;
    readonly found: LedgerFingerprint;
    readonly equal: boolean;
  };
  readonly ledger: VerifyReport;
  readonly audit: AuditVerification | null;
  readonly problems: readonly string[];
  /** Seconds per step (the benchmark prints them): where a slow restore spends its time. */
  readonly timings: RestoreTimings;
}

export interface RestoreTimings {
  applyFull: number;
  replayChanges: number;
  integrityCheck: number;
  ledgerVerify: number;
  auditVerify: number;
  fingerprint: number;
}

function stopwatch(): () => number {
  const started = process.hrtime.bigint();
  return () => Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1000;
}

function chosenBackup(ctx: BackupContext, point: RestorePoint): { chain: BackupManifest[]; target: BackupManifest } {
  const catalog = loadCatalog(ctx.targets[0], ctx.kek);
  checkManifestChain(catalog);
  let target: BackupManifest | undefined;
  if ('backupId' in point) target = catalog.byId(point.backupId);
  else if ('at' in point) target = backupAt(catalog, point.at, ctx.clock());
  else target = catalog.manifests.at(-1);
  if (target === undefined) throw new BackupError('backup_not_found', 'no such backup in the catalogue');
  return { chain: restoreChain(catalog, target), target };
}

/** The archive of `manifest` from the first target that holds an unaltered copy. */
function intactDataPath(ctx: BackupContext, manifest: BackupManifest): string {
  let seen = false;
  for (const target of ctx.targets) {
    const path = target.pathOf(manifest.data.name);
    if (path === undefined) continue;
    seen = true;
    if (fileHashOf(path, ctx.profile.hashAlgorithm) === manifest.data.hash) return path;
  }
  throw new BackupError(
    seen ? 'backup_archive_corrupt' : 'backup_chain_broken',
    `${manifest.id}: archive ${seen ? 'altered (hash differs on every target)' : 'missing on every target'}`,
  );
}

/** Backups that hold pages: every one of format 1, the full of format 2. */
const holdsPages = (m: BackupManifest) => m.format === 'anfu-backup-manifest/1' || m.kind === 'full';

/** Writes each backup's pages over the previous state, oldest first; returns the pages written. */
function applyPages(ctx: BackupContext, chain: readonly BackupManifest[], path: string): number {
  const fd = openSync(path, 'wx', 0o600);
  let applied = 0;
  try {
    for (const manifest of chain) {
      const key = openArchiveKey(ctx.profile, ctx.kek, manifest.id, manifest.key);
      const record = 4 + manifest.pageSize;
      let carry: Buffer = Buffer.alloc(0);
      let pages = 0;
      for (const plain of readArchive(
        intactDataPath(ctx, manifest),
        manifest.id,
        ctx.profile,
        key,
        manifest.data.chunks,
      )) {
        const bytes: Buffer = carry.length === 0 ? plain : Buffer.concat([carry, plain]);
        let offset = 0;
        for (; offset + record <= bytes.length; offset += record) {
          const pageNumber = bytes.readUInt32BE(offset);
          if (pageNumber < 1 || pageNumber > manifest.pageCount)
            throw new BackupError('backup_archive_corrupt', `${manifest.id}: page ${pageNumber} is out of range`);
          writeSync(fd, bytes, offset + 4, manifest.pageSize, (pageNumber - 1) * manifest.pageSize);
          pages += 1;
        }
        carry = bytes.subarray(offset);
      }
      if (carry.length !== 0 || pages !== manifest.pagesWritten) {
        throw new BackupError(
          'backup_archive_corrupt',
          `${manifest.id}: holds ${pages} whole pages, the manifest says ${manifest.pagesWritten}`,
        );
      }
      ftruncateSync(fd, manifest.pageCount * manifest.pageSize);
      applied += pages;
      ctx.progress?.('restore', chain.indexOf(manifest) + 1, chain.length);
    }
  } finally {
    closeSync(fd);
  }
  return applied;
}

/**
 * Replays the change records of each incremental or differential over the restored full, oldest
 * first, each in one transaction, with the tracking triggers off so the replay logs nothing of its own.
 */
function replayChain(ctx: BackupContext, members: readonly BackupManifest[], path: string): number {
  if (members.length === 0) return 0;
  const db = new Database(path, { fileMustExist: true });
  let applied = 0;
  try {
    db.defaultSafeIntegers(true);
    db.pragma('foreign_keys = OFF');
    dropChangeTracking(db);
    for (const [i, manifest] of members.entries()) {
      const key = openArchiveKey(ctx.profile, ctx.kek, manifest.id, manifest.key);
      const chunks = readArchive(intactDataPath(ctx, manifest), manifest.id, ctx.profile, key, manifest.data.chunks);
      const rows = db.transaction(() => replayChanges(db, decodeRecords(chunks, manifest.id), manifest.id))();
      if (rows !== manifest.rowsWritten)
        throw new BackupError(
          'backup_archive_corrupt',
          `${manifest.id}: holds ${rows} rows, the manifest says ${String(manifest.rowsWritten)}`,
        );
      applied += rows;
      ctx.progress?.('replay', i + 1, members.length);
    }
    installChangeTracking(db);
  } finally {
    db.close();
  }
  return applied;
}

async function verifyRestored(path: string, publicKeyPem: string | undefined, timings: RestoreTimings) {
  const db = new Database(path, { fileMustExist: true });
  let integrity: string;
  let lap = stopwatch();
  try {
    // integrity_check walks every index against its table: with SQLite's default 2 MB page cache a
    // large database is read again and again, so it gets the serving store's cache and mmap sizes.
    db.pragma('cache_size = -262144');
    db.pragma('mmap_size = 1073741824');
    integrity = String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
  timings.integrityCheck = lap();
  const store = openStore({ sqlitePath: path, databaseUrl: undefined });
  const ledger = new Ledger({ store });
  try {
    lap = stopwatch();
    const found = await ledgerFingerprint(store);
    timings.fingerprint = lap();
    lap = stopwatch();
    const ledgerReport = await ledger.verify();
    timings.ledgerVerify = lap();
    lap = stopwatch();
    const audit = publicKeyPem === undefined ? null : await verifyAuditLog(store, { publicKeyPem });
    timings.auditVerify = lap();
    return { integrity, found, ledgerReport, audit };
  } finally {
    await ledger.close();
    await store.close();
  }
}

export async function restoreBackup(
  ctx: BackupContext,
  point: RestorePoint,
  into: string,
  publicKeyPem?: string,
): Promise<RestoreReport> {
  if (existsSync(into))
    throw new BackupError('backup_target_unusable', `${into} exists: restore writes a new file, never over a database`);
  const { chain, target } = chosenBackup(ctx, point);
  const staging = `${into}.partial`;
  rmSync(staging, { force: true });
  try {
    const timings: RestoreTimings = {
      applyFull: 0,
      replayChanges: 0,
      integrityCheck: 0,
      ledgerVerify: 0,
      auditVerify: 0,
      fingerprint: 0,
    };
    let lap = stopwatch();
    const pagesApplied = applyPages(ctx, chain.filter(holdsPages), staging);
    timings.applyFull = lap();
    lap = stopwatch();
    const rowsApplied = replayChain(ctx, chain.filter((m) => !holdsPages(m)), staging);
    timings.replayChanges = lap();
    const { integrity, found, ledgerReport, audit } = await verifyRestored(staging, publicKeyPem, timings);
    const equal = sameFingerprint(found, target.fingerprint);
    const problems = [
      ...(integrity === 'ok' ? [] : [`integrity_check: ${integrity}`]),
      ...(equal ? [] : ['the ledger fingerprint differs from the one recorded at backup time']),
      ...ledgerReport.problems,
      ...(audit === null || audit.ok ? [] : ['the audit log does not verify against its checkpoints']),
    ];
    const ok = problems.length === 0;
    if (ok) renameSync(staging, into);
    return {
      ok,
      backupId: target.id,
      chain: chain.map((m) => m.id),
      pagesApplied,
      rowsApplied,
      integrity,
      fingerprint: { expected: target.fingerprint, found, equal },
      ledger: ledgerReport,
      audit,
      problems,
      timings,
    };
  } finally {
    rmSync(staging, { force: true });
    for (const suffix of ['-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true });
  }
}
