// RFC 9162 proofs against a literal transcription of the RFC's recursive definitions, for every
// pair of sizes up to 40, plus rejection of altered proofs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { consistencyRanges, inclusionRanges, rootOfLeaves, verifyConsistency, verifyInclusion } from './merkle.ts';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaves = Array.from({ length: 40 }, (_, i) => sha(Buffer.from([0]), Buffer.from(`leaf ${i}`)));
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0] as Buffer;
  return sha(Buffer.from([1]), mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s ? [...path(m, d.slice(0, s)), mth(d.slice(s))] : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const s = k(d.length);
  return m <= s ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))] : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}
const hashRanges = (ranges: readonly (readonly [number, number])[]) => ranges.map(([s, e]) => mth(leaves.slice(s, e)));

test('inclusion ranges reproduce RFC 9162 PATH, and the proofs verify; altered ones do not', () => {
  for (let n = 1; n <= 40; n++) {
    const root = mth(leaves.slice(0, n));
    assert.deepEqual(rootOfLeaves(leaves.slice(0, n)), root);
    for (let m = 0; m < n; m++) {
      const proof = hashRanges(inclusionRanges(m, n));
      assert.deepEqual(proof, path(m, leaves.slice(0, n)), `PATH(${m}, ${n})`);
      assert.equal(verifyInclusion(leaves[m] as Buffer, m, n, proof, root), true);
      assert.equal(verifyInclusion(leaves[(m + 1) % 40] as Buffer, m, n, proof, root), false);
      if (proof.length > 0) assert.equal(verifyInclusion(leaves[m] as Buffer, m, n, proof.slice(1), root), false);
    }
  }
});

test('consistency ranges reproduce RFC 9162 PROOF, and the proofs verify; altered ones do not', () => {
  for (let n = 1; n <= 40; n++) {
    for (let m = 1; m <= n; m++) {
      const proof = m === n ? [] : hashRanges(consistencyRanges(m, n));
      assert.deepEqual(proof, subproof(m, leaves.slice(0, n), true), `PROOF(${m}, ${n})`);
      const [first, second] = [mth(leaves.slice(0, m)), mth(leaves.slice(0, n))];
      assert.equal(verifyConsistency(m, n, proof, first, second), true);
      if (m < n) {
        assert.equal(verifyConsistency(m, n, proof, second, second), false);
        assert.equal(verifyConsistency(m, n, proof.slice(0, -1), first, second), false);
      }
    }
  }
});
