// The international profile: ECDSA P-256 / Ed25519, SHA-256, HMAC-SHA-256, AES-256-GCM, and hybrid
// encryption by ephemeral ECDH P-256 + HKDF-SHA-256 + AES-256-GCM. Every primitive is Node's OpenSSL.
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { AsymmetricKeyKind, PublicKey } from './key-handle.ts';
import { wrapSecretKey } from './key-handle.ts';
import type { CryptoProfile, SecretKeyAlgorithm, SignatureAlgorithm } from './profile.ts';
import {
  allowedPrivateState, allowedPublicState, exportPrivateKeyPem, exportPublicKeyPem, generateKeyPair,
  importPrivateKeyPem, importPublicKeyObject, importPublicKeyPem, publicKeyOf,
} from './asymmetric-keys.ts';
import { aesGcmDecrypt, aesGcmEncrypt, aesSealKeyBytes, equalBytes, hmac, openAesGcm, sealAesGcm, sealTags } from './symmetric.ts';
import { importSecret, exportSecret, requireSecret } from './secret-keys.ts';
import { randomNonce } from './random-pool.ts';
import { CryptoError } from './errors.ts';

const kinds: readonly AsymmetricKeyKind[] = ['p256', 'ed25519'];
export const eciesP256Tag = 0x11;
const p256PointBytes = 65;
const eciesInfo = Buffer.from('anfu ecies-p256-hkdf-sha256-aes-256-gcm v1', 'utf8');

function rawP256(keyObject: KeyObject): Buffer {
  const jwk = keyObject.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
}

function p256FromRaw(raw: Buffer): KeyObject {
  const jwk = { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') };
  return createPublicKey({ key: jwk, format: 'jwk' });
}

function eciesKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.concat([eciesInfo, ephemeral, recipient]), 32));
}

/** [0x11][ephemeral P-256 point 65][nonce 12][ciphertext][tag 16]; GCM AAD = tag byte ‖ ephemeral point. */
export function eciesP256Encrypt(recipient: KeyObject, plaintext: Uint8Array): Buffer {
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const header = Buffer.concat([Buffer.from([eciesP256Tag]), rawP256(ephemeral.publicKey)]);
  const key = eciesKey(shared, header.subarray(1), rawP256(recipient));
  const nonce = randomBytes(12);
  const { ciphertext, tag } = aesGcmEncrypt(key, nonce, plaintext, header);
  return Buffer.concat([header, nonce, ciphertext, tag]);
}

export function eciesP256Decrypt(recipient: KeyObject, blob: Uint8Array): Buffer {
  const buffer = Buffer.from(blob);
  if (buffer.length < 1 + p256PointBytes + 12 + 16 || buffer[0] !== eciesP256Tag) throw new CryptoError('crypto_decrypt_failed');
  const header = buffer.subarray(0, 1 + p256PointBytes);
  let shared: Buffer;
  try {
    const ephemeral = p256FromRaw(header.subarray(1));
    shared = diffieHellman({ privateKey: recipient, publicKey: ephemeral });
  } catch {
    throw new CryptoError('crypto_decrypt_failed');
  }
  const key = eciesKey(shared, header.subarray(1), rawP256(createPublicKey(recipient)));
  const nonce = buffer.subarray(header.length, header.length + 12);
  const ciphertext = buffer.subarray(header.length + 12, buffer.length - 16);
  return aesGcmDecrypt(key, nonce, ciphertext, buffer.subarray(buffer.length - 16), header);
}

/** The verification both `verify` and the Wycheproof P1363 vectors use; false for any bad input. */
export function verifyIntlSignature(publicKey: PublicKey, data: Uint8Array, signature: Uint8Array, encoding: 'der' | 'ieee-p1363' = 'der'): boolean {
  const state = allowedPublicState(publicKey, kinds);
  if (state.kind === 'sm2') throw new CryptoError('crypto_unknown_algorithm');
  try {
    if (state.kind === 'ed25519') return verify(null, data, state.keyObject, signature);
    return verify('sha256', data, { key: state.keyObject, dsaEncoding: encoding }, signature);
  } catch {
    return false;
  }
}

function signatureKind(algorithm: SignatureAlgorithm): AsymmetricKeyKind {
  if (algorithm === 'ecdsa-p256-sha256') return 'p256';
  if (algorithm === 'ed25519') return 'ed25519';
  throw new CryptoError('crypto_unknown_algorithm', `${String(algorithm)} is not an intl signature algorithm`);
}

const allowedSecrets: readonly SecretKeyAlgorithm[] = ['aes-256-gcm', 'hmac-sha256'];

export const intlProfile: CryptoProfile = Object.freeze({
  name: 'intl',
  signatureAlgorithms: ['ecdsa-p256-sha256', 'ed25519'],
  sealAlgorithm: 'aes-256-gcm',
  macAlgorithm: 'hmac-sha256',
  hashAlgorithm: 'sha256',
  generateSigningKeyPair: (algorithm: SignatureAlgorithm = 'ecdsa-p256-sha256') => generateKeyPair(signatureKind(algorithm)),
  generateEncryptionKeyPair: () => generateKeyPair('p256'),
  sign(privateKey, data) {
    const state = allowedPrivateState(privateKey, kinds);
    if (state.kind === 'sm2') throw new CryptoError('crypto_unknown_algorithm');
    return state.kind === 'ed25519' ? sign(null, data, state.keyObject) : sign('sha256', data, { key: state.keyObject, dsaEncoding: 'der' });
  },
  verify: (publicKey, data, signature) => verifyIntlSignature(publicKey, data, signature, 'der'),
  hash: (data) => createHash('sha256').update(data).digest(),
  generateMacKey: () => wrapSecretKey({ algorithm: 'hmac-sha256', bytes: randomBytes(32) }),
  mac: (key, data) => hmac('sha256', requireSecret(key, 'hmac-sha256'), data),
  macVerify: (key, data, tag) => equalBytes(hmac('sha256', requireSecret(key, 'hmac-sha256'), data), tag),
  generateSealKey: () => wrapSecretKey({ algorithm: 'aes-256-gcm', bytes: randomBytes(aesSealKeyBytes) }),
  seal: (key, plaintext, aad = Buffer.alloc(0)) => sealAesGcm(requireSecret(key, 'aes-256-gcm'), randomNonce(12), plaintext, aad),
  open(key, sealed, aad = Buffer.alloc(0)) {
    if (sealed[0] !== sealTags['aes-256-gcm']) throw new CryptoError('crypto_unknown_algorithm', 'not an AES-256-GCM sealed value');
    return openAesGcm(requireSecret(key, 'aes-256-gcm'), sealed, aad);
  },
  encryptTo(publicKey, plaintext) {
    const state = allowedPublicState(publicKey, kinds);
    if (state.kind !== 'p256') throw new CryptoError('crypto_key_mismatch', 'hybrid encryption needs a P-256 key');
    return eciesP256Encrypt(state.keyObject, plaintext);
  },
  decryptWith(privateKey, ciphertext) {
    const state = allowedPrivateState(privateKey, kinds);
    if (state.kind !== 'p256') throw new CryptoError('crypto_key_mismatch', 'hybrid decryption needs a P-256 key');
    if (ciphertext[0] !== eciesP256Tag) throw new CryptoError('crypto_unknown_algorithm', 'not an ECIES P-256 ciphertext');
    return eciesP256Decrypt(state.keyObject, ciphertext);
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

