/* eslint-disable security/detect-non-literal-fs-filename -- paths come from configuration and the backup's own names */
// Takes a backup of the SQLite store. A full is a consistent page snapshot with the change positions
// of that moment; an incremental (since the last backup of any kind) or a differential (since the
// last full) holds the rows changed since its parent's positions (change-tracking.ts), read in one
// read transaction of the live database. Each archive is compressed and sealed under a fresh archive
// key; the manifest is written last. An incremental that cannot be written faithfully (schema
// changed, parent of format 1, database behind) is promoted to a full, and the manifest says so.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CryptoProfile, Kek } from '../crypto/index.ts';
import Database from 'better-sqlite3';
import { openStore, type Param, type Queryable, type Row } from '../store/index.ts';
import { openArchiveWriter, type ArchiveWriter } from './archive.ts';
import { checkManifestChain, loadCatalog, manifestSuffix, type Catalog } from './catalog.ts';
import {
  captureChanges,
  currentPositions,
  encodeRecord,
  installChangeTracking,
  promotionReason,
  pruneChangeLog,
  type TrackingPositions,
} from './change-tracking.ts';
import { BackupError } from './errors.ts';
import { ledgerFingerprint, type LedgerFingerprint } from './fingerprint.ts';
import { newArchiveKey } from './keys.ts';
import {
  manifestFormat,
  manifestHash,
  signManifest,
  type BackupKind,
  type BackupManifest,
  type FileEntry,
} from './manifest.ts';
import { openPageFile, snapshotDatabase } from './sqlite-pages.ts';
import type { BackupTarget } from './targets.ts';

export interface BackupContext {
  readonly sqlitePath: string;
  readonly kek: Kek;
  readonly profile: CryptoProfile;
  /** The first is where backups are written and read; the others receive copies. */
  readonly targets: readonly [BackupTarget, ...BackupTarget[]];
  readonly clock: () => number;
  /** Six lowercase letters or digits, for backup ids. */
  readonly randomSuffix: () => string;
  readonly progress?: (step: string, done: number, total: number) => void;
}

export function backupId(at: number, suffix: string): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17);
  return `bk_${stamp}_${suffix}`;
}

function parentFor(catalog: Catalog, kind: BackupKind): BackupManifest | null {
  if (kind === 'full') return null;
  const parent =
    kind === 'incremental' ? catalog.manifests.at(-1) : catalog.manifests.filter((m) => m.kind === 'full').at(-1);
  if (parent === undefined)
    throw new BackupError(
      'backup_not_found',
      `no earlier ${kind === 'incremental' ? '' : 'full '}backup: take a full backup first`,
    );
  return parent;
}

/** What one backup wrote, before its manifest. */
interface Taken {
  readonly full: boolean;
  readonly pageSize: number;
  readonly pageCount: number;
  readonly pagesWritten: number;
  readonly rowsWritten?: number;
  readonly data: FileEntry;
  readonly tracking: TrackingPositions;
  readonly fingerprint: LedgerFingerprint;
}

type ArchiveKey = ReturnType<typeof newArchiveKey>['key'];

/** Writes every page of the snapshot into the data archive. */
function writePages(ctx: BackupContext, id: string, snapshotPath: string, key: ArchiveKey) {
  const primary = ctx.targets[0];
  const name = `${id}.data`;
  const pages = openPageFile(snapshotPath);
  const data = openArchiveWriter(primary.stagingPath(name), id, ctx.profile, key);
  try {
    const header = Buffer.alloc(4);
    pages.forEachPage((pageNumber, page) => {
      header.writeUInt32BE(pageNumber);
      data.write(Buffer.concat([header, page]));
      if (pageNumber % 4096 === 0) ctx.progress?.('pages', pageNumber, pages.pageCount);
    });
    ctx.progress?.('pages', pages.pageCount, pages.pageCount);
    const d = data.finish();
    primary.commit(name);
    return {
      data: { name, bytes: d.bytes, hash: d.hash, chunks: d.chunks },
      pageSize: pages.pageSize,
      pageCount: pages.pageCount,
      pagesWritten: pages.pageCount,
    };
  } catch (error) {
    data.abort();
    throw error;
  } finally {
    pages.close();
  }
}

