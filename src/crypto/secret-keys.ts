// Secret (symmetric) key handles: import, export, and the check that a key is used for its algorithm.
import type { SecretKey } from './key-handle.ts';
import { secretKeyState, wrapSecretKey } from './key-handle.ts';
import type { SecretKeyAlgorithm } from './profile.ts';
import { CryptoError } from './errors.ts';

/** Every secret key is 32 bytes: AES-256, SM4 + HMAC-SM3 halves, HMAC keys of the hash length. */
export const secretKeyBytes = 32;

export function importSecret(algorithm: SecretKeyAlgorithm, bytes: Uint8Array, allowed: readonly SecretKeyAlgorithm[]): SecretKey {
  if (!allowed.includes(algorithm)) throw new CryptoError('crypto_unknown_algorithm', `${String(algorithm)} is not part of this profile`);
  if (!(bytes instanceof Uint8Array) || bytes.length !== secretKeyBytes) {
    throw new CryptoError('crypto_malformed_key', `a ${algorithm} key is ${secretKeyBytes} bytes`);
  }
  return wrapSecretKey({ algorithm, bytes: Buffer.from(bytes) });
}

export function exportSecret(key: SecretKey, allowed: readonly SecretKeyAlgorithm[]): Buffer {
  const state = secretKeyState(key);
  if (!allowed.includes(state.algorithm)) throw new CryptoError('crypto_unknown_algorithm', 'key of another profile');
  return Buffer.from(state.bytes);
}

/** The key bytes, if the handle is a key for `algorithm`. */
export function requireSecret(key: SecretKey, algorithm: SecretKeyAlgorithm): Buffer {
  const state = secretKeyState(key);
  if (state.algorithm !== algorithm) throw new CryptoError('crypto_key_mismatch', `expected a ${algorithm} key`);
  return state.bytes;
}
