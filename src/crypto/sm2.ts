// SM2 (GM/T 0003, GB/T 32918) signatures with the default user ID and SM2 public-key encryption.
// Secret-scalar multiplications (k·G when signing, k·P and d·C1 in encryption) go to OpenSSL through
// node:crypto's ECDH on curve "SM2" (a constant-time ladder); SM3 is OpenSSL's. Only the public
// arithmetic (verification, point recovery) is BigInt code of ours — proven on the GM/T 0003 examples,
// against openssl and against sm-crypto in sm2.test.ts. sm-crypto itself is not used at run time: its
// random numbers come from jsbn, which falls back to Math.random() under Node.
import { ECDH, createECDH, createHash, randomBytes } from 'node:crypto';
import type { AffinePoint, Curve } from './sm2-curve.ts';
import { addPoints, infinity, invert, isOnCurve, mod, multiply, sm2Curve, toAffine } from './sm2-curve.ts';
import type { FixedBaseTable } from './sm2-table.ts';
import { addMultiple, buildTable } from './sm2-table.ts';
import { bigintToBytes, bytesToBigint, encodeSequence, encodeUnsignedInteger, readSequence, readUnsignedInteger } from './der.ts';
import { CryptoError } from './errors.ts';

/** GM/T 0009's default distinguishing identifier, what openssl's `distid:1234567812345678` sets. */
export const sm2DefaultUserId = Buffer.from('1234567812345678', 'utf8');
const coordinateBytes = 32;
// A per-key table costs ~20 ms to build; it is built on a key handle's second verification, so a key
// seen once pays the slower generic path and a key verified repeatedly (banks, merchants) gets speed.
const keyTableAfterVerifications = 1;
const keyTableWindowBits = 8;
const generatorTableWindowBits = 8;

export interface Sm2PublicState {
  readonly point: AffinePoint;
  /** 04 || x || y */
  readonly encoded: Buffer;
  zDefault: Buffer | undefined;
  table: FixedBaseTable | undefined;
  verifications: number;
}

export interface Sm2PrivateState {
  readonly d: bigint;
  readonly dBytes: Buffer;
  readonly publicState: Sm2PublicState;
  readonly onePlusDInverse: bigint;
}

let generatorTable: FixedBaseTable | undefined;

export function sm3(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sm3');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function pointFromEncoded(encoded: Buffer): AffinePoint {
  return { x: bytesToBigint(encoded.subarray(1, 33)), y: bytesToBigint(encoded.subarray(33, 65)) };
}

export function encodePoint(point: AffinePoint): Buffer {
  return Buffer.concat([Buffer.from([4]), bigintToBytes(point.x, coordinateBytes), bigintToBytes(point.y, coordinateBytes)]);
}

/** k·G by OpenSSL (k secret). */
export function nativeBaseMultiply(scalar: Buffer): AffinePoint {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(scalar);
  return pointFromEncoded(ecdh.getPublicKey());
}

/** x(k·P) by OpenSSL (k secret); throws if P is not on the curve. */
export function nativeSharedX(scalar: Buffer, point: AffinePoint): bigint {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(scalar);
  return bytesToBigint(ecdh.computeSecret(encodePoint(point)));
}

export function sm2PublicState(encoded: Uint8Array): Sm2PublicState {
  let uncompressed: Buffer;
  try {
    // convertKey decodes compressed or uncompressed points and rejects points off the curve.
    uncompressed = Buffer.from(ECDH.convertKey(Buffer.from(encoded), 'SM2', undefined, undefined, 'uncompressed') as Buffer);
  } catch {
    throw new CryptoError('crypto_malformed_key', 'not a point on the SM2 curve');
  }
  const point = pointFromEncoded(uncompressed);
  if (uncompressed.length !== 65 || !isOnCurve(sm2Curve, point)) {
    throw new CryptoError('crypto_malformed_key', 'not a point on the SM2 curve');
  }
  return { point, encoded: uncompressed, zDefault: undefined, table: undefined, verifications: 0 };
}

/** d must be in [1, n − 2]: SM2 signing divides by 1 + d. */
export function sm2PrivateState(dBytes: Uint8Array): Sm2PrivateState {
  const d = bytesToBigint(dBytes);
  if (dBytes.length !== coordinateBytes || d < 1n || d > sm2Curve.n - 2n) {
    throw new CryptoError('crypto_malformed_key', 'SM2 private key out of range');
  }
  const fixed = Buffer.from(dBytes);
  const publicState = sm2PublicState(encodePoint(nativeBaseMultiply(fixed)));
  return { d, dBytes: fixed, publicState, onePlusDInverse: invert(1n + d, sm2Curve.n) };
}

export function generateSm2PrivateState(): Sm2PrivateState {
  for (;;) {
    const ecdh = createECDH('SM2');
    ecdh.generateKeys();
    const dBytes = ecdh.getPrivateKey();
    const d = bytesToBigint(dBytes);
    // getPrivateKey drops leading zero bytes; d = n − 1 is valid for ECDH but not for SM2 signing.
    if (d >= 1n && d <= sm2Curve.n - 2n) return sm2PrivateState(bigintToBytes(d, coordinateBytes));
  }
}

/** Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), GM/T 0003.2 §5.5. */
export function sm2Z(curve: Curve, point: AffinePoint, userId: Uint8Array = sm2DefaultUserId): Buffer {
  const bits = userId.length * 8;
  if (bits > 0xffff) throw new CryptoError('crypto_unsupported_parameter', 'SM2 user ID too long');
  const width = Math.ceil(curve.p.toString(16).length / 2);
  const parts = [curve.a, curve.b, curve.gx, curve.gy, point.x, point.y].map((value) => bigintToBytes(value, width));
  return sm3(Buffer.from([bits >> 8, bits & 0xff]), userId, ...parts);
}

