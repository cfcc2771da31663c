/* eslint-disable security/detect-non-literal-fs-filename -- snapshot paths are made by the backup itself */
// Page-level view of a SQLite database file. A backup is a page-for-page snapshot (SQLite's online
// backup API keeps page numbers), so an incremental or differential backup is the set of pages whose
// content differs from the backup it is relative to: every table is covered, append-only or not, and
// no trigger taxes the write path. Page hashes detect change only; integrity comes from the sealed
// archive and the manifest.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';

export const pageHashBytes = 16;

/** A consistent page copy of the live database at `sourcePath`, in one read transaction. */
export async function snapshotDatabase(sourcePath: string, snapshotPath: string): Promise<void> {
  const source = new Database(sourcePath, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    // The first step reports the size; the second copies every page in one step (one read snapshot),
    // so writers elsewhere never make the copy restart.
    await source.backup(snapshotPath, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
}

export interface PageFile {
  readonly pageSize: number;
  readonly pageCount: number;
  /** Calls `visit` with each page in order (1-based page numbers), reading a bounded window at a time. */
  forEachPage(visit: (pageNumber: number, page: Buffer) => void): void;
  close(): void;
}

export function openPageFile(path: string): PageFile {
  const fd = openSync(path, 'r');
  const header = Buffer.alloc(100);
  readSync(fd, header, 0, 100, 0);
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65_536 : raw;
  const size = fstatSync(fd).size;
  if (pageSize < 512 || size % pageSize !== 0) {
    closeSync(fd);
    throw new Error('not a SQLite database file');
  }
  const pageCount = size / pageSize;
  const windowPages = Math.max(1, Math.floor((4 << 20) / pageSize));
  return {
    pageSize,
    pageCount,
    forEachPage(visit) {
      const window = Buffer.alloc(windowPages * pageSize);
      for (let first = 1; first <= pageCount; first += windowPages) {
        const pages = Math.min(windowPages, pageCount - first + 1);
        const read = readSync(fd, window, 0, pages * pageSize, (first - 1) * pageSize);
        if (read !== pages * pageSize) throw new Error('short read of the snapshot');
        for (let i = 0; i < pages; i += 1) visit(first + i, window.subarray(i * pageSize, (i + 1) * pageSize));
      }
    },
    close: () => closeSync(fd),
  };
}

export function pageHash(page: Buffer): Buffer {
  return createHash('sha256').update(page).digest().subarray(0, pageHashBytes);
}
