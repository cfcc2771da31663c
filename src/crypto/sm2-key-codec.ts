// PKCS#8 and SPKI for SM2 keys, read and written by us: Node 20 aborts the process (a native assertion)
// when asked to export an SM2 key object that OpenSSL decoded, so SM2 keys never become KeyObjects.
// Encoding as openssl writes it: AlgorithmIdentifier { id-ecPublicKey, curve 1.2.156.10197.1.301 }.
import type { Sm2PrivateState, Sm2PublicState } from './sm2.ts';
import { sm2PrivateState, sm2PublicState } from './sm2.ts';
import type { Tlv } from './der.ts';
import { bigintToBytes, bytesToBigint, encodeSequence, encodeTlv, readChildren, readSequence, readTlv } from './der.ts';
import { CryptoError } from './errors.ts';

const idEcPublicKey = Buffer.from('06072a8648ce3d0201', 'hex');
const idSm2Curve = Buffer.from('06082a811ccf5501822d', 'hex');
const algorithmIdentifier = encodeSequence([idEcPublicKey, idSm2Curve]);

function malformed(detail: string): never {
  throw new CryptoError('crypto_malformed_key', detail);
}

function isSm2Algorithm(tlv: Tlv | undefined): boolean {
  if (tlv === undefined || tlv.tag !== 0x30) return false;
  const [algorithm, curve] = readChildren(tlv.value);
  if (algorithm === undefined || curve === undefined) return false;
  const algorithmBytes = Buffer.concat([Buffer.from([algorithm.tag, algorithm.value.length]), algorithm.value]);
  const curveBytes = Buffer.concat([Buffer.from([curve.tag, curve.value.length]), curve.value]);
  return algorithmBytes.equals(idEcPublicKey) && curveBytes.equals(idSm2Curve);
}

/** True when DER (PKCS#8 or SPKI) names the SM2 curve; false for other keys; throws on broken DER. */
export function isSm2KeyDer(der: Buffer, kind: 'pkcs8' | 'spki'): boolean {
  const children = readSequence(der);
  return isSm2Algorithm(kind === 'pkcs8' ? children[1] : children[0]);
}

export function decodeSm2Pkcs8(der: Buffer): Sm2PrivateState {
  const [version, algorithm, privateKey, ...rest] = readSequence(der);
  if (version?.tag !== 0x02 || !version.value.equals(Buffer.from([0])) || !isSm2Algorithm(algorithm)) {
    malformed('not an SM2 PKCS#8 key');
  }
  if (privateKey?.tag !== 0x04 || rest.some((tlv) => tlv.tag !== 0xa0 && tlv.tag !== 0xa1)) malformed('bad PKCS#8 body');
  const [ecVersion, secret, ...optional] = readSequence(Buffer.from(privateKey.value));
  if (ecVersion?.tag !== 0x02 || !ecVersion.value.equals(Buffer.from([1]))) malformed('bad ECPrivateKey version');
  if (secret?.tag !== 0x04 || secret.value.length === 0 || secret.value.length > 32) malformed('bad ECPrivateKey');
  const state = sm2PrivateState(bigintToBytes(bytesToBigint(secret.value), 32));
  for (const field of optional) {
    if (field.tag === 0xa0 && !field.value.equals(idSm2Curve)) malformed('ECPrivateKey names another curve');
    if (field.tag === 0xa1 && !decodeBitString(field.value).equals(state.publicState.encoded)) {
      malformed('ECPrivateKey public key does not match the private key');
    }
  }
  return state;
}

function decodeBitString(wrapped: Buffer): Buffer {
  const bits = readTlv(wrapped, 0);
  if (bits.tag !== 0x03 || bits.end !== wrapped.length || bits.value[0] !== 0) malformed('bad BIT STRING');
  return Buffer.from(bits.value.subarray(1));
}

export function decodeSm2Spki(der: Buffer): Sm2PublicState {
  const [algorithm, key, ...rest] = readSequence(der);
  if (!isSm2Algorithm(algorithm) || key?.tag !== 0x03 || rest.length > 0) malformed('not an SM2 SPKI key');
  if (key.value[0] !== 0) malformed('bad BIT STRING');
  return sm2PublicState(key.value.subarray(1));
}

export function encodeSm2Spki(state: Sm2PublicState): Buffer {
  return encodeSequence([algorithmIdentifier, encodeTlv(0x03, Buffer.concat([Buffer.from([0]), state.encoded]))]);
}

export function encodeSm2Pkcs8(state: Sm2PrivateState): Buffer {
  const publicKeyField = encodeTlv(0xa1, encodeTlv(0x03, Buffer.concat([Buffer.from([0]), state.publicState.encoded])));
  const ecPrivateKey = encodeSequence([Buffer.from('020101', 'hex'), encodeTlv(0x04, state.dBytes), publicKeyField]);
  return encodeSequence([Buffer.from('020100', 'hex'), algorithmIdentifier, encodeTlv(0x04, ecPrivateKey)]);
}
