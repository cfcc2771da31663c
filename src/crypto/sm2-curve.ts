// Prime-field elliptic-curve arithmetic in BigInt for SM2 verification and SM2 encryption's point
// recovery. Node's OpenSSL has no SM2 verify with a settable user ID, so this is ours; it only ever
// handles public values (signatures, public keys, points), because BigInt arithmetic is not
// constant-time. Every multiplication by a secret scalar goes to OpenSSL (see sm2.ts).
import { CryptoError } from './errors.ts';

export interface Curve {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly gx: bigint;
  readonly gy: bigint;
}

export interface AffinePoint {
  readonly x: bigint;
  readonly y: bigint;
}

/** Jacobian coordinates (X/Z², Y/Z³); z = 0 is the point at infinity. */
interface JacobianPoint {
  x: bigint;
  y: bigint;
  z: bigint;
}

/** The SM2 recommended curve, GM/T 0003.5 / GB/T 32918.5. */
export const sm2Curve: Curve = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

export function mod(value: bigint, modulus: bigint): bigint {
  const rest = value % modulus;
  return rest < 0n ? rest + modulus : rest;
}

/** Modular inverse by the extended Euclidean algorithm; `value` must be non-zero mod `modulus`. */
export function invert(value: bigint, modulus: bigint): bigint {
  let [oldR, r] = [mod(value, modulus), modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new CryptoError('crypto_unsupported_parameter', 'value has no inverse');
  return mod(oldS, modulus);
}

export function isOnCurve(curve: Curve, point: AffinePoint): boolean {
  const { p, a, b } = curve;
  if (point.x < 0n || point.x >= p || point.y < 0n || point.y >= p) return false;
  return mod(point.y * point.y - (point.x * point.x * point.x + a * point.x + b), p) === 0n;
}

function double(curve: Curve, point: JacobianPoint): JacobianPoint {
  const { p, a } = curve;
  if (point.z === 0n || point.y === 0n) return { x: 1n, y: 1n, z: 0n };
  const xx = (point.x * point.x) % p;
  const yy = (point.y * point.y) % p;
  const zz = (point.z * point.z) % p;
  const s = (4n * point.x * yy) % p;
  const m = (3n * xx + a * ((zz * zz) % p)) % p;
  const x = mod(m * m - 2n * s, p);
  const y = mod(m * (s - x) - 8n * ((yy * yy) % p), p);
  const z = (2n * point.y * point.z) % p;
  return { x, y, z };
}

/** Jacobian + affine ("mixed") addition, handling the doubling and inverse cases. */
export function addAffine(curve: Curve, point: JacobianPoint, other: AffinePoint): JacobianPoint {
  const { p } = curve;
  if (point.z === 0n) return { x: other.x, y: other.y, z: 1n };
  const zz = (point.z * point.z) % p;
  const u2 = (other.x * zz) % p;
  const s2 = (other.y * ((point.z * zz) % p)) % p;
  const h = mod(u2 - point.x, p);
  const r = mod(s2 - point.y, p);
  if (h === 0n) return r === 0n ? double(curve, point) : { x: 1n, y: 1n, z: 0n };
  const hh = (h * h) % p;
  const hhh = (h * hh) % p;
  const v = (point.x * hh) % p;
  const x = mod(r * r - hhh - 2n * v, p);
  const y = mod(r * (v - x) - point.y * hhh, p);
  const z = (point.z * h) % p;
  return { x, y, z };
}

export function toAffine(curve: Curve, point: JacobianPoint): AffinePoint | undefined {
  if (point.z === 0n) return undefined;
  const zInverse = invert(point.z, curve.p);
  const zInverse2 = (zInverse * zInverse) % curve.p;
  return { x: (point.x * zInverse2) % curve.p, y: (point.y * zInverse2 * zInverse) % curve.p };
}

export function infinity(): JacobianPoint {
  return { x: 1n, y: 1n, z: 0n };
}

/** Affine sum of two affine points; undefined for the point at infinity. Public points only. */
export function addPoints(curve: Curve, left: AffinePoint, right: AffinePoint): AffinePoint | undefined {
  return toAffine(curve, addAffine(curve, { x: left.x, y: left.y, z: 1n }, right));
}

/** Plain double-and-add. Variable-time: public scalars, or the test curve in tests. */
export function multiply(curve: Curve, scalar: bigint, point: AffinePoint): AffinePoint | undefined {
  let accumulator = infinity();
  for (let bit = BigInt(scalar.toString(2).length - 1); bit >= 0n; bit -= 1n) {
    accumulator = double(curve, accumulator);
    if ((scalar >> bit) & 1n) accumulator = addAffine(curve, accumulator, point);
  }
  return toAffine(curve, accumulator);
}
