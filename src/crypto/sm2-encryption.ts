// SM2 public-key encryption, GM/T 0003.4 §6–7: C1 = k·G, (x2, y2) = k·P, C2 = M ⊕ KDF(x2 ‖ y2),
// C3 = SM3(x2 ‖ M ‖ y2). Node's ECDH gives only x(k·P); y2 is recovered exactly (no square-root sign
// guess) from x(k·P + k·G) = x(k·(P + G)), a second OpenSSL multiplication — see recoverSummand.
// Wire forms: GM/T 0009 DER SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }
// (what openssl pkeyutl reads and writes), and the raw C1 ‖ C3 ‖ C2 of GM/T 0003.4-2012 (sm-crypto's mode 1).
import { timingSafeEqual } from 'node:crypto';
import type { AffinePoint } from './sm2-curve.ts';
import { addPoints, invert, isOnCurve, mod, sm2Curve } from './sm2-curve.ts';
import type { Sm2PrivateState, Sm2PublicState } from './sm2.ts';
import { encodePoint, nativeBaseMultiply, nativeSharedX, randomScalar, sm3 } from './sm2.ts';
import { bigintToBytes, bytesToBigint, encodeSequence, encodeTlv, encodeUnsignedInteger, readSequence, readUnsignedInteger } from './der.ts';
import { CryptoError } from './errors.ts';

export interface Sm2Ciphertext {
  readonly c1: AffinePoint;
  readonly c3: Buffer;
  readonly c2: Buffer;
}

const hashBytes = 32;
/** A plaintext limit keeps the KDF loop bounded; SM2 encryption is for keys and small secrets. */
export const sm2PlaintextBytesMax = 1024 * 1024;

function failed(): never {
  throw new CryptoError('crypto_decrypt_failed');
}

/**
 * Given A (full), x(B) and x(A + B), returns B. From λ = (yB − yA)/(xB − xA) and
 * x(A + B) = λ² − xA − xB: yB = (yB² + yA² − (x(A+B) + xA + xB)(xB − xA)²) / (2·yA), linear in yB.
 */
export function recoverSummand(known: AffinePoint, xB: bigint, xSum: bigint): AffinePoint | undefined {
  const { p, a, b } = sm2Curve;
  if (xB === known.x || known.y === 0n) return undefined;
  const yB2 = mod(xB * xB * xB + a * xB + b, p);
  const difference = mod(xB - known.x, p);
  const lambdaTerm = mod(mod(xSum + known.x + xB, p) * difference * difference, p);
  const yB = mod((yB2 + known.y * known.y - lambdaTerm) * invert(2n * known.y, p), p);
  const point = { x: xB, y: yB };
  return isOnCurve(sm2Curve, point) ? point : undefined;
}

