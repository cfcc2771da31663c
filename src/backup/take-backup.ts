/* eslint-disable security/detect-non-literal-fs-filename -- paths come from configuration and the backup's own names */
// Takes a backup of the SQLite store: a consistent page snapshot, then the pages a backup of this
// kind must hold (all for a full; those changed since the last backup of any kind for an
// incremental; since the last full for a differential), compressed and sealed under a fresh archive
// key, with the page hashes the next backup diffs against, and a manifest written last.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CryptoProfile, Kek } from '../crypto/index.ts';
import { openStore } from '../store/index.ts';
import { openArchiveWriter, readArchive } from './archive.ts';
import { checkManifestChain, loadCatalog, manifestSuffix } from './catalog.ts';
import { BackupError } from './errors.ts';
import { ledgerFingerprint } from './fingerprint.ts';
import { newArchiveKey, openArchiveKey } from './keys.ts';
import { manifestHash, signManifest, type BackupKind, type BackupManifest, type FileEntry } from './manifest.ts';
import { openPageFile, pageHash, pageHashBytes, snapshotDatabase } from './sqlite-pages.ts';
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
  const stamp = new Date(at).toISOString().replace(/[-:TZ.]/g, '').slice(0, 17);
  return `bk_${stamp}_${suffix}`;
}

/** The page hashes a backup recorded: the state of every page after it. */
export function loadPageHashes(ctx: BackupContext, manifest: BackupManifest): Buffer {
  const path = ctx.targets[0].pathOf(manifest.pageHashes.name);
  if (path === undefined) throw new BackupError('backup_chain_broken', `${manifest.id}: page hashes are missing`);
  const key = openArchiveKey(ctx.profile, ctx.kek, manifest.id, manifest.key);
  const parts = [...readArchive(path, `${manifest.id}.hashes`, ctx.profile, key, manifest.pageHashes.chunks)];
  const hashes = Buffer.concat(parts);
  if (hashes.length !== manifest.pageCount * pageHashBytes) throw new BackupError('backup_archive_corrupt', `${manifest.id}: page hashes do not cover every page`);
  return hashes;
}

function parentFor(ctx: BackupContext, kind: BackupKind): BackupManifest | null {
  const catalog = loadCatalog(ctx.targets[0], ctx.kek);
  checkManifestChain(catalog);
  if (kind === 'full') return null;
  const parent = kind === 'incremental' ? catalog.manifests.at(-1) : catalog.manifests.filter((m) => m.kind === 'full').at(-1);
  if (parent === undefined) throw new BackupError('backup_not_found', `no earlier ${kind === 'incremental' ? '' : 'full '}backup: take a full backup first`);
  return parent;
}

interface Written { data: FileEntry; pageHashes: FileEntry; pageSize: number; pageCount: number; pagesWritten: number }

/** Writes the data and page-hash archives from the snapshot, keeping pages that differ from the parent's. */
function writeArchives(ctx: BackupContext, id: string, snapshotPath: string, parentHashes: Buffer | null, key: ReturnType<typeof newArchiveKey>['key']): Written {
  const primary = ctx.targets[0];
  const names = { data: `${id}.data`, hashes: `${id}.hashes` };
  const pages = openPageFile(snapshotPath);
  const data = openArchiveWriter(primary.stagingPath(names.data), id, ctx.profile, key);
  const hashes = openArchiveWriter(primary.stagingPath(names.hashes), `${id}.hashes`, ctx.profile, key);
  let pagesWritten = 0;
  try {
    const header = Buffer.alloc(4);
    pages.forEachPage((pageNumber, page) => {
      const hash = pageHash(page);
      hashes.write(hash);
      const offset = (pageNumber - 1) * pageHashBytes;
      const unchanged = parentHashes !== null && offset + pageHashBytes <= parentHashes.length
        && parentHashes.subarray(offset, offset + pageHashBytes).equals(hash);
      if (!unchanged) {
        header.writeUInt32BE(pageNumber);
        data.write(Buffer.concat([header, page]));
        pagesWritten += 1;
      }
      if (pageNumber % 4096 === 0) ctx.progress?.('pages', pageNumber, pages.pageCount);
    });
    ctx.progress?.('pages', pages.pageCount, pages.pageCount);
    const d = data.finish();
    const h = hashes.finish();
    primary.commit(names.data);
    primary.commit(names.hashes);
    return {
      data: { name: names.data, bytes: d.bytes, hash: d.hash, chunks: d.chunks },
      pageHashes: { name: names.hashes, bytes: h.bytes, hash: h.hash, chunks: h.chunks },
      pageSize: pages.pageSize, pageCount: pages.pageCount, pagesWritten,
    };
  } catch (error) {
    data.abort();
    hashes.abort();
    throw error;
  } finally {
    pages.close();
  }
}

export async function takeBackup(ctx: BackupContext, kind: BackupKind): Promise<BackupManifest> {
  const primary = ctx.targets[0];
  primary.removeStaged();
  const parent = parentFor(ctx, kind);
  const latest = loadCatalog(primary, ctx.kek).manifests.at(-1) ?? null;
  const parentHashes = parent === null ? null : loadPageHashes(ctx, parent);
  const createdAt = ctx.clock();
  const id = backupId(createdAt, ctx.randomSuffix());
  // The snapshot sits beside the database (same disk, same protection), in a folder emptied of
  // anything a killed run left.
  const snapshotDir = join(dirname(ctx.sqlitePath), '.backup-snapshot');
  rmSync(snapshotDir, { recursive: true, force: true });
  mkdirSync(snapshotDir, { mode: 0o700 });
  const snapshotPath = join(snapshotDir, `${id}.db`);
  try {
    ctx.progress?.('snapshot', 0, 1);
    await snapshotDatabase(ctx.sqlitePath, snapshotPath);
    const snapshot = openStore({ sqlitePath: snapshotPath, databaseUrl: undefined });
    let fingerprint;
    try { fingerprint = await ledgerFingerprint(snapshot); } finally { await snapshot.close(); }
    const { key, wrapped } = newArchiveKey(ctx.profile, ctx.kek, id);
    const written = writeArchives(ctx, id, snapshotPath, parentHashes, key);
    const manifest = signManifest(ctx.profile, ctx.kek, {
      format: 'anfu-backup-manifest/1', id, kind, store: 'sqlite', profile: ctx.profile.name, createdAt,
      parent: parent === null ? null : { id: parent.id, manifestHash: manifestHash(parent) },
      previous: latest === null ? null : { id: latest.id, manifestHash: manifestHash(latest) },
      ...written, key: wrapped, fingerprint,
    });
    const manifestFile = `${id}${manifestSuffix}`;
    writeStaged(primary, manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    primary.commit(manifestFile);
    for (const other of ctx.targets.slice(1)) {
      for (const file of [written.data.name, written.pageHashes.name, manifestFile]) other.copyFrom(primary, file);
    }
    return manifest;
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
}

function writeStaged(target: BackupTarget, file: string, text: string): void {
  writeFileSync(target.stagingPath(file), text, { mode: 0o600, flag: 'w' });
}
