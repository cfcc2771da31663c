// Fixed-base precomputation for SM2 verification: with a table per point, s·G + t·P costs about 64
// point additions instead of ~256 doublings and ~100 additions, which is what brings BigInt SM2
// verification near OpenSSL's speed. Tables hold public points only.
import type { AffinePoint, Curve } from './sm2-curve.ts';
import { addAffine, infinity, invert, toAffine } from './sm2-curve.ts';

/** points[i][j] = (j + 1) · 2^(windowBits · i) · P. */
export interface FixedBaseTable {
  readonly windowBits: number;
  readonly points: readonly (readonly AffinePoint[])[];
}

type Jacobian = ReturnType<typeof infinity>;

/** Affine form of many Jacobian points with one inversion (Montgomery's trick). */
function normalizeAll(curve: Curve, row: readonly Jacobian[]): AffinePoint[] {
  const { p } = curve;
  const prefix: bigint[] = [];
  let product = 1n;
  for (const point of row) {
    prefix.push(product);
    product = (product * point.z) % p;
  }
  let inverse = invert(product, p);
  const affine: AffinePoint[] = new Array<AffinePoint>(row.length);
  for (let i = row.length - 1; i >= 0; i -= 1) {
    const point = row[i] as Jacobian;
    const zInverse = (inverse * (prefix[i] as bigint)) % p;
    inverse = (inverse * point.z) % p;
    const zInverse2 = (zInverse * zInverse) % p;
    affine[i] = { x: (point.x * zInverse2) % p, y: (point.y * zInverse2 * zInverse) % p };
  }
  return affine;
}

export function buildTable(curve: Curve, point: AffinePoint, windowBits: number): FixedBaseTable {
  const windows = Math.ceil(curve.n.toString(2).length / windowBits);
  const rowLength = 2 ** windowBits - 1;
  const points: AffinePoint[][] = [];
  let base = point;
  for (let window = 0; window < windows; window += 1) {
    const row: Jacobian[] = [];
    let accumulator: Jacobian = { x: base.x, y: base.y, z: 1n };
    row.push(accumulator);
    for (let j = 1; j < rowLength; j += 1) {
      accumulator = addAffine(curve, accumulator, base);
      row.push(accumulator);
    }
    const affineRow = normalizeAll(curve, row);
    points.push(affineRow);
    // (2^w − 1)·base + base = 2^w·base, the next window's base; never infinity for a prime order > 2^w.
    const next = toAffine(curve, addAffine(curve, accumulator, base));
    if (next === undefined) throw new Error('assertion: fixed-base table reached infinity');
    base = next;
  }
  return { windowBits, points };
}

/** accumulator + scalar·P using P's table; scalar must be in [0, n). Variable-time: public scalars only. */
export function addMultiple(curve: Curve, table: FixedBaseTable, scalar: bigint, accumulator: Jacobian): Jacobian {
  const mask = (1n << BigInt(table.windowBits)) - 1n;
  const shift = BigInt(table.windowBits);
  let rest = scalar;
  let result = accumulator;
  for (const row of table.points) {
    const digit = Number(rest & mask);
    rest >>= shift;
    if (digit !== 0) result = addAffine(curve, result, row[digit - 1] as AffinePoint);
  }
  return result;
}
