/* eslint-disable security/detect-non-literal-fs-filename -- the key path comes from operator configuration (the data dir) */
// The audit checkpoint signing key, sealed under the KEK in the keyring (purpose `audit-signing`)
// like every other data key, so a copy of the data directory or a backup no longer carries it in
// clear. A plain PEM left by an earlier version is adopted into the keyring at start, then deleted.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Keyring, ProfileName, SignatureAlgorithm } from '../crypto/index.ts';
import { auditKeyId, auditKeyPath, type AuditSigner } from './audit-signer.ts';

const algorithmOf: Record<ProfileName, SignatureAlgorithm> = { intl: 'ecdsa-p256-sha256', gm: 'sm2-sm3' };

export class AuditKeyConflictError extends Error {}

/** Moves `<dataDir>/keys/audit-signing.pem` into the keyring and deletes it; false when there is none. */
export async function adoptPlainAuditKey(keyring: Keyring, dataDir: string, profile: ProfileName): Promise<boolean> {
  const path = auditKeyPath(dataDir);
  if (!existsSync(path)) return false;
  const outcome = await keyring.adoptSigningKey(
    'audit-signing',
    readFileSync(path, 'utf8'),
    algorithmOf[profile],
    'adopted from a plain key file, which was then deleted',
  );
  if (outcome === 'conflict') {
    throw new AuditKeyConflictError(
      `${path} holds another key than the keyring's audit-signing key: move the file away once its checkpoints are archived with its public key`,
    );
  }
  // Only now that the sealed copy is committed; another process may have deleted it already.
  rmSync(path, { force: true });
  return true;
}

/**
 * The signer over the keyring's active `audit-signing` version, created on first use. It is pinned to
 * that version: checkpoints name its key id, so a rotation takes effect when the process restarts.
 */
export async function keyringAuditSigner(
  keyring: Keyring,
  options: { dataDir: string; profile: ProfileName },
): Promise<AuditSigner> {
  await adoptPlainAuditKey(keyring, options.dataDir, options.profile);
  const version = await keyring.activeVersion('audit-signing', { fresh: true });
  const row = (await keyring.versions('audit-signing')).find((candidate) => candidate.version === version);
  if (row?.publicKey === undefined) throw new Error(`audit invariant: audit-signing v${version} has no public key`);
  const algorithm = row.algorithm as SignatureAlgorithm;
  const publicKeyPem = row.publicKey;
  return {
    profile: algorithm === 'sm2-sm3' ? 'gm' : 'intl',
    algorithm,
    keyId: auditKeyId(publicKeyPem),
    publicKeyPem,
    async sign(data) {
      const signed = await keyring.sign('audit-signing', data);
      if (signed.version !== version)
        throw new Error(`the audit-signing key was rotated to v${signed.version}: restart to sign with it`);
      return signed.signature;
    },
  };
}
