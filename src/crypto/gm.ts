// The GM (国密) profile: SM2 signatures (default user ID 1234567812345678) and SM2 encryption, SM3,
// HMAC-SM3, and SM4-CBC + HMAC-SM3 encrypt-then-MAC (Node 20's OpenSSL 3.0 has no SM4-GCM).
import { createHash, randomBytes } from 'node:crypto';
import type { AsymmetricKeyKind } from './key-handle.ts';
import { wrapSecretKey } from './key-handle.ts';
import type { CryptoProfile, SecretKeyAlgorithm, SignatureAlgorithm } from './profile.ts';
import {
  allowedPrivateState, allowedPublicState, exportPrivateKeyPem, exportPublicKeyPem, generateKeyPair,
  importPrivateKeyPem, importPublicKeyObject, importPublicKeyPem, publicKeyOf,
} from './asymmetric-keys.ts';
import { equalBytes, hmac, openSm4, sealSm4, sealTags, sm4SealKeyBytes } from './symmetric.ts';
import { exportSecret, importSecret, requireSecret } from './secret-keys.ts';
import { sm2Sign, sm2Verify } from './sm2.ts';
import { decodeSm2Ciphertext, encodeSm2CiphertextDer, sm2Decrypt, sm2Encrypt } from './sm2-encryption.ts';
import { randomNonce } from './random-pool.ts';
import { CryptoError } from './errors.ts';

const kinds: readonly AsymmetricKeyKind[] = ['sm2'];
/** encryptTo output: [0x12] followed by the GM/T 0009 DER ciphertext that `openssl pkeyutl` reads. */
export const sm2EncryptionTag = 0x12;
const allowedSecrets: readonly SecretKeyAlgorithm[] = ['sm4-cbc-hmac-sm3', 'hmac-sm3'];

function sm2PrivateOf(privateKey: Parameters<CryptoProfile['sign']>[0]) {
  const state = allowedPrivateState(privateKey, kinds);
  if (state.kind !== 'sm2') throw new CryptoError('crypto_unknown_algorithm');
  return state.sm2;
}

function sm2PublicOf(publicKey: Parameters<CryptoProfile['verify']>[0]) {
  const state = allowedPublicState(publicKey, kinds);
  if (state.kind !== 'sm2') throw new CryptoError('crypto_unknown_algorithm');
  return state.sm2;
}

function requireSm2Algorithm(algorithm: SignatureAlgorithm): void {
  if (algorithm !== 'sm2-sm3') throw new CryptoError('crypto_unknown_algorithm', `${String(algorithm)} is not a gm signature algorithm`);
}

export const gmProfile: CryptoProfile = Object.freeze({
  name: 'gm',
  signatureAlgorithms: ['sm2-sm3'],
  sealAlgorithm: 'sm4-cbc-hmac-sm3',
  macAlgorithm: 'hmac-sm3',
  hashAlgorithm: 'sm3',
  generateSigningKeyPair(algorithm: SignatureAlgorithm = 'sm2-sm3') {
    requireSm2Algorithm(algorithm);
    return generateKeyPair('sm2');
  },
  generateEncryptionKeyPair: () => generateKeyPair('sm2'),
  sign: (privateKey, data) => sm2Sign(sm2PrivateOf(privateKey), data),
  verify: (publicKey, data, signature) => sm2Verify(sm2PublicOf(publicKey), data, signature),
  hash: (data) => createHash('sm3').update(data).digest(),
  generateMacKey: () => wrapSecretKey({ algorithm: 'hmac-sm3', bytes: randomBytes(32) }),
  mac: (key, data) => hmac('sm3', requireSecret(key, 'hmac-sm3'), data),
  macVerify: (key, data, tag) => equalBytes(hmac('sm3', requireSecret(key, 'hmac-sm3'), data), tag),
  generateSealKey: () => wrapSecretKey({ algorithm: 'sm4-cbc-hmac-sm3', bytes: randomBytes(sm4SealKeyBytes) }),
  seal: (key, plaintext, aad = Buffer.alloc(0)) => sealSm4(requireSecret(key, 'sm4-cbc-hmac-sm3'), randomNonce(16), plaintext, aad),
  open(key, sealed, aad = Buffer.alloc(0)) {
    if (sealed[0] !== sealTags['sm4-cbc-hmac-sm3']) throw new CryptoError('crypto_unknown_algorithm', 'not an SM4 sealed value');
    return openSm4(requireSecret(key, 'sm4-cbc-hmac-sm3'), sealed, aad);
  },
  encryptTo: (publicKey, plaintext) =>
    Buffer.concat([Buffer.from([sm2EncryptionTag]), encodeSm2CiphertextDer(sm2Encrypt(sm2PublicOf(publicKey), plaintext))]),
  decryptWith(privateKey, ciphertext) {
    const state = sm2PrivateOf(privateKey);
    if (ciphertext[0] !== sm2EncryptionTag) throw new CryptoError('crypto_unknown_algorithm', 'not an SM2 ciphertext');
    return sm2Decrypt(state, decodeSm2Ciphertext(ciphertext.subarray(1)));
  },
  importPrivateKey: (pem) => importPrivateKeyPem(pem, kinds),
  importPublicKey: (pem) => importPublicKeyPem(pem, kinds),
  importPublicKeyObject: (keyObject) => importPublicKeyObject(keyObject, kinds),
  exportPrivateKey: (privateKey) => exportPrivateKeyPem(privateKey, kinds),
  exportPublicKey: (publicKey) => exportPublicKeyPem(publicKey, kinds),
  publicKeyOf: (privateKey) => publicKeyOf(privateKey, kinds),
  importSecretKey: (algorithm, bytes) => importSecret(algorithm, bytes, allowedSecrets),
  exportSecretKey: (key) => exportSecret(key, allowedSecrets),
} satisfies CryptoProfile);
