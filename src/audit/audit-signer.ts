/* eslint-disable security/detect-non-literal-fs-filename -- the key path comes from operator configuration (the data dir) */
// The audit signer interface and checkpoint signature checks. The platform's key lives sealed in the
// keyring (keyring-signer.ts); the plain PEM file under the data dir is only read to adopt it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cryptoProfile, type ProfileName, type SignatureAlgorithm } from '../crypto/index.ts';

export interface AuditSigner {
  readonly profile: ProfileName;
  readonly algorithm: SignatureAlgorithm;
  /** First 16 bytes of SHA-256 over the SPKI DER, hex. */
  readonly keyId: string;
  /** SPKI PEM: what verifiers need, published with every export. */
  readonly publicKeyPem: string;
  sign(data: Uint8Array): Buffer | Promise<Buffer>;
}

const algorithmOf: Record<ProfileName, SignatureAlgorithm> = { intl: 'ecdsa-p256-sha256', gm: 'sm2-sm3' };
const profileOf: Partial<Record<string, ProfileName>> = { 'ecdsa-p256-sha256': 'intl', 'sm2-sm3': 'gm' };

function spkiDer(publicKeyPem: string): Buffer {
  const body = publicKeyPem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

export function auditKeyId(publicKeyPem: string): string {
  return createHash('sha256').update(spkiDer(publicKeyPem)).digest('hex').slice(0, 32);
}

export function auditKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'audit-signing.pem');
}

/**
 * Loads the audit key from `<dataDir>/keys/audit-signing.pem`, creating it on first use. Only tests of
 * the adoption path use it now: the platform signs with the sealed key (keyringAuditSigner).
 */
export function fileAuditSigner(dataDir: string, profileName: ProfileName): AuditSigner {
  const profile = cryptoProfile(profileName);
  const path = auditKeyPath(dataDir);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const pair = profile.generateSigningKeyPair(algorithmOf[profileName]);
    // 'wx': two processes starting at once must not overwrite each other's key.
    try {
      writeFileSync(path, profile.exportPrivateKey(pair.privateKey), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  const privateKey = profile.importPrivateKey(readFileSync(path, 'utf8'));
  const publicKeyPem = profile.exportPublicKey(profile.publicKeyOf(privateKey));
  return {
    profile: profileName,
    algorithm: algorithmOf[profileName],
    keyId: auditKeyId(publicKeyPem),
    publicKeyPem,
    sign: (data) => profile.sign(privateKey, data),
  };
}

/** An in-memory signer (tests, benchmarks). */
export function ephemeralAuditSigner(profileName: ProfileName): AuditSigner {
  const profile = cryptoProfile(profileName);
  const pair = profile.generateSigningKeyPair(algorithmOf[profileName]);
  const publicKeyPem = profile.exportPublicKey(pair.publicKey);
  return { profile: profileName, algorithm: algorithmOf[profileName], keyId: auditKeyId(publicKeyPem), publicKeyPem, sign: (data) => profile.sign(pair.privateKey, data) };
}

/** A verifier bound to one trusted public key; false for a bad signature, an unknown algorithm or a key of another kind. */
export function checkpointVerifier(publicKeyPem: string): { keyId: string; verify(algorithm: string, data: Uint8Array, signature: Uint8Array): boolean } {
  const keyId = auditKeyId(publicKeyPem);
  return {
    keyId,
    verify(algorithm, data, signature) {
      const name = profileOf[algorithm];
      if (name === undefined) return false;
      try {
        const profile = cryptoProfile(name);
        return profile.verify(profile.importPublicKey(publicKeyPem), data, signature);
      } catch {
        return false;
      }
    },
  };
}
