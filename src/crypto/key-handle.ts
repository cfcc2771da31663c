// Opaque key handles. The key material lives in module-private WeakMaps, so a handle that reaches a log,
// JSON.stringify or util.inspect shows only its algorithm. Only files inside src/crypto read the state.
import type { KeyObject } from 'node:crypto';
import type { SecretKeyAlgorithm } from './profile.ts';
import type { Sm2PrivateState, Sm2PublicState } from './sm2.ts';
import { CryptoError } from './errors.ts';

export type AsymmetricKeyKind = 'p256' | 'ed25519' | 'sm2';

export type PrivateKeyState =
  | { readonly kind: 'p256' | 'ed25519'; readonly keyObject: KeyObject }
  | { readonly kind: 'sm2'; readonly sm2: Sm2PrivateState };

export type PublicKeyState =
  | { readonly kind: 'p256' | 'ed25519'; readonly keyObject: KeyObject }
  | { readonly kind: 'sm2'; readonly sm2: Sm2PublicState };

export interface SecretKeyState {
  readonly algorithm: SecretKeyAlgorithm;
  readonly bytes: Buffer;
}

export class PrivateKey {
  readonly type = 'private';
  constructor(readonly kind: AsymmetricKeyKind) {
    Object.freeze(this);
  }
}

export class PublicKey {
  readonly type = 'public';
  constructor(readonly kind: AsymmetricKeyKind) {
    Object.freeze(this);
  }
}

export class SecretKey {
  readonly type = 'secret';
  constructor(readonly algorithm: SecretKeyAlgorithm) {
    Object.freeze(this);
  }
}

const privateStates = new WeakMap<PrivateKey, PrivateKeyState>();
const publicStates = new WeakMap<PublicKey, PublicKeyState>();
const secretStates = new WeakMap<SecretKey, SecretKeyState>();

export function wrapPrivateKey(state: PrivateKeyState): PrivateKey {
  const handle = new PrivateKey(state.kind);
  privateStates.set(handle, state);
  return handle;
}

export function wrapPublicKey(state: PublicKeyState): PublicKey {
  const handle = new PublicKey(state.kind);
  publicStates.set(handle, state);
  return handle;
}

export function wrapSecretKey(state: SecretKeyState): SecretKey {
  const handle = new SecretKey(state.algorithm);
  secretStates.set(handle, state);
  return handle;
}

// A handle forged outside this module (e.g. a plain object with the right shape) has no state.
export function privateKeyState(handle: PrivateKey): PrivateKeyState {
  const state = privateStates.get(handle);
  if (state === undefined) throw new CryptoError('crypto_key_mismatch', 'not a private key handle');
  return state;
}

export function publicKeyState(handle: PublicKey): PublicKeyState {
  const state = publicStates.get(handle);
  if (state === undefined) throw new CryptoError('crypto_key_mismatch', 'not a public key handle');
  return state;
}

export function secretKeyState(handle: SecretKey): SecretKeyState {
  const state = secretStates.get(handle);
  if (state === undefined) throw new CryptoError('crypto_key_mismatch', 'not a secret key handle');
  return state;
}
