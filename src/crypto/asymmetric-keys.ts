// Import and export of asymmetric keys as PEM (PKCS#8 private, SPKI public) for every key kind. SM2
// keys are recognised by their curve OID before Node sees them (see sm2-key-codec.ts for why).
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { AsymmetricKeyKind, PrivateKey, PrivateKeyState, PublicKey, PublicKeyState } from './key-handle.ts';
import { privateKeyState, publicKeyState, wrapPrivateKey, wrapPublicKey } from './key-handle.ts';
import { derToPem, pemToDer } from './der.ts';
import { decodeSm2Pkcs8, decodeSm2Spki, encodeSm2Pkcs8, encodeSm2Spki, isSm2KeyDer } from './sm2-key-codec.ts';
import { generateSm2PrivateState } from './sm2.ts';
import { CryptoError } from './errors.ts';
import type { KeyPair } from './profile.ts';

function nodeKind(keyObject: KeyObject): 'p256' | 'ed25519' {
  if (keyObject.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (keyObject.asymmetricKeyType === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'p256';
  throw new CryptoError('crypto_unknown_algorithm', 'unsupported key type');
}

function requireKind(kind: AsymmetricKeyKind, allowed: readonly AsymmetricKeyKind[]): void {
  if (!allowed.includes(kind)) throw new CryptoError('crypto_unknown_algorithm', `a ${kind} key is not part of this profile`);
}

function parseDer<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('crypto_malformed_key', 'key could not be parsed');
  }
}

export function importPrivateKeyPem(pem: string, allowed: readonly AsymmetricKeyKind[]): PrivateKey {
  if (typeof pem !== 'string') throw new CryptoError('crypto_malformed_key', 'PEM must be a string');
  const der = pemToDer(pem, 'PRIVATE KEY');
  if (parseDer(() => isSm2KeyDer(der, 'pkcs8'))) {
    requireKind('sm2', allowed);
    return wrapPrivateKey({ kind: 'sm2', sm2: decodeSm2Pkcs8(der) });
  }
  const keyObject = parseDer(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  const kind = nodeKind(keyObject);
  requireKind(kind, allowed);
  return wrapPrivateKey({ kind, keyObject });
}

export function importPublicKeyPem(pem: string, allowed: readonly AsymmetricKeyKind[]): PublicKey {
  if (typeof pem !== 'string') throw new CryptoError('crypto_malformed_key', 'PEM must be a string');
  const der = pemToDer(pem, 'PUBLIC KEY');
  if (parseDer(() => isSm2KeyDer(der, 'spki'))) {
    requireKind('sm2', allowed);
    return wrapPublicKey({ kind: 'sm2', sm2: decodeSm2Spki(der) });
  }
  const keyObject = parseDer(() => createPublicKey({ key: der, format: 'der', type: 'spki' }));
  const kind = nodeKind(keyObject);
  requireKind(kind, allowed);
  return wrapPublicKey({ kind, keyObject });
}

/** A Node public KeyObject as a handle, with the kind checks of importPublicKeyPem (SM2 is never a KeyObject here). */
export function importPublicKeyObject(keyObject: KeyObject, allowed: readonly AsymmetricKeyKind[]): PublicKey {
  if (keyObject.type !== 'public') throw new CryptoError('crypto_malformed_key', 'not a public key');
  const kind = nodeKind(keyObject);
  requireKind(kind, allowed);
  return wrapPublicKey({ kind, keyObject });
}

export function exportPrivateKeyPem(handle: PrivateKey, allowed: readonly AsymmetricKeyKind[]): string {
  const state = allowedPrivateState(handle, allowed);
  if (state.kind === 'sm2') return derToPem(encodeSm2Pkcs8(state.sm2), 'PRIVATE KEY');
  return state.keyObject.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function exportPublicKeyPem(handle: PublicKey, allowed: readonly AsymmetricKeyKind[]): string {
  const state = allowedPublicState(handle, allowed);
  if (state.kind === 'sm2') return derToPem(encodeSm2Spki(state.sm2), 'PUBLIC KEY');
  return state.keyObject.export({ type: 'spki', format: 'pem' }) as string;
}

export function allowedPrivateState(handle: PrivateKey, allowed: readonly AsymmetricKeyKind[]): PrivateKeyState {
  const state = privateKeyState(handle);
  requireKind(state.kind, allowed);
  return state;
}

export function allowedPublicState(handle: PublicKey, allowed: readonly AsymmetricKeyKind[]): PublicKeyState {
  const state = publicKeyState(handle);
  requireKind(state.kind, allowed);
  return state;
}

export function publicKeyOf(handle: PrivateKey, allowed: readonly AsymmetricKeyKind[]): PublicKey {
  const state = allowedPrivateState(handle, allowed);
  if (state.kind === 'sm2') return wrapPublicKey({ kind: 'sm2', sm2: state.sm2.publicState });
  return wrapPublicKey({ kind: state.kind, keyObject: createPublicKey(state.keyObject) });
}

export function generateKeyPair(kind: AsymmetricKeyKind): KeyPair {
  if (kind === 'sm2') {
    const sm2 = generateSm2PrivateState();
    return { privateKey: wrapPrivateKey({ kind, sm2 }), publicKey: wrapPublicKey({ kind, sm2: sm2.publicState }) };
  }
  const pair = kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { privateKey: wrapPrivateKey({ kind, keyObject: pair.privateKey }), publicKey: wrapPublicKey({ kind, keyObject: pair.publicKey }) };
}