function withLiveDatabase<T>(ctx: BackupContext, readonly: boolean, work: (db: Database.Database) => T): T {
  const db = new Database(ctx.sqlitePath, { readonly, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    db.pragma('busy_timeout = 5000');
    return work(db);
  } finally {
    db.close();
  }
}

/** A full: tracking triggers on the live database first, then a page snapshot and its positions. */
async function takeFull(ctx: BackupContext, id: string, key: ArchiveKey): Promise<Taken> {
  withLiveDatabase(ctx, false, installChangeTracking);
  // The snapshot sits beside the database (same disk, same protection), in a folder emptied of
  // anything a killed run left.
  const snapshotDir = join(dirname(ctx.sqlitePath), '.backup-snapshot');
  rmSync(snapshotDir, { recursive: true, force: true });
  mkdirSync(snapshotDir, { mode: 0o700 });
  const snapshotPath = join(snapshotDir, `${id}.db`);
  try {
    ctx.progress?.('snapshot', 0, 1);
    await snapshotDatabase(ctx.sqlitePath, snapshotPath);
    const tracking = withLiveDatabase({ ...ctx, sqlitePath: snapshotPath }, true, currentPositions);
    const snapshot = openStore({ sqlitePath: snapshotPath, databaseUrl: undefined });
    let fingerprint;
    try {
      fingerprint = await ledgerFingerprint(snapshot);
    } finally {
      await snapshot.close();
    }
    return { full: true, ...writePages(ctx, id, snapshotPath, key), tracking, fingerprint };
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
}

/** Reads through one read transaction of a better-sqlite3 connection, for the fingerprint. */
function readTransactionQueryable(db: Database.Database): Queryable {
  const bound = (params: readonly Param[] | undefined) =>
    (params ?? []).map((p) => (typeof p === 'boolean' ? Number(p) : p));
  return {
    all: <R extends Row = Row>(sql: string, params?: readonly Param[]) =>
      Promise.resolve(db.prepare(sql).all(...bound(params)) as R[]),
    get: <R extends Row = Row>(sql: string, params?: readonly Param[]) =>
      Promise.resolve(db.prepare(sql).get(...bound(params)) as R | undefined),
    run: () => Promise.reject(new Error('the backup reads only')),
  };
}

/**
 * An incremental or differential: in one read transaction of the live database, the changes since
 * the parent's positions and the fingerprint of the same moment. A reason instead when it must be a full.
 */
async function takeChanges(
  ctx: BackupContext,
  id: string,
  key: ArchiveKey,
  parent: BackupManifest,
): Promise<Taken | { promote: string }> {
  const primary = ctx.targets[0];
  const name = `${id}.data`;
  const db = new Database(ctx.sqlitePath, { readonly: true, fileMustExist: true });
  let writer: ArchiveWriter | undefined;
  try {
    db.defaultSafeIntegers(true);
    db.pragma('busy_timeout = 5000');
    db.exec('BEGIN');
    const now = currentPositions(db);
    const reason = promotionReason(parent.tracking, now);
    if (reason !== null || parent.tracking === undefined) return { promote: reason ?? 'no positions' };
    ctx.progress?.('changes', 0, 1);
    const archive = openArchiveWriter(primary.stagingPath(name), id, ctx.profile, key);
    writer = archive;
    const rowsWritten = captureChanges(db, parent.tracking, now, (record) => archive.write(encodeRecord(record)));
    const fingerprint = await ledgerFingerprint(readTransactionQueryable(db));
    db.exec('COMMIT');
    ctx.progress?.('rows', rowsWritten, rowsWritten);
    const d = archive.finish();
    primary.commit(name);
    ctx.progress?.('changes', 1, 1);
    const data = { name, bytes: d.bytes, hash: d.hash, chunks: d.chunks };
    return { full: false, pageSize: 0, pageCount: 0, pagesWritten: 0, rowsWritten, data, tracking: now, fingerprint };
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}

const linkOf = (m: BackupManifest | null) => (m === null ? null : { id: m.id, manifestHash: manifestHash(m) });

/** File-system failures that mean the target (or the space beside the database) cannot take a backup. */
const unusableErrors = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOENT', 'EIO']);

/** A full disk, a permission or a vanished folder becomes `backup_target_unusable`, naming the file. */
function asTargetError(error: unknown): unknown {
  const failure = error as NodeJS.ErrnoException | null;
  if (error instanceof BackupError || typeof failure?.code !== 'string' || !unusableErrors.has(failure.code))
    return error;
  return new BackupError('backup_target_unusable', `${failure.code}: cannot write ${failure.path ?? 'a backup file'}`);
}

export async function takeBackup(ctx: BackupContext, kind: BackupKind): Promise<BackupManifest> {
  try {
    return await takeBackupOnce(ctx, kind);
  } catch (error) {
    throw asTargetError(error);
  }
}

async function takeBackupOnce(ctx: BackupContext, kind: BackupKind): Promise<BackupManifest> {
  const primary = ctx.targets[0];
  primary.removeStaged();
  const catalog = loadCatalog(primary, ctx.kek);
  checkManifestChain(catalog);
  const parent = parentFor(catalog, kind);
  const createdAt = ctx.clock();
  const id = backupId(createdAt, ctx.randomSuffix());
  const { key, wrapped } = newArchiveKey(ctx.profile, ctx.kek, id);
  let taken = parent === null ? await takeFull(ctx, id, key) : await takeChanges(ctx, id, key, parent);
  let promoted: BackupManifest['promoted'] = null;
  if ('promote' in taken) {
    promoted = { requested: kind, reason: taken.promote };
    taken = await takeFull(ctx, id, key);
  }
  const { full, ...written } = taken;
  const manifest = signManifest(ctx.profile, ctx.kek, {
    format: manifestFormat,
    id,
    kind: full ? 'full' : kind,
    store: 'sqlite',
    profile: ctx.profile.name,
    createdAt,
    parent: full ? null : linkOf(parent),
    previous: linkOf(catalog.manifests.at(-1) ?? null),
    ...written,
    promoted,
    key: wrapped,
  });
  const manifestFile = `${id}${manifestSuffix}`;
  writeStaged(primary, manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  primary.commit(manifestFile);
  for (const other of ctx.targets.slice(1)) {
    for (const file of [written.data.name, manifestFile]) other.copyFrom(primary, file);
  }
  // A full covers every change logged before it: the log below its position is no longer read.
  if (full) withLiveDatabase(ctx, false, (db) => pruneChangeLog(db, written.tracking.changeSeq));
  return manifest;
}

function writeStaged(target: BackupTarget, file: string, text: string): void {
  writeFileSync(target.stagingPath(file), text, { mode: 0o600, flag: 'w' });
}