/** e = SM3(Z ‖ M), with Z for the default user ID cached on the key. */
function digestFor(state: Sm2PublicState, message: Uint8Array): bigint {
  state.zDefault ??= sm2Z(sm2Curve, state.point);
  return bytesToBigint(sm3(state.zDefault, message));
}

export function sm2Digest(curve: Curve, point: AffinePoint, message: Uint8Array, userId?: Uint8Array): bigint {
  return bytesToBigint(sm3(sm2Z(curve, point, userId), message));
}

export interface Sm2Signature {
  readonly r: bigint;
  readonly s: bigint;
}

/**
 * The signing equations of GM/T 0003.2 §6.1 given k and x1 = x(k·G); undefined when this k must be
 * discarded. Pure, so the standard's fixed-k examples can drive it.
 */
export function sm2SignatureFromNonce(curve: Curve, d: bigint, e: bigint, k: bigint, x1: bigint): Sm2Signature | undefined {
  const { n } = curve;
  const r = mod(e + x1, n);
  if (r === 0n || r + k === n) return undefined;
  const s = mod(invert(1n + d, n) * (k - r * d), n);
  return s === 0n ? undefined : { r, s };
}

export function randomScalar(): Buffer {
  for (;;) {
    const candidate = randomBytes(coordinateBytes);
    const value = bytesToBigint(candidate);
    if (value >= 1n && value < sm2Curve.n) return candidate;
  }
}

export function sm2Sign(state: Sm2PrivateState, message: Uint8Array): Buffer {
  const e = digestFor(state.publicState, message);
  const { n } = sm2Curve;
  for (;;) {
    const kBytes = randomScalar();
    const k = bytesToBigint(kBytes);
    const x1 = nativeBaseMultiply(kBytes).x;
    const r = mod(e + x1, n);
    if (r === 0n || r + k === n) continue;
    const s = mod(state.onePlusDInverse * (k - r * state.d), n);
    if (s !== 0n) return encodeSm2Signature({ r, s });
  }
}

/** Signing with a caller-chosen k, only for reproducing the standard's example. */
export function sm2SignWithNonceForTest(state: Sm2PrivateState, message: Uint8Array, k: bigint): Sm2Signature | undefined {
  const e = digestFor(state.publicState, message);
  return sm2SignatureFromNonce(sm2Curve, state.d, e, k, nativeBaseMultiply(bigintToBytes(k, coordinateBytes)).x);
}

export function encodeSm2Signature(signature: Sm2Signature): Buffer {
  return encodeSequence([encodeUnsignedInteger(signature.r), encodeUnsignedInteger(signature.s)]);
}

/** Strict DER SEQUENCE { r INTEGER, s INTEGER }; undefined for anything else. */
export function decodeSm2Signature(der: Uint8Array): Sm2Signature | undefined {
  try {
    const children = readSequence(Buffer.from(der));
    if (children.length !== 2) return undefined;
    return { r: readUnsignedInteger(children[0]), s: readUnsignedInteger(children[1]) };
  } catch {
    return undefined;
  }
}

/** GM/T 0003.2 §7.1 with the caller's way to compute s·G + t·P (tables, or plain multiplication). */
export function sm2VerifyDigest(
  curve: Curve,
  e: bigint,
  signature: Sm2Signature,
  sumOfMultiples: (s: bigint, t: bigint) => AffinePoint | undefined,
): boolean {
  const { r, s } = signature;
  const { n } = curve;
  if (r < 1n || r >= n || s < 1n || s >= n) return false;
  const t = mod(r + s, n);
  if (t === 0n) return false;
  const point = sumOfMultiples(s, t);
  return point !== undefined && mod(e + point.x, n) === r;
}

/** s·G + t·P on any curve by double-and-add: the generic path for a key's first verification and for tests. */
export function plainSumOfMultiples(curve: Curve, point: AffinePoint): (s: bigint, t: bigint) => AffinePoint | undefined {
  return (s, t) => {
    const left = multiply(curve, s, { x: curve.gx, y: curve.gy });
    const right = multiply(curve, t, point);
    if (left === undefined || right === undefined) return left ?? right;
    return addPoints(curve, left, right);
  };
}

function tableSumOfMultiples(table: FixedBaseTable): (s: bigint, t: bigint) => AffinePoint | undefined {
  generatorTable ??= buildTable(sm2Curve, { x: sm2Curve.gx, y: sm2Curve.gy }, generatorTableWindowBits);
  const generator = generatorTable;
  return (s, t) => toAffine(sm2Curve, addMultiple(sm2Curve, table, t, addMultiple(sm2Curve, generator, s, infinity())));
}

export function sm2Verify(state: Sm2PublicState, message: Uint8Array, signatureDer: Uint8Array): boolean {
  const signature = decodeSm2Signature(signatureDer);
  if (signature === undefined) return false;
  const e = digestFor(state, message);
  state.verifications += 1;
  if (state.table === undefined && state.verifications > keyTableAfterVerifications) {
    state.table = buildTable(sm2Curve, state.point, keyTableWindowBits);
  }
  const sum = state.table === undefined ? plainSumOfMultiples(sm2Curve, state.point) : tableSumOfMultiples(state.table);
  return sm2VerifyDigest(sm2Curve, e, signature, sum);
}

/** Builds the generator table now rather than in the first verification that needs it. */
export function warmSm2Tables(): void {
  generatorTable ??= buildTable(sm2Curve, { x: sm2Curve.gx, y: sm2Curve.gy }, generatorTableWindowBits);
}