function keyStream(x2: bigint, y2: bigint, length: number): Buffer {
  const seed = Buffer.concat([bigintToBytes(x2, 32), bigintToBytes(y2, 32)]);
  const blocks: Buffer[] = [];
  for (let counter = 1; blocks.length * hashBytes < length; counter += 1) {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    blocks.push(sm3(seed, counterBytes));
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xor(left: Uint8Array, right: Uint8Array): Buffer {
  const out = Buffer.alloc(left.length);
  for (let i = 0; i < left.length; i += 1) out[i] = (left[i] ?? 0) ^ (right[i] ?? 0);
  return out;
}

/** `fixedK` exists only to reproduce the standard's example; production callers leave it out. */
export function sm2Encrypt(recipient: Sm2PublicState, plaintext: Uint8Array, fixedK?: bigint): Sm2Ciphertext {
  if (plaintext.length > sm2PlaintextBytesMax) throw new CryptoError('crypto_unsupported_parameter', 'plaintext too long');
  const generator = { x: sm2Curve.gx, y: sm2Curve.gy };
  const recipientPlusG = addPoints(sm2Curve, recipient.point, generator);
  if (recipientPlusG === undefined) throw new CryptoError('crypto_malformed_key', 'degenerate SM2 public key');
  for (;;) {
    const kBytes = fixedK === undefined ? randomScalar() : bigintToBytes(fixedK, 32);
    const c1 = nativeBaseMultiply(kBytes);
    const shared = recoverSummand(c1, nativeSharedX(kBytes, recipient.point), nativeSharedX(kBytes, recipientPlusG));
    if (shared === undefined) throw new CryptoError('crypto_malformed_key', 'degenerate SM2 public key');
    const stream = keyStream(shared.x, shared.y, plaintext.length);
    if (plaintext.length > 0 && stream.every((byte) => byte === 0)) continue;
    const c3 = sm3(bigintToBytes(shared.x, 32), plaintext, bigintToBytes(shared.y, 32));
    return { c1, c3, c2: xor(plaintext, stream) };
  }
}

export function sm2Decrypt(recipient: Sm2PrivateState, ciphertext: Sm2Ciphertext): Buffer {
  const { c1, c3, c2 } = ciphertext;
  if (!isOnCurve(sm2Curve, c1) || c3.length !== hashBytes) failed();
  const c1PlusG = addPoints(sm2Curve, c1, { x: sm2Curve.gx, y: sm2Curve.gy });
  if (c1PlusG === undefined) failed();
  let shared: AffinePoint | undefined;
  try {
    // d·C1 + d·G = d·C1 + P, so the known summand is the recipient's own public key.
    const xShared = nativeSharedX(recipient.dBytes, c1);
    shared = recoverSummand(recipient.publicState.point, xShared, nativeSharedX(recipient.dBytes, c1PlusG));
  } catch {
    failed();
  }
  if (shared === undefined) failed();
  const stream = keyStream(shared.x, shared.y, c2.length);
  if (c2.length > 0 && stream.every((byte) => byte === 0)) failed();
  const plaintext = xor(c2, stream);
  const expected = sm3(bigintToBytes(shared.x, 32), plaintext, bigintToBytes(shared.y, 32));
  if (!timingSafeEqual(expected, c3)) {
    plaintext.fill(0);
    failed();
  }
  return plaintext;
}

export function encodeSm2CiphertextDer(ciphertext: Sm2Ciphertext): Buffer {
  return encodeSequence([
    encodeUnsignedInteger(ciphertext.c1.x),
    encodeUnsignedInteger(ciphertext.c1.y),
    encodeTlv(0x04, ciphertext.c3),
    encodeTlv(0x04, ciphertext.c2),
  ]);
}

export function encodeSm2CiphertextRaw(ciphertext: Sm2Ciphertext): Buffer {
  return Buffer.concat([encodePoint(ciphertext.c1), ciphertext.c3, ciphertext.c2]);
}

/** Accepts the DER form (first byte 0x30) or raw 04 ‖ x ‖ y ‖ C3 ‖ C2; anything else fails to decrypt. */
export function decodeSm2Ciphertext(bytes: Uint8Array): Sm2Ciphertext {
  const buffer = Buffer.from(bytes);
  try {
    if (buffer[0] === 0x30) {
      const [x, y, c3, c2, ...rest] = readSequence(buffer);
      if (c3?.tag !== 0x04 || c2?.tag !== 0x04 || rest.length > 0) failed();
      return { c1: { x: readUnsignedInteger(x), y: readUnsignedInteger(y) }, c3: Buffer.from(c3.value), c2: Buffer.from(c2.value) };
    }
    if (buffer[0] === 0x04 && buffer.length >= 65 + hashBytes) {
      const c1 = { x: bytesToBigint(buffer.subarray(1, 33)), y: bytesToBigint(buffer.subarray(33, 65)) };
      return { c1, c3: Buffer.from(buffer.subarray(65, 97)), c2: Buffer.from(buffer.subarray(97)) };
    }
  } catch {
    failed();
  }
  return failed();
}
