/* eslint-disable security/detect-non-literal-fs-filename -- archive paths come from the backup target, never a request */
// The archive file: a magic line, then sealed chunks, each `u32 length || sealed(deflate(records))`.
// Every chunk is sealed under the archive's own data key with the archive id, its index and a
// final flag as associated data, so a chunk that was altered, moved, dropped or cut off is refused.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CryptoProfile, HashAlgorithm, SecretKey } from '../crypto/index.ts';
import { BackupError } from './errors.ts';

const magic = Buffer.from('ANFU-BACKUP-1\n', 'ascii');
/** A chunk holds at most this much plaintext before it is sealed; memory stays bounded by it. */
export const chunkBytesMax = 1 << 20;
const sealedChunkBytesMax = chunkBytesMax * 2;

function chunkAad(archiveId: string, index: number, final: boolean): Buffer {
  return Buffer.from(`anfu-backup:${archiveId}:${index}:${final ? 'final' : 'more'}`, 'utf8');
}

export interface ArchiveWriter {
  /** Appends plaintext; full chunks are sealed and written as they fill. */
  write(bytes: Uint8Array): void;
  /** Seals the last chunk, fsyncs and closes; returns the chunk count, the file's size and its hash. */
  finish(): { chunks: number; bytes: number; hash: string };
  abort(): void;
}

export function openArchiveWriter(path: string, archiveId: string, profile: CryptoProfile, key: SecretKey): ArchiveWriter {
  const fd = openSync(path, 'wx', 0o600);
  const fileHash = createHash(profile.hashAlgorithm);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let written = 0;
  let closed = false;
  const put = (bytes: Buffer) => {
    writeSync(fd, bytes);
    fileHash.update(bytes);
    written += bytes.length;
  };
  put(magic);
  const flush = (final: boolean) => {
    const sealed = profile.seal(key, deflateRawSync(Buffer.concat(pending), { level: 1 }), chunkAad(archiveId, index, final));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(sealed.length);
    put(length);
    put(sealed);
    index += 1;
    pending = [];
    pendingBytes = 0;
  };
  return {
    write(bytes) {
      pending.push(Buffer.from(bytes));
      pendingBytes += bytes.length;
      if (pendingBytes >= chunkBytesMax) flush(false);
    },
    finish() {
      flush(true);
      fsyncSync(fd);
      closeSync(fd);
      closed = true;
      return { chunks: index, bytes: written, hash: fileHash.digest('hex') };
    },
    abort() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

/** Yields each chunk's plaintext in order; throws `backup_archive_corrupt` on any damage. */
export function* readArchive(path: string, archiveId: string, profile: CryptoProfile, key: SecretKey, chunks: number): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    if (readSync(fd, head, 0, head.length, 0) !== head.length || !head.equals(magic)) {
      throw new BackupError('backup_archive_corrupt', `${archiveId}: not an Anfu backup archive`);
    }
    let position = magic.length;
    for (let index = 0; index < chunks; index += 1) {
      const length = Buffer.alloc(4);
      if (readSync(fd, length, 0, 4, position) !== 4) throw new BackupError('backup_archive_corrupt', `${archiveId}: truncated at chunk ${index}`);
      const size = length.readUInt32BE();
      if (size === 0 || size > sealedChunkBytesMax) throw new BackupError('backup_archive_corrupt', `${archiveId}: chunk ${index} has an impossible size`);
      const sealed = Buffer.alloc(size);
      if (readSync(fd, sealed, 0, size, position + 4) !== size) throw new BackupError('backup_archive_corrupt', `${archiveId}: truncated at chunk ${index}`);
      position += 4 + size;
      let plain: Buffer;
      try {
        plain = inflateRawSync(profile.open(key, sealed, chunkAad(archiveId, index, index === chunks - 1)), { maxOutputLength: chunkBytesMax * 2 });
      } catch {
        throw new BackupError('backup_archive_corrupt', `${archiveId}: chunk ${index} fails authentication (altered, reordered or cut)`);
      }
      yield plain;
    }
    const rest = Buffer.alloc(1);
    if (readSync(fd, rest, 0, 1, position) !== 0) throw new BackupError('backup_archive_corrupt', `${archiveId}: bytes after the last chunk`);
  } finally {
    closeSync(fd);
  }
}

/** The hash of a whole file, streamed, with the profile's hash (SHA-256 or SM3). */
export function fileHashOf(path: string, algorithm: HashAlgorithm): string {
  const hash = createHash(algorithm);
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let position = 0; ; ) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      position += read;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
