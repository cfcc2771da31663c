// Symmetric primitives, all OpenSSL through node:crypto: AES-GCM, SM4-CBC, HMAC. The sealed-blob
// formats built on them (seal/open) are here too, so intl and gm share one layout discipline:
// byte 0 is the algorithm tag, and the tag byte is authenticated with the rest.
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';
import { CryptoError } from './errors.ts';

export const sealTags = { 'aes-256-gcm': 0x01, 'sm4-cbc-hmac-sm3': 0x02 } as const;

const gcmNonceBytes = 12;
const gcmTagBytes = 16;
const sm4BlockBytes = 16;
const sm4KeyBytes = 16;
const hmacSm3Bytes = 32;
export const sm4SealKeyBytes = 32;
export const aesSealKeyBytes = 32;

function gcmCipherName(key: Uint8Array): CipherGCMTypes {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new CryptoError('crypto_unsupported_parameter', 'AES key must be 16, 24 or 32 bytes');
}

/** AES-GCM with an explicit IV and a 16-byte tag. */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): { ciphertext: Buffer; tag: Buffer } {
  let cipher;
  try {
    cipher = createCipheriv(gcmCipherName(key), key, iv, { authTagLength: gcmTagBytes });
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('crypto_unsupported_parameter', 'AES-GCM IV not supported');
  }
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Whole plaintext or `crypto_decrypt_failed`; Node's output is buffered until the tag checks. */
export function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Buffer {
  let decipher;
  try {
    // authTagLength pins 16 bytes: without it Node accepts truncated tags down to 4 bytes.
    decipher = createDecipheriv(gcmCipherName(key), key, iv, { authTagLength: gcmTagBytes });
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('crypto_unsupported_parameter', 'AES-GCM IV not supported');
  }
  if (tag.length !== gcmTagBytes) throw new CryptoError('crypto_decrypt_failed');
  try {
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const head = decipher.update(ciphertext);
    const tail = decipher.final();
    return Buffer.concat([head, tail]);
  } catch {
    throw new CryptoError('crypto_decrypt_failed');
  }
}

/** SM4-CBC with PKCS#7 padding, as `openssl enc -sm4-cbc` does. */
export function sm4CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  if (key.length !== sm4KeyBytes || iv.length !== sm4BlockBytes) throw new CryptoError('crypto_unsupported_parameter', 'SM4 key and IV are 16 bytes');
  const cipher = createCipheriv('sm4-cbc', key, iv);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

export function sm4CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  if (key.length !== sm4KeyBytes || iv.length !== sm4BlockBytes) throw new CryptoError('crypto_unsupported_parameter', 'SM4 key and IV are 16 bytes');
  try {
    const decipher = createDecipheriv('sm4-cbc', key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new CryptoError('crypto_decrypt_failed');
  }
}

export function hmac(algorithm: 'sha256' | 'sm3', key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac(algorithm, key).update(data).digest();
}

/** Constant-time equality that is false (not an exception) for different lengths. */
export function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && timingSafeEqual(left, right);
}

/** [0x01][nonce 12][ciphertext][tag 16]; the GCM AAD is the tag byte followed by the caller's AAD. */
export function sealAesGcm(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const header = Buffer.from([sealTags['aes-256-gcm']]);
  const { ciphertext, tag } = aesGcmEncrypt(key, nonce, plaintext, Buffer.concat([header, aad]));
  return Buffer.concat([header, nonce, ciphertext, tag]);
}

export function openAesGcm(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (sealed.length < 1 + gcmNonceBytes + gcmTagBytes) throw new CryptoError('crypto_decrypt_failed');
  const buffer = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const nonce = buffer.subarray(1, 1 + gcmNonceBytes);
  const ciphertext = buffer.subarray(1 + gcmNonceBytes, buffer.length - gcmTagBytes);
  const tag = buffer.subarray(buffer.length - gcmTagBytes);
  return aesGcmDecrypt(key, nonce, ciphertext, tag, Buffer.concat([buffer.subarray(0, 1), aad]));
}

/** What HMAC-SM3 covers: tag byte ‖ IV ‖ AAD length (64-bit) ‖ AAD ‖ ciphertext — one parse only. */
function sm4Mac(macKey: Uint8Array, header: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Buffer {
  const aadLength = Buffer.alloc(8);
  aadLength.writeBigUInt64BE(BigInt(aad.length));
  return createHmac('sm3', macKey).update(header).update(iv).update(aadLength).update(aad).update(ciphertext).digest();
}

/**
 * [0x02][IV 16][SM4-CBC ciphertext][HMAC-SM3 32], encrypt-then-MAC. The 32-byte key is split as in
 * RFC 7518 §5.2.2: first 16 bytes the MAC key, last 16 the SM4 key.
 */
export function sealSm4(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== sm4SealKeyBytes) throw new CryptoError('crypto_key_mismatch', 'SM4 seal key is 32 bytes');
  const header = Buffer.from([sealTags['sm4-cbc-hmac-sm3']]);
  const ciphertext = sm4CbcEncrypt(key.subarray(16), iv, plaintext);
  const tag = sm4Mac(key.subarray(0, 16), header, iv, aad, ciphertext);
  return Buffer.concat([header, iv, ciphertext, tag]);
}

export function openSm4(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== sm4SealKeyBytes) throw new CryptoError('crypto_key_mismatch', 'SM4 seal key is 32 bytes');
  const bodyBytes = sealed.length - 1 - sm4BlockBytes - hmacSm3Bytes;
  if (bodyBytes < sm4BlockBytes || bodyBytes % sm4BlockBytes !== 0) throw new CryptoError('crypto_decrypt_failed');
  const buffer = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const iv = buffer.subarray(1, 1 + sm4BlockBytes);
  const ciphertext = buffer.subarray(1 + sm4BlockBytes, buffer.length - hmacSm3Bytes);
  const tag = buffer.subarray(buffer.length - hmacSm3Bytes);
  const expected = sm4Mac(key.subarray(0, 16), buffer.subarray(0, 1), iv, aad, ciphertext);
  // The MAC is checked before any decryption, so no padding oracle exists.
  if (!equalBytes(expected, tag)) throw new CryptoError('crypto_decrypt_failed');
  return sm4CbcDecrypt(key.subarray(16), iv, ciphertext);
}
