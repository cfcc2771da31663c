// Keys of a backup. Each archive has its own data key, drawn at random and kept only wrapped by the
// KEK inside the manifest; the manifest itself is authenticated by a MAC under a key derived from the
// KEK. The keyring's data keys live in the database being backed up, so they cannot protect its
// backups: only the KEK, which never enters the database, can.
import type { CryptoProfile, Kek, SecretKey } from '../crypto/index.ts';
import { BackupError } from './errors.ts';

function wrappingKey(profile: CryptoProfile, kek: Kek): SecretKey {
  return profile.importSecretKey(profile.sealAlgorithm, kek.wrappingKeyBytes(profile.hashAlgorithm, `backup-dek ${profile.sealAlgorithm}`));
}

function manifestKey(profile: CryptoProfile, kek: Kek): SecretKey {
  return profile.importSecretKey(profile.macAlgorithm, kek.wrappingKeyBytes(profile.hashAlgorithm, `backup-manifest ${profile.macAlgorithm}`));
}

export interface WrappedArchiveKey {
  readonly kekId: string;
  readonly wrapped: string;
}

/** A fresh data key for one archive, and its KEK-wrapped form for the manifest. */
export function newArchiveKey(profile: CryptoProfile, kek: Kek, archiveId: string): { key: SecretKey; wrapped: WrappedArchiveKey } {
  const key = profile.generateSealKey();
  const sealed = profile.seal(wrappingKey(profile, kek), profile.exportSecretKey(key), Buffer.from(`anfu-backup-dek:${archiveId}`));
  return { key, wrapped: { kekId: kek.id, wrapped: sealed.toString('base64') } };
}

export function openArchiveKey(profile: CryptoProfile, kek: Kek, archiveId: string, wrapped: WrappedArchiveKey): SecretKey {
  if (wrapped.kekId !== kek.id) {
    throw new BackupError('backup_manifest_invalid', `${archiveId}: wrapped under KEK ${wrapped.kekId}, this KEK is ${kek.id} (restore with the KEK of that time)`);
  }
  try {
    const bytes = profile.open(wrappingKey(profile, kek), Buffer.from(wrapped.wrapped, 'base64'), Buffer.from(`anfu-backup-dek:${archiveId}`));
    return profile.importSecretKey(profile.sealAlgorithm, bytes);
  } catch {
    throw new BackupError('backup_manifest_invalid', `${archiveId}: the archive key does not unwrap under this KEK`);
  }
}

export function manifestMac(profile: CryptoProfile, kek: Kek, canonicalBody: string): string {
  return profile.mac(manifestKey(profile, kek), Buffer.from(canonicalBody, 'utf8')).toString('hex');
}

export function manifestMacValid(profile: CryptoProfile, kek: Kek, canonicalBody: string, mac: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(mac)) return false;
  return profile.macVerify(manifestKey(profile, kek), Buffer.from(canonicalBody, 'utf8'), Buffer.from(mac, 'hex'));
}
